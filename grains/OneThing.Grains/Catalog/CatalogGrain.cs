using Microsoft.Extensions.Logging;
using OneThing.Grains.Common;
using OneThing.Grains.Publishing;
using Orleans.Concurrency;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Answers from the silo's own <see cref="ItemCatalog"/>: catalog reads never leave the silo they arrive at.
/// Publishing needs no single activation either: PostgreSQL numbers the versions under a lock per item code.
/// </summary>
[StatelessWorker]
public sealed partial class CatalogGrain(ItemCatalog catalog, PublishedItemStore store, ILogger<CatalogGrain> logger) : Grain, ICatalogGrain
{
    public Task<IReadOnlyList<ItemDefinition>> GetItemsAsync() => Task.FromResult(catalog.Latest());

    public Task<ItemDefinition?> GetItemAsync(string code, int? version = null) =>
        Task.FromResult(catalog.Find(code, version));

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

        var (published, created) = await store.PublishAsync(item, catalog.Find(item.Code));
        // Served here at once; the other silos pick it up at their next refresh.
        catalog.AddPublished([published]);
        if (created)
        {
            LogPublished(published.Code, published.Version);
            return Outcome<ItemDefinition>.Created(catalog.Find(published.Code, published.Version) ?? published);
        }
        return Outcome<ItemDefinition>.Ok(catalog.Find(published.Code, published.Version) ?? published);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Item {Code} v{Version} published")]
    private partial void LogPublished(string code, int version);
}
