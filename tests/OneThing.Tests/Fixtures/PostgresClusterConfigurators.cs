using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OneThing.Grains.Cases;
using OneThing.Grains.ReadModels;
using Orleans.Runtime;
using OneThing.Silo.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Test silos run the production wiring: PostgreSQL membership, grain storage and reminders on the fixture's
/// database (configuration key <c>ConnectionStrings:OneThing</c>).
/// </summary>
public sealed class PostgresSiloConfigurator : ISiloConfigurator
{
    /// <summary>Optional host setting that lowers the reminder minimum period for tests that wait on real ticks.</summary>
    public const string MinimumReminderPeriodKey = "Test:MinimumReminderPeriod";

    /// <summary>The silo's <c>OneThing:Cases:CollectionAge</c>; when set, Orleans also checks for idle grains every second.</summary>
    public const string CaseCollectionAgeKey = "OneThing:Cases:CollectionAge";

    /// <summary>Optional host setting: the silo's minimum log level (e.g. Trace for tests that read every line); Information otherwise.</summary>
    public const string LogLevelKey = "Test:LogLevel";

    public void Configure(ISiloBuilder siloBuilder)
    {
        var connectionString = siloBuilder.Configuration.GetConnectionString("OneThing")!;
        siloBuilder.Services.AddSingleton<IReadModelFaults, InjectedReadModelFaults>();
        siloBuilder.Services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider, CapturedLogs>();
        if (siloBuilder.Configuration[LogLevelKey] is { Length: > 0 } level)
        {
            siloBuilder.Services.AddLogging(logging => logging.SetMinimumLevel(Enum.Parse<LogLevel>(level)));
        }
        if (FakeClocks.Find(siloBuilder.Configuration["Orleans:ClusterId"]) is { } fakeTime)
        {
            // Grains see the test's clock; Orleans' own background work (membership, reminders) stays on real time.
            siloBuilder.Services.AddSingleton<TimeProvider>(fakeTime);
            siloBuilder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        }
        siloBuilder.UseOneThingClustering(connectionString);
        siloBuilder.AddActivityPropagation();
        siloBuilder.AddOneThingStorage(connectionString, siloBuilder.Configuration["OneThing:Catalog:Directory"]);
        if (siloBuilder.Configuration[CaseCollectionAgeKey] is { Length: > 0 } collectionAge)
        {
            // The silo's own setting; Orleans looks for idle grains once a minute, which a test cannot wait for.
            siloBuilder.UseCaseCollectionAge(TimeSpan.Parse(collectionAge, System.Globalization.CultureInfo.InvariantCulture));
            siloBuilder.Configure<GrainCollectionOptions>(options => options.CollectionQuantum = TimeSpan.FromSeconds(1));
        }
        if (siloBuilder.Configuration[MinimumReminderPeriodKey] is { Length: > 0 } period)
        {
            siloBuilder.Configure<ReminderOptions>(options =>
            {
                options.MinimumReminderPeriod = TimeSpan.Parse(period, System.Globalization.CultureInfo.InvariantCulture);
                options.RefreshReminderListPeriod = TimeSpan.FromSeconds(5);
            });
        }
        // Declare a killed silo dead in seconds rather than the production default, so failover tests stay short.
        siloBuilder.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = TimeSpan.FromSeconds(1);
            options.NumMissedProbesLimit = 2;
            options.NumVotesForDeathDeclaration = 1;
            options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        });
    }
}

public sealed class PostgresClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
        clientBuilder.UseAdoNetClustering(options =>
        {
            options.Invariant = OneThingSiloBuilderExtensions.NpgsqlInvariant;
            options.ConnectionString = configuration.GetConnectionString("OneThing");
        });
}

/// <summary>Builds in-process test clusters on a fresh migrated database, or on an existing one.</summary>
public static class PostgresTestCluster
{
    public static async Task<(TestCluster Cluster, string ConnectionString)> StartAsync(
        short silos, string purpose, IDictionary<string, string?>? settings = null, FakeTimeProvider? fakeTime = null)
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(purpose);
        return (await StartAsync(connectionString, silos, purpose, settings, fakeTime), connectionString);
    }

    /// <summary>
    /// A cluster on an existing, migrated database: a second cluster over the data the first one left behind, with
    /// the first one's <paramref name="serviceId"/> (grain state is keyed by it), is what a restart of every silo looks like.
    /// </summary>
    public static async Task<TestCluster> StartAsync(
        string connectionString, short silos, string purpose, IDictionary<string, string?>? settings = null, FakeTimeProvider? fakeTime = null,
        string? serviceId = null)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        // Real sockets, so that clients outside the test cluster (the API host) reach the gateways too.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Options.ClusterId = $"test-{purpose}-{Guid.NewGuid():N}"[..32];
        builder.Options.ServiceId = serviceId ?? builder.Options.ClusterId;
        if (fakeTime is not null)
        {
            FakeClocks.Register(builder.Options.ClusterId, fakeTime);
        }
        builder.ConfigureHostConfiguration(configuration =>
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:OneThing"] = connectionString });
            configuration.AddInMemoryCollection(TestPrivacyKeys.Settings);
            if (settings is not null)
            {
                configuration.AddInMemoryCollection(settings);
            }
        });
        builder.AddSiloBuilderConfigurator<PostgresSiloConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

public static class TestClusterExtensions
{
    /// <summary>The silo where the case is active: the grain directory knows, and the management grain asks it.</summary>
    public static async Task<SiloHandle> SiloHoldingCaseAsync(this TestCluster cluster, string caseId)
    {
        var address = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(cluster.Client.GetGrain<ICaseGrain>(caseId));
        return cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(address));
    }
}

/// <summary>Fake clocks of the test clusters that drive time themselves, by cluster id (silos run in this process).</summary>
public static class FakeClocks
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, FakeTimeProvider> Clocks = new();

    public static void Register(string clusterId, FakeTimeProvider clock) => Clocks[clusterId] = clock;

    public static FakeTimeProvider? Find(string? clusterId) => clusterId is not null && Clocks.TryGetValue(clusterId, out var clock) ? clock : null;
}
