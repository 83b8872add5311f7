using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Grains.Common;

/// <summary>
/// The JSON style of everything the system writes to the outside: HTTP responses (the API's own options are set by
/// <see cref="Apply"/>), webhook and notice bodies, and the read-model rows the API serves without calling grains. One
/// definition, so every path writes the same document: camelCase, enums by name, instants as <see cref="Instants"/>
/// writes them, maps of text (a task's inputs and outputs, a form) with their keys in ordinal order, and raw UTF-8.
/// </summary>
public static class ViewJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>
    /// Raw UTF-8: Chinese as it is and <c>+</c> as <c>+</c>, not as \u escapes. Names, addresses and timeline entries
    /// are mostly Chinese, and escaping doubles their size and the time to write them. The HTML-safe escaping of the
    /// default encoder guards JSON pasted into a page; these bodies are served as application/json and never are.
    /// Quotes, backslashes and control characters are still escaped, as JSON requires.
    /// </summary>
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Gives <paramref name="options"/> the outside style: the encoder, enums by name and the instant format.</summary>
    public static void Apply(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Encoder = Encoder;
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new Instants.InstantJsonConverter());
        options.Converters.Add(new OrdinalKeysConverter());
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Apply(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// Writes a map's keys in ordinal order: a map read back from jsonb (an inbox row) has lost the order it was built
    /// in, and the same task must be the same document wherever it is served.
    /// </summary>
    private sealed class OrdinalKeysConverter : JsonConverter<IReadOnlyDictionary<string, string>>
    {
        public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("Expected an object of text values.");
            }
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                reader.Read();
                map[key] = reader.GetString() ?? throw new JsonException($"The value of '{key}' is not text.");
            }
            return map;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (key, text) in value.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, text);
            }
            writer.WriteEndObject();
        }
    }
}
