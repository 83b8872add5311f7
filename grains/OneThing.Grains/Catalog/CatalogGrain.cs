using Orleans.Concurrency;

namespace OneThing.Grains.Catalog;

/// <summary>Answers from the silo's own <see cref="ItemCatalog"/>: catalog reads never leave the silo they arrive at.</summary>
[StatelessWorker]
public sealed class CatalogGrain(ItemCatalog catalog) : Grain, ICatalogGrain
{
    public Task<IReadOnlyList<ItemDefinition>> GetItemsAsync() => Task.FromResult(catalog.Latest());

    public Task<ItemDefinition?> GetItemAsync(string code, int? version = null) =>
        Task.FromResult(catalog.Find(code, version));
}
