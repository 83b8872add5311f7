using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Api;

/// <summary>What every answer says about itself: no sniffing, no caching of personal data, HSTS over HTTPS.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class ResponseHeaderTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 884_000;

    [Fact]
    public async Task AnswersWithPersonalDataAreNeitherCachedNorSniffed()
    {
        var driver = new CaseDriver(fixture.Api);
        var seed = Interlocked.Increment(ref _seed);
        var created = await driver.SubmitNewAsync("newborn", seed);
        var caseId = created.GetProperty("caseId").GetString()!;
        var task = created.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready");
        using var department = driver.Department(task.GetProperty("department").GetString()!);

        (HttpClient Client, string Path)[] reads =
        [
            (driver.Portal, $"/api/cases/{caseId}"),
            (driver.Portal, $"/api/cases?applicant={TestIdentities.IdNumber(seed)}"),
            (department, $"/api/tasks/{task.GetProperty("taskId").GetString()}"),
            (department, $"/api/departments/{task.GetProperty("department").GetString()}/tasks"),
        ];
        foreach (var (client, path) in reads)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {response.StatusCode}");
            Assert.True(response.Headers.CacheControl is { NoStore: true }, $"{path}: Cache-Control {response.Headers.CacheControl}");
            Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        }
    }

    [Fact]
    public async Task ErrorsAreNotSniffedEither()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);

        using var response = await client.GetAsync(new Uri("/api/ops/cluster", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
    }

    [Fact]
    public async Task HttpsAnswersCarryHstsOutsideDevelopment()
    {
        using var secureClient = fixture.Api.CreateClient(apiKey: null);
        secureClient.BaseAddress = new Uri("https://127.0.0.1/");
        using var plainClient = fixture.Api.CreateClient(apiKey: null);
        plainClient.BaseAddress = new Uri("http://127.0.0.1/");

        using var secure = await secureClient.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var plain = await plainClient.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Contains("max-age=31536000", secure.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"), "HSTS is meaningless, and ignored, over plain HTTP");
    }

    [Theory]
    [InlineData(typeof(Npgsql.NpgsqlException), "failed")]
    [InlineData(typeof(TimeoutException), "failed")]
    [InlineData(typeof(OperationCanceledException), "timeout")]
    public void ReadinessSaysAProbeFailedWithoutNamingTheException(Type exceptionType, string expected)
    {
        var error = (Exception)Activator.CreateInstance(exceptionType)!;

        var said = OneThing.Api.Health.HealthEndpoints.ProbeFailure(error);

        Assert.Equal(expected, said);
        Assert.DoesNotContain("Exception", said, StringComparison.Ordinal);
    }
}

/// <summary>Idempotency-Keys belong to the channel that sent them.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class IdempotencyScopeTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public async Task TwoChannelsUsingTheSameIdempotencyKeyFileTwoCases()
    {
        var driver = new CaseDriver(fixture.Api);
        var key = $"shared-{Guid.NewGuid()}";
        var portalApplication = CaseDriver.SampleApplication(await driver.ItemAsync("newborn"), 884_501);
        var hotlineApplication = CaseDriver.SampleApplication(await driver.ItemAsync("newborn"), 884_502);
        using var hotline = fixture.Api.CreateClient(OneThingApiFactory.HotlineKey);

        var (portalStatus, portalCase) = await driver.SubmitAsync(portalApplication, key);
        var (hotlineStatus, hotlineCase) = await SubmitAsync(hotline, hotlineApplication, key);
        var (againStatus, again) = await SubmitAsync(hotline, hotlineApplication, key);

        Assert.Equal(HttpStatusCode.Created, portalStatus);
        Assert.True(hotlineStatus == HttpStatusCode.Created, $"the hotline's submit answered {hotlineStatus}: {hotlineCase}");
        Assert.NotEqual(portalCase.GetProperty("caseId").GetString(), hotlineCase.GetProperty("caseId").GetString());
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.Equal(hotlineCase.GetProperty("caseId").GetString(), again.GetProperty("caseId").GetString());
    }

    private static async Task<(HttpStatusCode, JsonElement)> SubmitAsync(HttpClient client, System.Text.Json.Nodes.JsonObject application, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/cases") { Content = JsonContent.Create(application) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
