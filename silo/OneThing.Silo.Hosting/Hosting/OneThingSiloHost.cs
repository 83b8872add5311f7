using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OneThing.Silo.Database;
using Orleans.Configuration;
using OneThing.Silo.Diagnostics;
using Orleans.Dashboard;

namespace OneThing.Silo.Hosting;

/// <summary>
/// A OneThing silo in a host, configured from <c>OneThing:Cluster</c>, <c>OneThing:Cases</c> and
/// <c>OneThing:Catalog:Directory</c>: the silo process runs one, and so does the API when it hosts its own silo.
/// </summary>
public static class OneThingSiloHost
{
    /// <param name="migrateOnStart">
    /// Apply the schema as the silo's first start-up step, before any provider reads a table. The silo process
    /// migrates before it builds its host instead, so that a database it cannot reach is one line and an exit code.
    /// </param>
    public static IHostApplicationBuilder AddOneThingSilo(this IHostApplicationBuilder builder, string connectionString, bool migrateOnStart = false)
    {
        var clusterSettings = builder.Configuration.GetSection(OneThingClusterOptions.SectionName).Get<OneThingClusterOptions>()
            ?? new OneThingClusterOptions();
        var caseSettings = builder.Configuration.GetSection(OneThingCaseOptions.SectionName).Get<OneThingCaseOptions>()
            ?? new OneThingCaseOptions();
        // Bound again as options so that a bad value stops the start with its key named.
        builder.Services.AddOptions<OneThingClusterOptions>()
            .BindConfiguration(OneThingClusterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<OneThingCaseOptions>()
            .BindConfiguration(OneThingCaseOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = clusterSettings.ShutdownTimeout);
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = clusterSettings.ClusterId;
                options.ServiceId = clusterSettings.ServiceId;
            });
            silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = clusterSettings.ResponseTimeout);
            silo.Configure<ClusterMembershipOptions>(options =>
            {
                options.ProbeTimeout = clusterSettings.ProbeTimeout;
                options.NumMissedProbesLimit = clusterSettings.MissedProbesLimit;
            });
            if (clusterSettings.KubernetesHosting)
            {
                // Only the ports: Kubernetes hosting fills in the pod's IP and the listening endpoints when they are unset.
                silo.Configure<EndpointOptions>(options =>
                {
                    options.SiloPort = clusterSettings.SiloPort;
                    options.GatewayPort = clusterSettings.GatewayPort;
                });
                silo.UseKubernetesHosting();
            }
            else
            {
                var advertised = ResolveAdvertisedAddress(clusterSettings.AdvertisedAddress);
                silo.ConfigureEndpoints(advertised, clusterSettings.SiloPort, clusterSettings.GatewayPort,
                    listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
            }
            silo.UseOneThingClustering(connectionString);
            silo.AddOneThingStorage(connectionString, builder.Configuration["OneThing:Catalog:Directory"]);
            silo.UseCaseCollectionAge(caseSettings.CollectionAge);
            // A client's trace continues into the grain and its database commands (spans exist only while someone listens).
            silo.AddActivityPropagation();
            if (OneThingDashboard.IsEnabled(builder.Configuration))
            {
                // The dashboard's silo part: a grain-call profiler and the grains the dashboard on the API asks.
                silo.AddDashboard();
            }
            if (migrateOnStart)
            {
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SchemaMigrationOnStart>();
            }
        });
        return builder;
    }

    /// <summary>Runs the migrator in the silo's first lifecycle stage, before membership, storage and reminders start.</summary>
    private sealed class SchemaMigrationOnStart(SchemaMigrator migrator) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaMigrationOnStart), ServiceLifecycleStage.First, migrator.MigrateAsync);
    }

    private static IPAddress ResolveAdvertisedAddress(string address) =>
        IPAddress.TryParse(address, out var ip)
            ? ip
            : Dns.GetHostAddresses(address).First(a => a.AddressFamily == AddressFamily.InterNetwork);
}
