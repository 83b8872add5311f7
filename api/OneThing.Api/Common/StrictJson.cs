using OneThing.Grains.Validation;
using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace OneThing.Api.Common;

/// <summary>
/// What a JSON parser lets through and the stored case must not hold: bytes that are not UTF-8, escaped lone
/// surrogates (<c>\ud800</c>), control characters (tab, CR and LF only in free text), and null entries of lists. One
/// forward pass over the body's bytes with <see cref="Utf8JsonReader"/>; the path of a flaw is spelt out only when
/// there is one.
/// </summary>
public static class StrictJson
{
    public const int MaxDepth = 64;

    /// <summary>Where a free-text property's string value may hold tab, CR and LF: text written for a person to read.</summary>
    public static bool IsFreeTextName(ReadOnlySpan<byte> utf8Name) =>
        utf8Name.SequenceEqual("reason"u8) || utf8Name.SequenceEqual("note"u8) || utf8Name.SequenceEqual("comment"u8)
        || utf8Name.SequenceEqual("resolution"u8) || utf8Name.SequenceEqual("address"u8) || utf8Name.SequenceEqual("description"u8);

    /// <summary>The first flaw of <paramref name="json"/> as (field, error), or null when it has none.</summary>
    public static (string Field, string Error)? Check(ReadOnlySpan<byte> json)
    {
        var frames = ArrayPool<Frame>.Shared.Rent(MaxDepth + 1);
        try
        {
            return Scan(json, frames);
        }
        catch (JsonException error)
        {
            return ("body", $"The body is not valid JSON: {error.Message}");
        }
        finally
        {
            ArrayPool<Frame>.Shared.Return(frames);
        }
    }

    /// <summary>The path of the first property given twice in one object (at any depth), or null when there is none.</summary>
    public static string? FindDuplicate(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var frames = new List<(HashSet<string>? Names, int Index, string? Name)>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        continue;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        var frame = frames[^1];
                        if (!frame.Names!.Add(name))
                        {
                            frames[^1] = frame with { Name = name };
                            return PathOf(frames.Select(f => (f.Names is null, f.Index, f.Name)));
                        }
                        frames[^1] = frame with { Name = name };
                        continue;
                }
                if (frames.Count > 0 && frames[^1].Names is null)
                {
                    frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
                }
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    frames.Add((reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null, -1, null));
                }
            }
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            return null;
        }
        return null;
    }

    private static (string Field, string Error)? Scan(ReadOnlySpan<byte> json, Frame[] frames)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var depth = -1;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                depth--;
                continue;
            }
            if (token == JsonTokenType.PropertyName)
            {
                ref var frame = ref frames[depth];
                frame.HasName = true;
                frame.NameStart = (int)reader.TokenStartIndex + 1;
                frame.NameLength = reader.ValueSpan.Length;
                frame.NameEscaped = reader.ValueIsEscaped;
                if (Explain(ref reader, freeText: false) is { } nameFlaw)
                {
                    return Flaw(json, frames, depth, nameFlaw);
                }
                continue;
            }
            if (depth >= 0 && frames[depth].IsArray)
            {
                frames[depth].Index++;
            }
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                frames[++depth] = new Frame { IsArray = token == JsonTokenType.StartArray, Index = -1 };
            }
            else if (token == JsonTokenType.Null && depth >= 0 && frames[depth].IsArray)
            {
                // The serializer reads a null entry into a list of records or texts as null, and no list of the
                // contract holds one: refused here, once for every body, before any handler meets it.
                return (PathOf(json, frames, depth), "Must not be null: a list's entries are values.");
            }
            else if (token == JsonTokenType.String)
            {
                var owner = depth >= 0 ? frames[depth] : default;
                var freeText = owner is { IsArray: false, HasName: true, NameEscaped: false }
                    && IsFreeTextName(json.Slice(owner.NameStart, owner.NameLength));
                if (Explain(ref reader, freeText) is { } flaw)
                {
                    return Flaw(json, frames, depth, flaw);
                }
            }
        }
        return null;
    }

    private static (string Field, string Error) Flaw(ReadOnlySpan<byte> json, Frame[] frames, int depth, TextProblem problem) => problem switch
    {
        TextProblem.InvalidUtf8 => ("body", "The body is not valid UTF-8."),
        TextProblem.LoneSurrogate => (PathOf(json, frames, depth), "Must be valid Unicode text: an unpaired surrogate (such as \\ud800) is not a character."),
        TextProblem.ControlInFreeText => (PathOf(json, frames, depth), "Must not contain control characters other than tab, CR and LF."),
        _ => (PathOf(json, frames, depth), "Must not contain control characters (U+0000 to U+001F, U+007F)."),
    };

    private static TextProblem? Explain(ref Utf8JsonReader reader, bool freeText)
    {
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            // Printable ASCII, the common case: the reader has already refused raw control bytes below 0x20.
            if (raw.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0)
            {
                return null;
            }
            return !Utf8.IsValid(raw) ? TextProblem.InvalidUtf8 : raw.Contains((byte)0x7F) ? TextProblem.Control : null;
        }
        if (!Utf8.IsValid(raw))
        {
            return TextProblem.InvalidUtf8;
        }

        char[]? rented = null;
        Span<char> text = raw.Length <= 256 ? stackalloc char[raw.Length] : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            int length;
            try
            {
                length = reader.CopyString(text);
            }
            catch (InvalidOperationException)
            {
                return TextProblem.LoneSurrogate;
            }
            return TextRules.Explain(text[..length], freeText);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static string PathOf(ReadOnlySpan<byte> json, Frame[] frames, int depth)
    {
        var segments = new List<(bool IsArray, int Index, string? Name)>(depth + 1);
        for (var i = 0; i <= depth; i++)
        {
            var frame = frames[i];
            segments.Add((frame.IsArray, frame.Index, frame.HasName ? NameOf(json.Slice(frame.NameStart, frame.NameLength), frame.NameEscaped) : null));
        }
        return PathOf(segments);
    }

    private static string PathOf(IEnumerable<(bool IsArray, int Index, string? Name)> frames)
    {
        var path = new StringBuilder();
        foreach (var (isArray, index, name) in frames)
        {
            if (isArray && index >= 0)
            {
                path.Append('[').Append(index).Append(']');
            }
            else if (!isArray && name is not null)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }
                path.Append(JsonBody.Shorten(name));
            }
        }
        return path.Length == 0 ? "body" : path.ToString();
    }

    /// <summary>A property name as text, for an error key; a name that cannot be read shows as <c>?</c>.</summary>
    private static string NameOf(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (!escaped)
        {
            return Encoding.UTF8.GetString(raw);
        }
        var quoted = new byte[raw.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        raw.CopyTo(quoted.AsSpan(1));
        var reader = new Utf8JsonReader(quoted);
        try
        {
            reader.Read();
            return TextRules.Explain(reader.GetString(), freeText: false) is null ? reader.GetString()! : "?";
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public bool HasName;
        public bool NameEscaped;
        public int NameStart;
        public int NameLength;
    }
}
