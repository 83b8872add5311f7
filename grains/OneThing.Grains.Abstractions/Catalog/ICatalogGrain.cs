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
    /// <summary>The newest version of every item.</summary>
    [Alias("GetItems")]
    Task<IReadOnlyList<ItemDefinition>> GetItemsAsync();

    /// <summary>One item: the newest version, or the one asked for; null when unknown.</summary>
    [Alias("GetItem")]
    Task<ItemDefinition?> GetItemAsync(string code, int? version = null);

    /// <summary>
    /// Publishes <paramref name="item"/> as the item's next version (its own <see cref="ItemDefinition.Version"/> is
    /// ignored). Created with the new version; Ok with the newest version when that already has this definition
    /// (publishing is idempotent); Invalid with field errors such as <c>matters[2].dependsOn</c> when it cannot run.
    /// </summary>
    [Alias("Publish")]
    Task<Outcome<ItemDefinition>> PublishAsync(ItemDefinition item);

    /// <summary>Every department (agencies and the companies that own matters), as <c>catalog/departments.json</c> lists them.</summary>
    [Alias("GetDepartments")]
    Task<IReadOnlyList<DepartmentDefinition>> GetDepartmentsAsync();
}
