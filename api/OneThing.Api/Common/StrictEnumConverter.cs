using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Api.Common;

/// <summary>
/// Reads an enum of a request body only as one of the exact names <see cref="RequestJson"/> writes (<c>"online"</c>):
/// the serializer's own string-enum converter also takes numbers (<c>1</c>, <c>"1"</c>, even values no member has),
/// surrounding blanks and comma-joined lists, and each of those would reach the case as a valid channel or kind.
/// </summary>
public sealed class StrictEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)typeof(Names<>).MakeGenericType(typeToConvert).GetField(nameof(Names<>.Instance))!.GetValue(null)!;

    /// <summary>A member's name as the contract spells it (<see cref="Contracts.Cases.Channel.Online"/> → <c>online</c>).</summary>
    public static string NameOf<T>(T value) where T : struct, Enum => Names<T>.Instance.NameOf(value);

    /// <summary>The names of an enum's members as the contract spells them, for a refusal to list; null for other types.</summary>
    public static IReadOnlyList<string>? NamesOf(JsonSerializerOptions options, Type type)
    {
        ArgumentNullException.ThrowIfNull(options);
        return type.IsEnum && options.GetConverter(type) is INames names ? names.All : null;
    }

    private interface INames
    {
        IReadOnlyList<string> All { get; }
    }

    private sealed class Names<T> : JsonConverter<T>, INames where T : struct, Enum
    {
        public static readonly Names<T> Instance = new();

        private readonly T[] _values = Enum.GetValues<T>();
        private readonly string[] _names;
        private readonly byte[][] _utf8;

        private Names()
        {
            // Each name as the contract's own converter writes it: the enum's attributes stay its one definition.
            var type = RequestJson.Default.Options.GetTypeInfo(typeof(T));
            _names = [.. _values.Select(value => ReadString(JsonSerializer.SerializeToUtf8Bytes(value, type)))];
            _utf8 = [.. _names.Select(Encoding.UTF8.GetBytes)];
        }

        public IReadOnlyList<string> All => _names;

        public string NameOf(T value) => _names[Array.IndexOf(_values, value)];

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                for (var i = 0; i < _utf8.Length; i++)
                {
                    if (reader.ValueTextEquals(_utf8[i]))
                    {
                        return _values[i];
                    }
                }
            }
            throw new JsonException($"One of: {string.Join(", ", _names)}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(_utf8[Array.IndexOf(_values, value)]);
        }

        private static string ReadString(byte[] json)
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            return reader.GetString()!;
        }
    }
}
