using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OneThing.Silo.Hosting;
using OneThing.Tests.Fixtures;
using Orleans.Configuration;

namespace OneThing.Tests.Deployment;

/// <summary>
/// What <c>OneThing:Cluster:KubernetesHosting</c> changes in the silo's endpoints, read from a silo host that is built
/// but not started (no database, no Kubernetes API needed).
/// </summary>
public sealed class KubernetesHostingTests
{
    [Fact]
    public void InKubernetesTheSiloListensOnEveryInterfaceOfItsPodAndKeepsItsConfiguredPorts()
    {
        using var host = BuildSilo(kubernetes: true);
        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;

        Assert.Equal(new IPEndPoint(IPAddress.Any, 11234), endpoints.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 30234), endpoints.GatewayListeningEndpoint);
        // POD_IP in a pod; here, as there without it, the address the pod's name (this machine's) resolves to.
        Assert.NotNull(endpoints.AdvertisedIPAddress);
        // The pod's namespace comes from POD_NAMESPACE (deploy/k8s/silo.yaml) or the service account: without either,
        // as on this machine, the silo stops at start with that name rather than watching the wrong pods.
        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is null && !File.Exists("/var/run/secrets/kubernetes.io/serviceaccount/namespace"))
        {
            var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<SiloOptions>>().Value);
            Assert.Contains("POD_NAMESPACE", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void OutsideKubernetesTheSiloAdvertisesItsConfiguredAddress()
    {
        using var host = BuildSilo(kubernetes: false);
        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;

        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.Equal(11234, endpoints.SiloPort);
        Assert.Equal(30234, endpoints.GatewayPort);
    }

    private static IHost BuildSilo(bool kubernetes)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestPrivacyKeys.Settings)
        {
            ["OneThing:Cluster:KubernetesHosting"] = kubernetes ? "true" : "false",
            ["OneThing:Cluster:SiloPort"] = "11234",
            ["OneThing:Cluster:GatewayPort"] = "30234",
        });
        builder.AddOneThingSilo("Host=127.0.0.1;Username=postgres;Database=never_opened");
        return builder.Build();
    }
}
