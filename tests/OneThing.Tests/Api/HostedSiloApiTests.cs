using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using OneThing.Api.Hosting;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Api;

/// <summary>
/// <c>OneThing:Api:HostSilo</c>: one process serves HTTP and runs a silo. It must prepare an empty database itself,
/// as the silo process does, and run whole cases with nothing else started.
/// </summary>
public sealed class HostedSiloApiTests
{
    [Fact]
    public async Task AnApiHostingItsOwnSiloMigratesAnEmptyDatabaseAndRunsACaseToTheEnd()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("hosted_silo");
        var clusterId = $"test-hosted-{Guid.NewGuid():N}"[..32];
        await using var api = new OneThingApiFactory(connectionString, clusterId, clusterId, new Dictionary<string, string?>
        {
            [OrleansClientSetup.HostSiloKey] = "true",
            ["OneThing:Cluster:SiloPort"] = FreePort(),
            ["OneThing:Cluster:GatewayPort"] = FreePort(),
        });
        using var anonymous = api.CreateClient(apiKey: null);

        using var ready = await Poll.UntilAsync(() => anonymous.GetAsync(new Uri("/health/ready", UriKind.Relative)),
            response => response.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the API hosting its own silo never became ready");
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("newborn", 11)).GetProperty("caseId").GetString()!;
        var ended = await driver.RunToEndAsync(caseId);

        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        // The cluster is this process alone, and what it acknowledged is in the database it migrated.
        using var ops = api.CreateClient("test-ops");
        var cluster = await ops.GetFromJsonAsync<JsonElement>(new Uri("/api/ops/cluster", UriKind.Relative));
        Assert.Single(cluster.GetProperty("silos").EnumerateArray(), s => s.GetProperty("status").GetString() == "Active");
        Assert.Equal("Completed", await TestDatabase.ScalarAsync(connectionString,
            "SELECT status FROM onething_applicant_cases WHERE case_id = @id", ("id", caseId)));
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
