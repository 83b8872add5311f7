using Microsoft.Extensions.Logging;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Publishing;
using Orleans.Concurrency;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Answers from the silo's own <see cref="ItemCatalog"/>: catalog reads never leave the silo they arrive at, except
/// for what it does not hold yet, read asynchronously from the table of published versions. Publishing needs no single
/// activation either: PostgreSQL numbers the versions under a lock per item code.
/// </summary>
[StatelessWorker]
public sealed partial class CatalogGrain(ItemCatalog catalog, PublishedItemStore store, ILogger<CatalogGrain> logger) : Grain, ICatalogGrain
{
    public Task<IReadOnlyList<ItemDefinition>> GetItemsAsync() => Task.FromResult(catalog.Latest());

    public Task<ItemDefinition?> GetItemAsync(string code, int? version = null) =>
        catalog.FindVariantAsync(code, null, version).AsTask();

    public Task<IReadOnlyList<CatalogEntry>> GetEntriesAsync(string? region) =>
        Task.FromResult<IReadOnlyList<CatalogEntry>>(catalog.Latest(region).Select(Entry).ToList());

    public async Task<CatalogEntry?> GetEntryAsync(string code, string? region, int? version) =>
        await catalog.FindAsync(code, region, version) is { } item ? Entry(item) : null;

    public Task<IReadOnlyList<DepartmentDefinition>> GetDepartmentsAsync() => Task.FromResult(catalog.Departments);

    public async Task<Outcome<ItemDefinition>> PublishAsync(ItemDefinition item)
    {
        ArgumentNullException.ThrowIfNull(item);
        // The version is the server's to assign, so whatever the sender put there is not a problem of the item.
        var problems = CatalogValidator.ValidateFields(item with { Version = 1 }, catalog.DepartmentCodes);
        if (problems.Count > 0)
        {
            return Outcome<ItemDefinition>.Invalid(problems
                .GroupBy(problem => problem.Field, StringComparer.Ordinal)
                .ToDictionary(group => group.Key, group => group.Select(problem => problem.Message).ToArray(), StringComparer.Ordinal));
        }
        // Every item keeps a national base, which regions without a variant of their own get; it may have been
        // published through another silo a moment ago.
        if (item.Region is not null && await catalog.FindVariantAsync(item.Code, null) is null)
        {
            return Outcome<ItemDefinition>.Invalid("region",
                $"Item '{item.Code}' has no national base: publish it without a region first, then its variant for '{item.Region}'.");
        }

        // Numbered and compared within its own variant: a Chongqing version never moves the national base's newest.
        // What this silo holds is enough: the store compares with the variant's newest row itself.
        var (published, created) = await store.PublishAsync(item, catalog.FindVariant(item.Code, item.Region));
        // Served here at once; the other silos pick it up at their next refresh.
        catalog.AddPublished([published]);
        var served = catalog.FindVariant(published.Code, published.Region, published.Version) ?? published;
        if (created)
        {
            LogPublished(published.Code, RegionCodes.Describe(published.Region), published.Version);
            return Outcome<ItemDefinition>.Created(served);
        }
        return Outcome<ItemDefinition>.Ok(served);
    }

    private CatalogEntry Entry(ItemDefinition item) => new(item, catalog.Regions(item.Code));

    [LoggerMessage(Level = LogLevel.Information, Message = "Item {Code} ({Region}) v{Version} published")]
    private partial void LogPublished(string code, string region, int version);
}
