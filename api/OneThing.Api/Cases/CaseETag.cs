using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace OneThing.Api.Cases;

/// <summary>
/// A case document's entity tag: <c>W/"r{revision}"</c>, the number of changes the case has stored. Weak, because two
/// builds may spell the same revision's JSON differently; a revision never comes back with other content.
/// </summary>
public static class CaseETag
{
    public static string Format(int revision) => $"W/\"r{revision}\"";

    /// <summary>
    /// The newest revision named in <c>If-None-Match</c> (revisions only grow, so only the newest can still be current),
    /// <c>int.MaxValue</c> for <c>*</c> (any current document matches), null when the header names none of ours.
    /// </summary>
    public static int? KnownRevision(StringValues ifNoneMatch)
    {
        if (StringValues.IsNullOrEmpty(ifNoneMatch) || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return null;
        }
        int? newest = null;
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any))
            {
                return int.MaxValue;
            }
            var quoted = tag.Tag.AsSpan();
            if (quoted is ['"', 'r', .. var digits, '"'] && int.TryParse(digits, System.Globalization.NumberStyles.None, null, out var revision))
            {
                newest = Math.Max(newest ?? revision, revision);
            }
        }
        return newest;
    }
}
