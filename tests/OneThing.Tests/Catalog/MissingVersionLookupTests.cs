using Microsoft.Extensions.Time.Testing;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Tests.Catalog;

/// <summary>
/// What a silo does when asked for an item version it does not hold: the synchronous look-ups answer from memory
/// only, the asynchronous ones read the table once per (code, region, version) however many ask at once, and a key
/// the table does not have is remembered as missing for <see cref="ItemCatalog.MissesRememberedFor"/>.
/// </summary>
public sealed class MissingVersionLookupTests
{
    private static ItemCatalog FreshCatalog() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory);

    [Fact]
    public void SynchronousLookupsNeverAskTheTable()
    {
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable();
        table.Publish(catalog.Find("newborn")! with { Version = 3 });
        catalog.LoadMissingVersionsFrom(table.FindAsync);

        Assert.Null(catalog.Find("newborn", 3));
        Assert.Null(catalog.FindVariant("newborn", null, 3));
        Assert.Null(catalog.Find("no-such-item"));
        Assert.Null(catalog.Find("newborn", "chongqing", 9));
        Assert.Null(catalog.FindVariant("newborn", "guangdong", 1));
        Assert.Null(catalog.Find("newborn", "guangdong", 1)!.Region);
        Assert.Equal(0, table.Reads);
    }

    [Fact]
    public async Task AMissIsReadOnceWithinTheWindowAndAgainAfterIt()
    {
        var clock = new FakeTimeProvider();
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable();
        catalog.LoadMissingVersionsFrom(table.FindAsync, clock);

        for (var i = 0; i < 20; i++)
        {
            Assert.Null(await catalog.FindVariantAsync("newborn", null, 9));
            Assert.Null(await catalog.FindAsync("no-such-item", "chongqing"));
        }
        Assert.Equal(2, table.Reads);

        clock.Advance(ItemCatalog.MissesRememberedFor - TimeSpan.FromMilliseconds(1));
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 9));
        Assert.Equal(2, table.Reads);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 9));
        Assert.Equal(3, table.Reads);
        // Each (code, region, version) is its own miss.
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 8));
        Assert.Null(await catalog.FindVariantAsync("newborn", "chongqing", 9));
        Assert.Equal(5, table.Reads);
    }

    [Fact]
    public async Task AVersionPublishedElsewhereAfterAMissIsFoundOnceTheWindowEnds()
    {
        var clock = new FakeTimeProvider();
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable();
        catalog.LoadMissingVersionsFrom(table.FindAsync, clock);
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 3));

        table.Publish(catalog.Find("newborn")! with { Version = 3, Name = "新生儿出生一件事（新版）" });

        Assert.Null(await catalog.FindVariantAsync("newborn", null, 3));
        clock.Advance(ItemCatalog.MissesRememberedFor);
        var found = await catalog.FindVariantAsync("newborn", null, 3);
        Assert.Equal("新生儿出生一件事（新版）", found!.Name);
        // Read once, then held like any published version.
        Assert.Same(found, catalog.Find("newborn", 3));
        Assert.Same(found, await catalog.FindVariantAsync("newborn", null, 3));
        Assert.Equal(2, table.Reads);
    }

    [Fact]
    public async Task AVersionArrivingWithTheRefreshEndsTheRememberedMissesOfItsVariant()
    {
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable();
        catalog.LoadMissingVersionsFrom(table.FindAsync, new FakeTimeProvider());
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 3));
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 4));
        Assert.Null(await catalog.FindVariantAsync("retirement", null, 9));
        var v3 = catalog.Find("newborn")! with { Version = 3 };
        var v4 = v3 with { Version = 4 };
        table.Publish(v3);
        table.Publish(v4);

        catalog.AddPublished([v3]);

        Assert.Equal(3, (await catalog.FindVariantAsync("newborn", null, 3))!.Version);
        Assert.Equal(3, table.Reads);
        // Its variant may have more versions now: they are read again; other variants' misses stand.
        Assert.Equal(4, (await catalog.FindVariantAsync("newborn", null, 4))!.Version);
        Assert.Null(await catalog.FindVariantAsync("retirement", null, 9));
        Assert.Equal(4, table.Reads);
    }

    [Fact]
    public async Task CallersAskingForTheSameMissingVersionAtOnceShareOneRead()
    {
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable { Held = true };
        table.Publish(catalog.Find("newborn", "chongqing")! with { Version = 3 });
        catalog.LoadMissingVersionsFrom(table.FindAsync);

        var waiting = Enumerable.Range(0, 8).Select(_ => catalog.FindVariantAsync("newborn", "chongqing", 3).AsTask()).ToList();
        Assert.All(waiting, call => Assert.False(call.IsCompleted));
        table.Release();
        var found = await Task.WhenAll(waiting);

        Assert.Equal(1, table.Reads);
        Assert.All(found, item => Assert.Same(catalog.FindVariant("newborn", "chongqing", 3), item));
    }

    [Fact]
    public async Task ACallerThatGivesUpLeavesTheReadToTheOthers()
    {
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable { Held = true };
        table.Publish(catalog.Find("newborn")! with { Version = 3 });
        catalog.LoadMissingVersionsFrom(table.FindAsync);
        using var impatient = new CancellationTokenSource();

        var first = catalog.FindVariantAsync("newborn", null, 3, impatient.Token).AsTask();
        var second = catalog.FindVariantAsync("newborn", null, 3).AsTask();
        await impatient.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        table.Release();
        Assert.Equal(3, (await second)!.Version);
        Assert.Equal(1, table.Reads);
    }

    [Fact]
    public async Task AFailedReadIsNotRememberedAsAMiss()
    {
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable { Failing = true };
        table.Publish(catalog.Find("newborn")! with { Version = 3 });
        catalog.LoadMissingVersionsFrom(table.FindAsync, new FakeTimeProvider());

        await Assert.ThrowsAsync<InvalidOperationException>(() => catalog.FindVariantAsync("newborn", null, 3).AsTask());
        table.Failing = false;

        Assert.Equal(3, (await catalog.FindVariantAsync("newborn", null, 3))!.Version);
        Assert.Equal(2, table.Reads);
    }

    [Fact]
    public async Task MissesBeyondTheBoundAreReadAgain()
    {
        var clock = new FakeTimeProvider();
        var catalog = FreshCatalog();
        var table = new PublishedVersionsTable();
        catalog.LoadMissingVersionsFrom(table.FindAsync, clock);
        for (var version = 100; version < 100 + ItemCatalog.MostMissesRemembered; version++)
        {
            Assert.Null(await catalog.FindVariantAsync("newborn", null, version));
        }
        var reads = table.Reads;

        Assert.Null(await catalog.FindVariantAsync("newborn", null, 100));
        Assert.Equal(reads, table.Reads);
        Assert.Null(await catalog.FindVariantAsync("no-such-item", null, 1));
        Assert.Null(await catalog.FindVariantAsync("no-such-item", null, 1));
        Assert.Equal(reads + 2, table.Reads);
        // Once the remembered misses are old, they make room.
        clock.Advance(ItemCatalog.MissesRememberedFor);
        Assert.Null(await catalog.FindVariantAsync("no-such-item", null, 1));
        Assert.Null(await catalog.FindVariantAsync("no-such-item", null, 1));
        Assert.Equal(reads + 3, table.Reads);
    }

    /// <summary>Stands in for <c>onething_published_items</c>: counts its reads, and can hold them or fail them.</summary>
    private sealed class PublishedVersionsTable
    {
        private readonly List<ItemDefinition> _rows = [];
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public bool Held { get; init; }

        public bool Failing { get; set; }

        public int Reads => Volatile.Read(ref _reads);

        public void Publish(ItemDefinition item)
        {
            lock (_rows)
            {
                _rows.Add(item);
            }
        }

        public void Release() => _released.TrySetResult();

        public async Task<ItemDefinition?> FindAsync(string code, string? region, int? version, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            if (Held)
            {
                await _released.Task.WaitAsync(cancellationToken);
            }
            if (Failing)
            {
                throw new InvalidOperationException("the database is away");
            }
            lock (_rows)
            {
                return _rows
                    .Where(row => row.Code == code && row.Region == region && (version is null || row.Version == version))
                    .MaxBy(row => row.Version);
            }
        }
    }
}
