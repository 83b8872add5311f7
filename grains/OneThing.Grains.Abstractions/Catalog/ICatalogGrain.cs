using OneThing.Contracts.Catalog;
using OneThing.Grains.Common;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Reads the catalog each silo holds (built-in files, validated at start-up, plus the versions ops published) and
/// publishes new versions. A stateless worker: every silo answers reads from its own memory, so catalog reads never
/// converge on one activation; publishing is ordered by PostgreSQL, not by an activation.
/// </summary>
[Alias("onething.ICatalogGrain")]
public interface ICatalogGrain : IGrainWithIntegerKey
{
    /// <summary>The newest version of every item's national base.</summary>
    [Alias("GetItems")]
    Task<IReadOnlyList<ItemDefinition>> GetItemsAsync();

    /// <summary>One item's national base: the newest version, or the one asked for; null when unknown.</summary>
    [Alias("GetItem")]
    Task<ItemDefinition?> GetItemAsync(string code, int? version = null);

    /// <summary>
    /// One item per code as it applies in <paramref name="region"/>: the region's variant where it has one, else the
    /// national base (only national bases without a region), each with the regions that have a variant of it.
    /// </summary>
    [Alias("GetEntries")]
    Task<IReadOnlyList<CatalogEntry>> GetEntriesAsync(string? region);

    /// <summary>
    /// One item as it applies in <paramref name="region"/>: the newest or asked-for version of the region's variant
    /// when the region has one, else of the national base; null when unknown.
    /// </summary>
    [Alias("GetEntry")]
    Task<CatalogEntry?> GetEntryAsync(string code, string? region, int? version);

    /// <summary>
    /// Publishes <paramref name="item"/> as the next version of its variant (its <see cref="ItemDefinition.Region"/>;
    /// null for the national base; its own <see cref="ItemDefinition.Version"/> is ignored). Created with the new
    /// version; Ok with the variant's newest version when that already has this definition (publishing is idempotent);
    /// Invalid with field errors such as <c>matters[2].dependsOn</c> when it cannot run, or <c>region</c> for a variant
    /// of an item that has no national base.
    /// </summary>
    [Alias("Publish")]
    Task<Outcome<ItemDefinition>> PublishAsync(ItemDefinition item);

    /// <summary>Every department (agencies and the companies that own matters), as <c>catalog/departments.json</c> lists them.</summary>
    [Alias("GetDepartments")]
    Task<IReadOnlyList<DepartmentDefinition>> GetDepartmentsAsync();
}
