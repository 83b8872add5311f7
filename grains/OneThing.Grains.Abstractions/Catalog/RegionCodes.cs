using System.Text.RegularExpressions;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Region codes name a regional variant of an item and the region a case is filed in: lowercase kebab-case such as
/// <c>chongqing</c> or <c>shanghai-pudong</c>. No region (null) means the national base.
/// </summary>
public static partial class RegionCodes
{
    public const string Rule = "a region code in lowercase kebab-case, like 'chongqing'";

    public const string Example = "chongqing";

    public static bool IsValid(string? region) => region is not null && Pattern().IsMatch(region);

    /// <summary>How logs and messages name a variant: the region, or <c>national</c> for the base.</summary>
    public static string Describe(string? region) => region ?? "national";

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
