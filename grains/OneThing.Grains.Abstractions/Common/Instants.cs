using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Grains.Common;

/// <summary>
/// How an instant is written in every JSON the system sends out: RFC 3339 in Beijing time, to the millisecond, e.g.
/// <c>2026-12-05T19:04:05.123+08:00</c>. One form, so the same instant read from a grain, a read-model row or an event
/// is the same string wherever it appears; milliseconds, because PostgreSQL keeps microseconds and .NET ticks.
/// Reading accepts any RFC 3339 offset.
/// </summary>
public static class Instants
{
    public static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);

    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fffzzz";

    /// <summary>The instant in Beijing time, cut to the millisecond.</summary>
    public static DateTimeOffset ToBeijing(DateTimeOffset instant)
    {
        var beijing = instant.ToOffset(BeijingOffset);
        return beijing.AddTicks(-(beijing.Ticks % TimeSpan.TicksPerMillisecond));
    }

    public static string Format(DateTimeOffset instant) => ToBeijing(instant).ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="text"/> is an RFC 3339 date-time with an offset (or Z).</summary>
    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        return text is { Length: >= 20 } && text[10] is 'T' or 't'
            && (text[^1] is 'Z' or 'z' || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }

    /// <summary>Writes <see cref="DateTimeOffset"/> as <see cref="Format"/> does; registered once in <see cref="ViewJson.Apply"/>.</summary>
    public sealed class InstantJsonConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        {
            // Formatted on the stack: instants are in every row of every page.
            Span<char> text = stackalloc char[32];
            ToBeijing(value).TryFormat(text, out var written, Pattern, CultureInfo.InvariantCulture);
            writer.WriteStringValue(text[..written]);
        }

        public override DateTimeOffset ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WritePropertyName(Format(value));
    }
}
