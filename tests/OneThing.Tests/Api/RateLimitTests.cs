using System.Net.Http.Json;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Api;

/// <summary>Failed authentications are limited per client address; requests per key only when configured.</summary>
[Collection(RefusingDatabaseCollection.Name)]
public sealed class RateLimitTests(RefusingDatabaseFixture fixture)
{
    private const string Guesser = "203.0.113.7";
    private const string Neighbour = "203.0.113.8";

    [Fact]
    public async Task The21stWrongKeyWithinTheWindowIs429WithRetryAfterAndOtherAddressesAreUnaffected()
    {
        await using var api = Api(new Dictionary<string, string?> { ["OneThing:RateLimits:FailedAuthWindow"] = "00:01:00" });

        var first20 = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            first20.Add(await StatusAsync(api, Guesser, $"guess-{attempt}"));
        }
        using var twentyFirst = await SendAsync(api, Guesser, "guess-20");
        var rightKeyFromGuesser = await StatusAsync(api, Guesser, "test-portal");
        var rightKeyFromNeighbour = await StatusAsync(api, Neighbour, "test-portal");
        var wrongKeyFromNeighbour = await StatusAsync(api, Neighbour, "guess-0");

        Assert.All(first20, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, twentyFirst.StatusCode);
        Assert.Equal("application/problem+json", twentyFirst.Content.Headers.ContentType?.MediaType);
        Assert.InRange(twentyFirst.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Contains("\"status\":429", await twentyFirst.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Until its window ends the address is refused whatever it presents: else the right key would still stand out.
        Assert.Equal(HttpStatusCode.TooManyRequests, rightKeyFromGuesser);
        Assert.Equal(HttpStatusCode.OK, rightKeyFromNeighbour);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKeyFromNeighbour);
    }

    [Fact]
    public async Task WrongKeysAreNotALogLineEach()
    {
        const string address = "203.0.113.9";
        await using var api = Api(new Dictionary<string, string?> { ["OneThing:RateLimits:FailedAuthPerWindow"] = "1000" });
        var marker = $"from {address}";

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(api, address, $"wrong-{attempt}"));
        }

        // One line per ten seconds at most (another test's failure may have taken this interval's line).
        var allowed = 1 + (int)(clock.Elapsed / TimeSpan.FromSeconds(10));
        Assert.InRange(CapturedLogs.All.Count(line => line.Contains(marker, StringComparison.Ordinal)), 0, allowed);
        Assert.DoesNotContain(CapturedLogs.All, line => line.Contains("was not authenticated. Failure message", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConfiguredPerKeyLimitAnswers429ToThatKeyOnly()
    {
        await using var api = Api(new Dictionary<string, string?>
        {
            ["OneThing:RateLimits:PerKey:PermitLimit"] = "3",
            ["OneThing:RateLimits:PerKey:Window"] = "00:01:00",
        });

        var firstThree = new List<HttpStatusCode>();
        for (var request = 0; request < 3; request++)
        {
            firstThree.Add(await StatusAsync(api, Guesser, "test-portal"));
        }
        using var fourth = await SendAsync(api, Guesser, "test-portal");
        var otherKey = await StatusAsync(api, Guesser, "test-ops");

        Assert.All(firstThree, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.NotNull(fourth.Headers.RetryAfter);
        Assert.Equal("application/problem+json", fourth.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, otherKey);
    }

    [Fact]
    public async Task WithoutConfigurationNoKeyIsEverLimited()
    {
        await using var api = Api(new Dictionary<string, string?>());

        var statuses = new List<HttpStatusCode>();
        for (var request = 0; request < 60; request++)
        {
            statuses.Add(await StatusAsync(api, Guesser, "test-portal"));
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribes429OnRoutesThatTakeAKey()
    {
        using var client = fixture.Client("test-portal");

        var document = await client.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        var submit = document.GetProperty("paths").GetProperty("/api/cases").GetProperty("post").GetProperty("responses");
        Assert.True(submit.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.False(document.GetProperty("paths").GetProperty("/health/live").GetProperty("get").GetProperty("responses").TryGetProperty("429", out _));
    }

    /// <summary>The API in memory, with the client's address taken from a test header as a proxy's would be.</summary>
    private WebApplicationFactory<Program> Api(Dictionary<string, string?> settings) =>
        new OneThingApiFactory(fixture.ConnectionString, fixture.Cluster.Options.ClusterId, fixture.Cluster.Options.ServiceId, settings)
            .WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddressFromHeader>()));

    private static async Task<HttpStatusCode> StatusAsync(WebApplicationFactory<Program> api, string address, string key)
    {
        using var response = await SendAsync(api, address, key);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendAsync(WebApplicationFactory<Program> api, string address, string key)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add(ClientAddressFromHeader.Header, address);
        return await client.SendAsync(request);
    }

    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public const string Header = "X-Test-Client-Address";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, proceed) =>
            {
                if (context.Request.Headers[Header] is [{ } address])
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                }
                return proceed(context);
            });
            next(app);
        };
    }
}
