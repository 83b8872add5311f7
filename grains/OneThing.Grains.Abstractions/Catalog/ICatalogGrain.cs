namespace OneThing.Grains.Catalog;

/// <summary>
/// Reads the catalog each silo loaded and validated at start-up. A stateless worker: every silo answers from its
/// own memory, so catalog reads never converge on one activation.
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
}
