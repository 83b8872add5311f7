namespace OneThing.Grains.Publishing;

/// <summary>Settings of section <c>OneThing:Catalog</c> that concern what ops publish at run time.</summary>
public sealed class CatalogRefreshOptions
{
    public const string SectionName = "OneThing:Catalog";

    /// <summary>
    /// How often each silo looks for item versions and calendar years published through another silo. The silo that
    /// handles a publish serves it at once; the others within this interval.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
}
