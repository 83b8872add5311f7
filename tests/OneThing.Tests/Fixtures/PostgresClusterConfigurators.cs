using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Grains.ReadModels;
using OneThing.Silo.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
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

    public void Configure(ISiloBuilder siloBuilder)
    {
        var connectionString = siloBuilder.Configuration.GetConnectionString("OneThing")!;
        siloBuilder.Services.AddSingleton<IReadModelFaults, InjectedReadModelFaults>();
        siloBuilder.UseOneThingClustering(connectionString);
        siloBuilder.AddOneThingStorage(connectionString);
        siloBuilder.Services.AddSingleton(TimeProvider.System);
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

/// <summary>Builds in-process test clusters on a fresh migrated database.</summary>
public static class PostgresTestCluster
{
    public static async Task<(TestCluster Cluster, string ConnectionString)> StartAsync(
        short silos, string purpose, IDictionary<string, string?>? settings = null)
    {
        var connectionString = await TestDatabase.CreateMigratedAsync(purpose);
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        // Real sockets, so that clients outside the test cluster (the API host) reach the gateways too.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Options.ClusterId = $"test-{purpose}-{Guid.NewGuid():N}"[..32];
        builder.Options.ServiceId = builder.Options.ClusterId;
        builder.ConfigureHostConfiguration(configuration =>
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:OneThing"] = connectionString });
            if (settings is not null)
            {
                configuration.AddInMemoryCollection(settings);
            }
        });
        builder.AddSiloBuilderConfigurator<PostgresSiloConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return (cluster, connectionString);
    }
}
