using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Tests.Fixtures;
using Orleans.TestingHost;

namespace OneThing.Tests.Publishing;

/// <summary>
/// Two silos and the API on a database of their own: publishing changes what "newest" means for every test that
/// shares a cluster, so these tests do not share the foundation's. The refresh runs every second to keep waits short.
/// </summary>
public sealed class PublishingClusterFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> FastRefresh =
        new Dictionary<string, string?> { ["OneThing:Catalog:RefreshInterval"] = "00:00:01" };

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public OneThingApiFactory Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Cluster, ConnectionString) = await PostgresTestCluster.StartAsync(2, "publishing", new Dictionary<string, string?>(FastRefresh));
        Api = new OneThingApiFactory(Cluster, ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PublishingClusterCollection : ICollectionFixture<PublishingClusterFixture>
{
    public const string Name = "publishing cluster";
}

/// <summary>What the publishing tests do over HTTP and inside the silos.</summary>
public static class PublishingDriver
{
    /// <summary>Bound on waiting for every silo to see a row: several refresh intervals of the fast fixture.</summary>
    public static readonly TimeSpan PropagationBound = TimeSpan.FromSeconds(20);

    /// <summary>A code no built-in item and no other test uses.</summary>
    public static string NewCode(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static async Task<JsonObject> GetItemAsync(HttpClient client, string code, int? version = null, string? region = null)
    {
        var query = string.Join("&", new[] { region is null ? null : $"region={region}", version is null ? null : $"version={version}" }.OfType<string>());
        var path = query.Length == 0 ? $"/api/items/{code}" : $"/api/items/{code}?{query}";
        return (await client.GetFromJsonAsync<JsonObject>(new Uri(path, UriKind.Relative)))!;
    }

    public static async Task<(HttpStatusCode Status, string? Location, JsonNode? Body)> PutAsync(HttpClient client, string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PutAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.Location?.OriginalString, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>A built-in item's JSON under another code, as ops would start a new item from an existing one.</summary>
    public static async Task<JsonObject> CopyOfAsync(HttpClient client, string builtInCode, string newCode)
    {
        var item = await GetItemAsync(client, builtInCode);
        item["code"] = newCode;
        item["name"] = $"测试一件事 {newCode}";
        return item;
    }

    public static IReadOnlyList<IServiceProvider> SiloServices(TestCluster cluster) =>
        [.. cluster.Silos.Select(silo => ((InProcessSiloHandle)silo).ServiceProvider)];

    public static ItemCatalog CatalogOf(IServiceProvider silo) => silo.GetRequiredService<ItemCatalog>();

    public static WorkingCalendar CalendarOf(IServiceProvider silo) => silo.GetRequiredService<WorkingCalendar>();

    /// <summary>
    /// The newest version this silo's catalog lists for <paramref name="code"/>'s variant for <paramref name="region"/>
    /// (the national base when null), read through <see cref="ItemCatalog.Latest(string?)"/>, which (unlike
    /// <see cref="ItemCatalog.FindVariantAsync"/>) never asks the database: what the silo learnt by itself.
    /// </summary>
    public static int? ListedVersion(IServiceProvider silo, string code, string? region = null) =>
        CatalogOf(silo).Latest(region).FirstOrDefault(item => item.Code == code && item.Region == region)?.Version;

    /// <summary>Waits until every silo lists <paramref name="version"/> as the newest of <paramref name="code"/> (of its variant for <paramref name="region"/>).</summary>
    public static Task AllSilosListAsync(TestCluster cluster, string code, int version, string? region = null) =>
        Poll.UntilAsync(
            () => Task.FromResult(SiloServices(cluster).Select(silo => ListedVersion(silo, code, region)).ToList()),
            versions => versions.All(listed => listed == version),
            PropagationBound,
            $"every silo should list {code} ({region ?? "national"}) v{version} as newest after its refresh");
}
