using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Publishing;

namespace OneThing.Api.Catalog;

/// <summary>
/// The item a submission in a region runs, remembered for <c>OneThing:Catalog:RefreshInterval</c>: a submission then
/// costs one grain call (the case's), not two. A silo learns versions published through another silo within the same
/// interval, so this adds no staleness of a new kind; a publish through this API forgets the item at once.
/// </summary>
public sealed class LatestItems(IClusterClient cluster, TimeProvider clock, IOptions<CatalogRefreshOptions> options)
{
    // Only items that exist are remembered, under a region the API has validated: at most items × regions entries.
    private readonly ConcurrentDictionary<(string Code, string? Region), (CatalogEntry Entry, DateTimeOffset Until)> _entries = new();

    /// <summary>The newest version of <paramref name="code"/> that applies in <paramref name="region"/>; null when none exists.</summary>
    public async Task<CatalogEntry?> FindAsync(string code, string? region)
    {
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue((code, region), out var known) && known.Until > now)
        {
            return known.Entry;
        }
        var entry = await cluster.Reference<ICatalogGrain>(0).GetEntryAsync(code, region, null);
        if (entry is not null)
        {
            _entries[(code, region)] = (entry, now + options.Value.RefreshInterval);
        }
        return entry;
    }

    /// <summary>After a publish through this API: the next submission asks the catalog again.</summary>
    public void Forget(string code)
    {
        foreach (var key in _entries.Keys.Where(key => key.Code == code))
        {
            _entries.TryRemove(key, out _);
        }
    }
}

public static class LatestItemsServices
{
    public static IServiceCollection AddLatestItems(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CatalogRefreshOptions>().BindConfiguration(CatalogRefreshOptions.SectionName);
        services.AddSingleton<LatestItems>();
        return services;
    }
}
