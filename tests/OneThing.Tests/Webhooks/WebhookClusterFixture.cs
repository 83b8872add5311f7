using Orleans.TestingHost;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Webhooks;

/// <summary>
/// Two silos and an API with receivers allowed on loopback over http, and retries, polling and the 补正 round paced for
/// tests: a retry after a fraction of a second instead of 5 s, a round of two seconds instead of a working day.
/// </summary>
public sealed class WebhookClusterFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["OneThing:Webhooks:AllowInsecureUrls"] = "true",
        ["OneThing:Webhooks:PollInterval"] = "00:00:00.100",
        ["OneThing:Webhooks:WakeInterval"] = "00:00:01",
        ["OneThing:Webhooks:FirstRetryDelay"] = "00:00:00.300",
        ["OneThing:Webhooks:MaxRetryDelay"] = "00:00:01",
        ["OneThing:Webhooks:Timeout"] = "00:00:03",
        ["OneThing:Notices:SupplementRoundWindow"] = "00:00:03",
    };

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public OneThingApiFactory Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Cluster, ConnectionString) = await PostgresTestCluster.StartAsync(2, "webhooks", Settings);
        Api = new OneThingApiFactory(ConnectionString, Cluster.Options.ClusterId, Cluster.Options.ServiceId, Settings);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebhookClusterCollection : ICollectionFixture<WebhookClusterFixture>
{
    public const string Name = "webhook cluster";
}
