using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Common;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

/// <summary>
/// The <c>region</c> a request names (a query parameter, or the field of an application): absent or empty for none,
/// otherwise a region code. A region that cannot be one is refused rather than read as "no region", which would
/// quietly hand the applicant the national base.
/// </summary>
public static class RegionQuery
{
    public static ValidationProblem? Problem(string? region) =>
        Explain(region) is { } error ? JsonBody.Problem("region", error) : null;

    /// <summary>Why <paramref name="region"/> cannot name a region; null when it can (or is absent).</summary>
    public static string? Explain(string? region) =>
        string.IsNullOrEmpty(region) || RegionCodes.IsValid(region) ? null : $"Must be {RegionCodes.Rule}, or left out for the national base.";

    public static string? Normalize(string? region) => string.IsNullOrEmpty(region) ? null : region;

    /// <summary>" for region 'chongqing'" in messages; nothing without a region.</summary>
    public static string For(string? region) => string.IsNullOrEmpty(region) ? "" : $" for region '{region}'";
}
