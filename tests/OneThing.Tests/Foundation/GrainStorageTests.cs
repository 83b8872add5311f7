using Microsoft.Extensions.DependencyInjection;
using OneThing.Grains.Hosting;
using OneThing.Tests.Fixtures;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace OneThing.Tests.Foundation;

/// <summary>One two-silo cluster on PostgreSQL and the API in front of it, shared by the tests that leave it whole.</summary>
public sealed class TwoSiloClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    /// <summary>The API host as a client of this cluster.</summary>
    public OneThingApiFactory Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Cluster, ConnectionString) = await PostgresTestCluster.StartAsync(2, "two_silos");
        Api = new OneThingApiFactory(Cluster, ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class TwoSiloClusterCollection : ICollectionFixture<TwoSiloClusterFixture>
{
    public const string Name = "two-silo cluster";
}

[Collection(TwoSiloClusterCollection.Name)]
public sealed class GrainStorageTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public async Task TwoSilosFormOneClusterThroughPostgresMembership()
    {
        var hosts = await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);

        Assert.Equal(2, hosts.Count);
        Assert.Equal(2L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @cluster AND status = 3",
            ("cluster", fixture.Cluster.Options.ClusterId)));
    }

    [Fact]
    public async Task StateIsStoredAsJsonThatOpsCanRead()
    {
        var key = $"json-{Guid.NewGuid():N}";
        await fixture.Cluster.Client.GetGrain<ICounterGrain>(key).IncrementAsync("readable");

        var note = await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT convert_from(payloadbinary, 'UTF8')::jsonb ->> 'LastNote' FROM orleansstorage WHERE graintypestring = 'test-counter' AND grainidextensionstring = @key",
            ("key", key));

        Assert.Equal("readable", note);
    }

    [Fact]
    public async Task ChineseTextIsStoredAsItIsNotAsEscapes()
    {
        var key = $"cjk-{Guid.NewGuid():N}";
        await fixture.Cluster.Client.GetGrain<ICounterGrain>(key).IncrementAsync("出生医学证明 <b>");

        var stored = (string?)await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE graintypestring = 'test-counter' AND grainidextensionstring = @key",
            ("key", key));

        // Half the bytes of \uXXXX escapes, and what ops see in psql; characters that matter in HTML stay escaped.
        Assert.Contains("出生医学证明 \\u003Cb\\u003E", stored);
    }

    [Fact]
    public async Task WritingWithStaleEtagRaisesInconsistentStateException()
    {
        var storage = Storage();
        var grainId = GrainId.Create("test-etag", Guid.NewGuid().ToString("N"));

        var first = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync("test-etag", grainId, first);
        var staleEtag = first.ETag;
        await storage.WriteStateAsync("test-etag", grainId, first);
        var stale = new GrainState<CounterState>(new CounterState { Count = 99 }) { ETag = staleEtag, RecordExists = true };
        var blind = new GrainState<CounterState>(new CounterState { Count = 100 });

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("test-etag", grainId, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("test-etag", grainId, blind));
        var stored = new GrainState<CounterState>();
        await storage.ReadStateAsync("test-etag", grainId, stored);
        Assert.Equal(1, stored.State!.Count);
        Assert.Equal(first.ETag, stored.ETag);
    }

    [Fact]
    public async Task ClearedStateReadsAsNewAndCanBeWrittenAgain()
    {
        var storage = Storage();
        var grainId = GrainId.Create("test-clear", Guid.NewGuid().ToString("N"));
        var state = new GrainState<CounterState>(new CounterState { Count = 5 });
        await storage.WriteStateAsync("test-clear", grainId, state);

        await storage.ClearStateAsync("test-clear", grainId, state);
        var read = new GrainState<CounterState>();
        await storage.ReadStateAsync("test-clear", grainId, read);
        await storage.WriteStateAsync("test-clear", grainId, read);

        Assert.Equal(0, read.State!.Count);
        Assert.NotNull(read.ETag);
    }

    private IGrainStorage Storage() =>
        fixture.Cluster.Silos.OfType<InProcessSiloHandle>().First().ServiceProvider
            .GetRequiredKeyedService<IGrainStorage>(GrainStorage.Main);
}
