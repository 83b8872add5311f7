using System.Net;
using System.Text.Json;
using OneThing.Api.Hosting;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Api;

/// <summary>The API's one line per request: what ops need to follow a request, and nothing a client must not leave behind.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class RequestLogTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public async Task EachRequestIsOneLineWithItsRouteTemplateStatusTraceIdAndKeyName()
    {
        using var hotline = fixture.Api.CreateClient(OneThingApiFactory.HotlineKey);
        var caseId = $"no-such-case-{Guid.NewGuid():N}";

        using var response = await hotline.GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var traceId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("traceId").GetString()!;
        var line = await Poll.UntilAsync(
            () => Task.FromResult(CapturedLogs.All.Where(l => l.StartsWith(RequestLog.Category, StringComparison.Ordinal) && l.Contains(traceId, StringComparison.Ordinal)).ToList()),
            lines => lines.Count > 0, TimeSpan.FromSeconds(10), $"no request line carries trace id {traceId}");
        var logged = Assert.Single(line);
        Assert.Contains("GET /api/cases/{caseId} 404 ", logged, StringComparison.Ordinal);
        Assert.Contains("key 12345 hotline", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(caseId, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(OneThingApiFactory.HotlineKey, logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusedCallerIsLoggedWithoutAKeyName()
    {
        using var anonymous = fixture.Api.CreateClient(apiKey: null);

        using var response = await anonymous.GetAsync(new Uri("/api/events", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Poll.UntilAsync(
            () => Task.FromResult(CapturedLogs.All.Any(l => l.StartsWith(RequestLog.Category, StringComparison.Ordinal)
                && l.Contains("GET /api/events 401 ", StringComparison.Ordinal) && l.EndsWith("key - ", StringComparison.Ordinal))),
            found => found, TimeSpan.FromSeconds(10), "no request line for the refused call");
    }
}
