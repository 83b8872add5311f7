using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OneThing.Silo.Diagnostics;
using OneThing.Silo.Hosting;
using Orleans.Dashboard;
using Orleans.Configuration;

namespace OneThing.Api.Hosting;

public static partial class OrleansClientSetup
{
    /// <summary>Set to true, the API process hosts a silo of its own and calls its grains in-process.</summary>
    public const string HostSiloKey = "OneThing:Api:HostSilo";

    /// <summary>
    /// Adds the Orleans client (gateways from the PostgreSQL membership table) and the Npgsql data source for
    /// read models and readiness. The client keeps retrying until a silo answers, so the API can start first.
    /// With <see cref="HostSiloKey"/> the process runs a silo instead, configured exactly as the silo process
    /// (<c>OneThing:Cluster</c>, <c>OneThing:Cases</c>, <c>OneThing:Catalog</c>), and joins the same cluster.
    /// </summary>
    public static WebApplicationBuilder AddOneThingCluster(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("OneThing");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:OneThing is not set (e.g. ConnectionStrings__OneThing=\"Host=127.0.0.1;Port=5432;Username=postgres;Database=onething;Maximum Pool Size=20\").");
        }
        connectionString = OneThingSiloBuilderExtensions.WithoutErrorDetail(connectionString);

        if (HostsSilo(builder.Configuration))
        {
            // Grain calls then skip the client's serialization, its socket and the gateway: on a small machine that
            // is CPU the cases get instead (bench/README.md). The silo's data source serves the read models too.
            builder.AddOneThingSilo(connectionString, migrateOnStart: true);
            return builder;
        }

        var settings = builder.Configuration.GetSection(ClusterSettings.SectionName).Get<ClusterSettings>() ?? new ClusterSettings();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddOptions<ClusterSettings>()
            .BindConfiguration(ClusterSettings.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(settings);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClusterChangeWatch>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ClusterChangeWatch>());

        // Start Kestrel while the client is still looking for a silo: /health/live answers at once and
        // /health/ready says 503 until the cluster is reachable.
        builder.Services.Configure<HostOptions>(options => options.ServicesStartConcurrently = true);

        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = settings.ClusterId;
                options.ServiceId = settings.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = settings.ResponseTimeout);
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = connectionString;
            });
            // The request's trace continues into the grain it calls.
            client.AddActivityPropagation();
            if (OneThingDashboard.IsEnabled(builder.Configuration))
            {
                client.AddDashboard();
            }
            // A call caught in a silo's death is sent again rather than failed (SiloLossRetry).
            client.Services.AddSingleton<IClusterConnectionStatusObserver>(provider => provider.GetRequiredService<ClusterChangeWatch>());
            client.AddOutgoingGrainCallFilter<SiloLossRetryFilter>();
            client.UseConnectionRetryFilter(async (error, cancellationToken) =>
            {
                Console.Error.WriteLine($"onething-api: no silo of cluster '{settings.ClusterId}' answers yet ({error.GetType().Name}); retrying in {settings.ConnectRetryDelay.TotalSeconds:0.#} s.");
                await Task.Delay(settings.ConnectRetryDelay, cancellationToken);
                return !cancellationToken.IsCancellationRequested;
            });
        });
        return builder;
    }

    public static bool HostsSilo(IConfiguration configuration) => configuration.GetValue<bool>(HostSiloKey);
}
