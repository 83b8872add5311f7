using System.Collections.Concurrent;
using OneThing.Contracts.Catalog;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Reads for <see cref="ItemCatalog"/> what it does not hold: one read per (code, region, version) at a time however
/// many callers wait for it, and a key the table did not have is answered null, without reading, for
/// <see cref="ItemCatalog.MissesRememberedFor"/>.
/// </summary>
internal sealed class MissingVersionReader(
    ItemCatalog catalog,
    Func<string, string?, int?, CancellationToken, Task<ItemDefinition?>> loader,
    TimeProvider clock,
    CancellationToken stopping)
{
    private readonly ConcurrentDictionary<Lookup, long> _misses = new();
    private readonly ConcurrentDictionary<Lookup, Lazy<Task<ItemDefinition?>>> _reads = new();

    /// <summary>Whether the table lately had no row for <paramref name="key"/>.</summary>
    public bool IsKnownMissing(Lookup key)
    {
        if (!_misses.TryGetValue(key, out var since))
        {
            return false;
        }
        if (clock.GetElapsedTime(since) < ItemCatalog.MissesRememberedFor)
        {
            return true;
        }
        _misses.TryRemove(KeyValuePair.Create(key, since));
        return false;
    }

    /// <summary>
    /// The row for <paramref name="key"/>, or null, read once for every caller asking meanwhile. The read is shared, so
    /// it ends with the silo (<c>stopping</c>) rather than with any one caller's token, which bounds only that caller's wait.
    /// </summary>
    public Task<ItemDefinition?> ReadAsync(Lookup key, CancellationToken cancellationToken) =>
        _reads.GetOrAdd(key, static (key, reader) => new Lazy<Task<ItemDefinition?>>(() => reader.ReadOnceAsync(key)), this)
            .Value
            .WaitAsync(cancellationToken);

    /// <summary>Published versions arrived: what was missing of their variants may be there now.</summary>
    public void Forget(IEnumerable<ItemDefinition> arrived)
    {
        foreach (var item in arrived)
        {
            foreach (var key in _misses.Keys)
            {
                if (key.Code == item.Code && key.Region == item.Region)
                {
                    _misses.TryRemove(key, out _);
                }
            }
        }
    }

    private async Task<ItemDefinition?> ReadOnceAsync(Lookup key)
    {
        try
        {
            // Off the caller's scheduler from here on: the rest belongs to every waiter, not to the grain that came first.
            var loaded = await loader(key.Code, key.Region, key.Version, stopping).ConfigureAwait(false);
            if (loaded is null)
            {
                Remember(key);
            }
            else
            {
                catalog.AddPublished([loaded]);
            }
            return loaded;
        }
        finally
        {
            // After the result is in the snapshot or the misses: a caller arriving now finds it there.
            _reads.TryRemove(key, out _);
        }
    }

    private void Remember(Lookup key)
    {
        if (_misses.Count >= ItemCatalog.MostMissesRemembered)
        {
            foreach (var (old, since) in _misses)
            {
                if (clock.GetElapsedTime(since) >= ItemCatalog.MissesRememberedFor)
                {
                    _misses.TryRemove(KeyValuePair.Create(old, since));
                }
            }
            // Full of recent misses (someone asking for many codes that do not exist): this one is simply read again.
            if (_misses.Count >= ItemCatalog.MostMissesRemembered)
            {
                return;
            }
        }
        _misses[key] = clock.GetTimestamp();
    }
}

/// <summary>What a caller asked the catalog for: a variant (region null for the national base) and a version, null for the newest.</summary>
internal readonly record struct Lookup(string Code, string? Region, int? Version);
