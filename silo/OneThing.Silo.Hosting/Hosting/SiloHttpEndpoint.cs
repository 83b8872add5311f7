using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using Orleans.Runtime;

namespace OneThing.Silo.Hosting;

/// <summary>Settings of section <c>OneThing:Silo</c>: the silo process's own HTTP port.</summary>
public sealed class OneThingSiloHttpOptions
{
    public const string SectionName = "OneThing:Silo";

    /// <summary>Where <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> answer; unset, the silo listens for no HTTP at all.</summary>
    [Range(1, 65535)]
    public int? HttpPort { get; set; }
}

/// <summary>
/// A small Kestrel listener next to the silo, on <c>OneThing:Silo:HttpPort</c>, for probes and scrapes: it has no
/// routes of the API and no authentication, and it listens where the silo's cluster ports do (loopback when the
/// advertised address is loopback, every address otherwise).
/// </summary>
public static class SiloHttpEndpoint
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Adds the listener when <c>OneThing:Silo:HttpPort</c> is set. Call before the silo is added, so that it answers while the silo starts.</summary>
    public static IHostApplicationBuilder AddOneThingSiloHttp(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OneThingSiloHttpOptions>()
            .BindConfiguration(OneThingSiloHttpOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (builder.Configuration.GetSection(OneThingSiloHttpOptions.SectionName).Get<OneThingSiloHttpOptions>()?.HttpPort is not null)
        {
            builder.Services.AddHostedService<Listener>();
        }
        return builder;
    }

    /// <summary>Whether this silo may take work: PostgreSQL answers and the membership lists the silo Active.</summary>
    public static async Task<IResult> ReadyAsync(NpgsqlDataSource database, IClusterMembershipService membership, ILocalSiloDetails silo, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        string databaseStatus;
        try
        {
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            databaseStatus = "ok";
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Anonymous: whether it timed out, never what threw.
            databaseStatus = error is OperationCanceledException ? "timeout" : "failed";
        }
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        var ready = databaseStatus == "ok" && status == SiloStatus.Active;
        return Results.Json(new SiloHealth(ready ? "ready" : "unavailable", databaseStatus, status.ToString()),
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    public sealed record SiloHealth(string Status, string? Database, string? Silo);

    private sealed class Listener(IServiceProvider silo, IOptions<OneThingSiloHttpOptions> options, IOptions<OneThingClusterOptions> cluster) : IHostedService, IAsyncDisposable
    {
        private WebApplication? _app;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            web.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                var port = options.Value.HttpPort!.Value;
                if (IsLoopback(cluster.Value.AdvertisedAddress))
                {
                    kestrel.Listen(IPAddress.Loopback, port);
                }
                else
                {
                    kestrel.ListenAnyIP(port);
                }
            });
            web.Services.AddRoutingCore();
            web.Services.AddSingleton(silo.GetRequiredService<ILoggerFactory>());
            web.Services.AddLogging();
            var app = web.Build();
            app.UseRouting();
            app.MapGet("/health/live", () => Results.Json(new SiloHealth("live", null, null)));
            app.MapGet("/health/ready", (CancellationToken token) => ReadyAsync(
                silo.GetRequiredService<NpgsqlDataSource>(), silo.GetRequiredService<IClusterMembershipService>(),
                silo.GetRequiredService<ILocalSiloDetails>(), token));
            // The silo's own meter provider, whose Prometheus reader this listener serves.
            app.MapPrometheusScrapingEndpoint("/metrics", silo.GetRequiredService<MeterProvider>(), configureBranchedPipeline: null, optionsName: null);
            await app.StartAsync(cancellationToken);
            _app = app;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_app is not null)
            {
                await _app.StopAsync(cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
        }

        private static bool IsLoopback(string address) =>
            address == "localhost" || (IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip));
    }
}
