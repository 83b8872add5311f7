using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Common;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

/// <summary>
/// The <c>region</c> a request names (a query parameter, or the field of an application): absent or empty for none.
/// Channels send what they hold (<c>chongqing</c>, <c>Chongqing</c>, 重庆), so any short text is accepted: it picks
/// the variant whose region code it spells, ignoring case and surrounding blanks, and otherwise the national base.
/// The application keeps the region as sent.
/// </summary>
public static class RegionQuery
{
    public const int MaxLength = 64;

    public static ValidationProblem? Problem(string? region) =>
        Explain(region) is { } error ? JsonBody.Problem("region", error) : null;

    /// <summary>Why <paramref name="region"/> cannot be read as a region; null when it can (or is absent).</summary>
    public static string? Explain(string? region) =>
        region is null || (region.Length <= MaxLength && !region.Any(char.IsControl))
            ? null
            : $"At most {MaxLength} characters without control characters, such as '{RegionCodes.Example}'; leave it out for the national base.";

    /// <summary>The region code to look variants up by: the text trimmed and in lower case; null when absent or blank.</summary>
    public static string? Normalize(string? region) =>
        string.IsNullOrWhiteSpace(region) ? null : region.Trim().ToLowerInvariant();

    /// <summary>The region as the application stores it: as sent, trimmed; null when absent or blank.</summary>
    public static string? AsSent(string? region) => string.IsNullOrWhiteSpace(region) ? null : region.Trim();

    /// <summary>" for region 'chongqing'" in messages; nothing without a region.</summary>
    public static string For(string? region) => string.IsNullOrEmpty(region) ? "" : $" for region '{region}'";
}
