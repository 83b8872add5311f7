using System.Net;
using OneThing.Tests.Bench;

namespace OneThing.Tests.Api;

/// <summary>Headers only a real Kestrel listener would send (the in-memory test server sends none of its own).</summary>
[Collection(BenchClusterCollection.Name)]
public sealed class KestrelHeaderTests(BenchClusterFixture fixture)
{
    [Fact]
    public async Task KestrelDoesNotNameItself()
    {
        using var client = new HttpClient { BaseAddress = fixture.Address };

        using var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Server"), $"Server: {string.Join(", ", response.Headers.Server)}");
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
    }
}
