using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OneThing.Silo.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OneThing.Tests.Diagnostics;

/// <summary>Without a collector there is nothing to trace for; with the standard variable, traces go to it.</summary>
public sealed class TelemetrySetupTests
{
    [Fact]
    public void WithoutAnOtlpEndpointThereAreMetricsForTheScrapeAndNoTracer()
    {
        using var host = Build(new Dictionary<string, string?>());

        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.Null(host.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void TheStandardOtlpVariableTurnsTracingOn()
    {
        using var host = Build(new Dictionary<string, string?> { [OneThingTelemetry.OtlpEndpointKey] = "http://127.0.0.1:4317" });

        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.NotNull(host.Services.GetService<TracerProvider>());
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddOneThingTelemetry("onething-test");
        return builder.Build();
    }
}
