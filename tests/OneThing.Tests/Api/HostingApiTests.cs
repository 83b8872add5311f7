using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Api;

[Collection(TwoSiloClusterCollection.Name)]
public sealed class HostingApiTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public async Task LiveAndReadyAnswerWithoutAKeyWhenDatabaseAndClusterAnswer()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);

        var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var report = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ready", report.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpsSeesEverySiloOfTheCluster()
    {
        using var client = fixture.Api.CreateClient("test-ops");

        var view = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/ops/cluster", UriKind.Relative));

        Assert.Equal(fixture.Cluster.Options.ClusterId, view.GetProperty("clusterId").GetString());
        var silos = view.GetProperty("silos").EnumerateArray().ToList();
        Assert.Equal(2, silos.Count(s => s.GetProperty("status").GetString() == "Active"));
        Assert.All(silos, s =>
        {
            Assert.False(string.IsNullOrEmpty(s.GetProperty("address").GetString()));
            Assert.False(string.IsNullOrEmpty(s.GetProperty("name").GetString()));
            Assert.True(s.GetProperty("startedAt").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task MissingOrUnknownKeyIs401ProblemJson(string? apiKey)
    {
        using var client = fixture.Api.CreateClient(apiKey);

        var response = await client.GetAsync(new Uri("/api/ops/cluster", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task MalformedAuthorizationHeaderIs401()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ops/cluster");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic dGVzdC1vcHM6");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("test-portal")]
    [InlineData("test-police")]
    public async Task OtherRolesAre403OnOpsRoutes(string apiKey)
    {
        using var client = fixture.Api.CreateClient(apiKey);

        var response = await client.GetAsync(new Uri("/api/ops/cluster", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApiDocumentIsServed()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);

        var document = await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.True(document.GetProperty("paths").TryGetProperty("/api/ops/cluster", out _));
    }

    [Fact]
    public async Task OpenApiDocumentDeclaresRateLimitsAndUnsupportedMediaTypes()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);

        var paths = (await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative))).GetProperty("paths");

        var submit = paths.GetProperty("/api/cases").GetProperty("post").GetProperty("responses");
        var read = paths.GetProperty("/api/cases/{caseId}").GetProperty("get").GetProperty("responses");
        Assert.True(submit.TryGetProperty("415", out _), "POST /api/cases declares 415");
        Assert.True(submit.TryGetProperty("429", out _), "POST /api/cases declares 429");
        Assert.True(read.TryGetProperty("429", out _), "GET /api/cases/{caseId} declares 429");
        Assert.False(read.TryGetProperty("415", out _), "a GET takes no body, so no 415");
    }
}
