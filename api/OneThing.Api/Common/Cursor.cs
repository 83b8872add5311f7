using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace OneThing.Api.Common;

/// <summary>
/// Keyset cursors: the sort key of the last row a page served, opaque to clients (base64url of a versioned text), so
/// the next page starts after it in one index range however deep it is. A cursor that does not decode is a 400.
/// </summary>
public static class Cursor
{
    private const string Version = "k1";

    /// <summary>A time (to the microsecond, as PostgreSQL stores it; none for a row without one) and an id.</summary>
    public static string Encode(DateTimeOffset? at, string id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $"{Version}|{(at is { } t ? (t.UtcTicks / 10).ToString(CultureInfo.InvariantCulture) : "-")}|{id}"));

    /// <summary>The cursor's time and id; false (with an error for <paramref name="name"/>) when it is not one of ours.</summary>
    public static bool TryDecode(string? text, string name, FieldErrors errors, out DateTimeOffset? at, out string id)
    {
        ArgumentNullException.ThrowIfNull(errors);
        at = null;
        id = "";
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('|', 3);
            if (parts.Length == 3 && parts[0] == Version && parts[2].Length is > 0 and <= 200)
            {
                if (parts[1] == "-")
                {
                    id = parts[2];
                    return true;
                }
                if (long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var micros) && micros <= DateTimeOffset.MaxValue.UtcTicks / 10)
                {
                    at = new DateTimeOffset(micros * 10, TimeSpan.Zero);
                    id = parts[2];
                    return true;
                }
            }
        }
        catch (FormatException)
        {
            // Reported below as any other cursor that is not ours.
        }
        errors.Add(name, "Not a cursor this API gave out: pass nextCursor as it came.");
        return false;
    }
}
