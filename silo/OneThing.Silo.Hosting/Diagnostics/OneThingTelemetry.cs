using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OneThing.Grains.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OneThing.Silo.Diagnostics;

/// <summary>
/// OpenTelemetry for a OneThing process (API or silo): metrics always, read by the Prometheus scrape endpoint
/// (<c>/metrics</c>); traces and an OTLP push only when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, so
/// that without a collector no span is even created.
/// </summary>
public static class OneThingTelemetry
{
    /// <summary>Orleans' meter (grain calls, activations, messaging, membership).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans' activity sources: its own runtime calls, and calls to the application's grains.</summary>
    public static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <param name="serviceName"><c>service.name</c> unless <c>OTEL_SERVICE_NAME</c> says otherwise.</param>
    public static IHostApplicationBuilder AddOneThingTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var telemetry = builder.Services.AddOpenTelemetry();
        if (string.IsNullOrEmpty(builder.Configuration["OTEL_SERVICE_NAME"]))
        {
            telemetry.ConfigureResource(resource => resource.AddService(serviceName));
        }
        telemetry.WithMetrics(metrics => metrics
            .AddMeter(OneThingMetrics.MeterName, OrleansMeter)
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddNpgsqlInstrumentation()
            .AddPrometheusExporter());
        if (!string.IsNullOrEmpty(builder.Configuration[OtlpEndpointKey]))
        {
            telemetry.WithTracing(tracing => tracing.AddOneThingSources());
            // Endpoint, protocol, headers and intervals from the other OTEL_* variables, as every OpenTelemetry SDK reads them.
            telemetry.UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>What a trace of a request is made of: HTTP in and out, Orleans calls, the group commit and Npgsql commands.</summary>
    public static TracerProviderBuilder AddOneThingSources(this TracerProviderBuilder tracing) => tracing
        .AddSource(OrleansSources)
        .AddSource(OneThingMetrics.ActivitySourceName)
        .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsScrapeOrProbe(context.Request.Path))
        .AddHttpClientInstrumentation()
        .AddNpgsql();

    /// <summary>Scrapes and probes come every few seconds and tell nothing a trace needs.</summary>
    private static bool IsScrapeOrProbe(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health");
}
