using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using OneThing.Contracts;

namespace OneThing.Api.Common;

/// <summary>
/// Reads an open map of a request (a task's outputs, a supply's form) as one element over one document, not a
/// dictionary with a document per value: complete is on every lifecycle's path, and the serializer's own reading of a
/// map allocated several times what the map holds. A name given twice is refused, as everywhere in a body.
/// </summary>
public sealed class OpenMapConverter : JsonConverter<IReadOnlyDictionary<string, JsonElement>>
{
    /// <summary>
    /// <see cref="RequestJson"/> as the API reads bodies: the same contract, its open maps read by this converter and
    /// its enums by <see cref="StrictEnumConverter"/>.
    /// </summary>
    public static readonly RequestJson Requests = new(new JsonSerializerOptions(RequestJson.Default.Options)
    {
        Converters = { new OpenMapConverter(), new StrictEnumConverter() },
    });

    public override IReadOnlyDictionary<string, JsonElement> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An object of name → value is expected.");
        }
        var map = new ElementMap(JsonElement.ParseValue(ref reader));
        if (map.HasDuplicate())
        {
            throw new JsonException("A name is given more than once.");
        }
        return map;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, JsonElement> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        foreach (var (name, element) in value)
        {
            writer.WritePropertyName(name);
            element.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>A JSON object as a read-only map, its names read as they are asked for.</summary>
    internal sealed class ElementMap(JsonElement element) : IReadOnlyDictionary<string, JsonElement>
    {
        private readonly int _count = element.GetPropertyCount();

        /// <summary>The object itself, to walk without an enumerator object.</summary>
        public JsonElement Element => element;

        public int Count => _count;

        public JsonElement this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => element.EnumerateObject().Select(property => property.Name);

        public IEnumerable<JsonElement> Values => element.EnumerateObject().Select(property => property.Value);

        public bool ContainsKey(string key) => element.TryGetProperty(key, out _);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out JsonElement value) => element.TryGetProperty(key, out value);

        public IEnumerator<KeyValuePair<string, JsonElement>> GetEnumerator() => new Enumerator(element.EnumerateObject());

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public bool HasDuplicate()
        {
            if (_count < 2)
            {
                return false;
            }
            var later = element.EnumerateObject();
            for (var index = 0; later.MoveNext(); index++)
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(later.Current);
                var earlier = element.EnumerateObject();
                for (var before = 0; before < index && earlier.MoveNext(); before++)
                {
                    // Raw names compare without allocating; an escaped one is compared as text.
                    if (name.Contains((byte)'\\') ? earlier.Current.NameEquals(later.Current.Name) : earlier.Current.NameEquals(name))
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        private sealed class Enumerator(JsonElement.ObjectEnumerator properties) : IEnumerator<KeyValuePair<string, JsonElement>>
        {
            private JsonElement.ObjectEnumerator _properties = properties;

            public KeyValuePair<string, JsonElement> Current => new(_properties.Current.Name, _properties.Current.Value);

            object IEnumerator.Current => Current;

            public bool MoveNext() => _properties.MoveNext();

            public void Reset() => _properties.Reset();

            public void Dispose() => _properties.Dispose();
        }
    }
}
