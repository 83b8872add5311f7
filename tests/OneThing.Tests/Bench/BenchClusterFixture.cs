using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Tests.Fixtures;
using Orleans.TestingHost;

namespace OneThing.Tests.Bench;

/// <summary>
/// A silo and the API on a database of their own, the API listening on a real loopback port: the load generator
/// talks to it exactly as it talks to a deployed API, through its own pooled sockets. The keys file is written in
/// the API's settings layout, which is where the bench reads its keys from.
/// </summary>
public sealed class BenchClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public OneThingApiFactory Api { get; private set; } = null!;

    /// <summary>Where the API listens, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = null!;

    public string KeysFile { get; } = Path.Combine(Path.GetTempPath(), $"onething-bench-keys-{Guid.NewGuid():N}.json");

    public async Task InitializeAsync()
    {
        (Cluster, ConnectionString) = await PostgresTestCluster.StartAsync(1, "bench");
        Api = new OneThingApiFactory(Cluster, ConnectionString);
        Api.UseKestrel(port: 0);
        Api.StartServer();
        var addresses = Api.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        Address = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));

        var keys = OneThingApiFactory.Keys.Select(k => new { k.Key, k.Role, k.Department });
        await File.WriteAllTextAsync(KeysFile, JsonSerializer.Serialize(new { OneThing = new { Auth = new { Keys = keys } } }));
    }

    public async Task DisposeAsync()
    {
        File.Delete(KeysFile);
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BenchClusterCollection : ICollectionFixture<BenchClusterFixture>
{
    public const string Name = "bench cluster";
}
