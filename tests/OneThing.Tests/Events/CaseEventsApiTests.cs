using System.Net;
using System.Text.Json;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Events;

/// <summary>The event routes against a real cluster: a case's history, who sees which of it, and the global feed.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class CaseEventsApiTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 3_700_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    private static int NextSeed() => Interlocked.Increment(ref _seed);

    [Fact]
    public async Task ACompletedNewbornCaseHasGaplessEventsFromSubmissionToCompletion()
    {
        var caseId = await CompletedNewbornAsync();

        var events = await CaseEventsAsync(_driver.Portal, caseId);
        var matters = (await _driver.ItemOfCaseAsync(caseId)).GetProperty("matters").GetArrayLength();

        Assert.NotEmpty(events);
        Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal("CaseSubmitted", events[0].GetProperty("type").GetString());
        Assert.Equal("CaseCompleted", events[^1].GetProperty("type").GetString());
        var completions = events.Where(e => e.GetProperty("type").GetString() == "TaskCompleted").ToList();
        Assert.Equal(matters, completions.Count);
        foreach (var completion in completions)
        {
            var matterCode = completion.GetProperty("matterCode").GetString();
            Assert.False(string.IsNullOrEmpty(matterCode), completion.ToString());
            Assert.Equal($"{caseId}.{matterCode}", completion.GetProperty("taskId").GetString());
            Assert.NotEmpty(completion.GetProperty("data").GetProperty("outputs").EnumerateObject());
        }
        foreach (var e in events)
        {
            Assert.False(e.GetProperty("data").TryGetProperty("application", out _), $"event {e.GetProperty("seq")} serves the application");
            // Case-level events keep the members, as null.
            Assert.True(e.TryGetProperty("matterCode", out _) && e.TryGetProperty("taskId", out _), e.ToString());
            Assert.True(e.GetProperty("actor").TryGetProperty("role", out _), e.ToString());
        }
    }

    [Fact]
    public async Task PagesFollowNextAfterWithoutLosingOrRepeatingAnEvent()
    {
        var caseId = await CompletedNewbornAsync();
        var all = await CaseEventsAsync(_driver.Portal, caseId);

        var paged = new List<int>();
        var after = 0L;
        for (var page = 0; page < 100; page++)
        {
            var body = await GetOkAsync(_driver.Portal, $"/api/cases/{caseId}/events?after={after}&limit=4");
            var items = body.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt32()).ToList();
            Assert.Equal(items.Count == 0 ? after : items[^1], body.GetProperty("nextAfter").GetInt64());
            if (items.Count == 0)
            {
                break;
            }
            Assert.True(items.Count <= 4);
            paged.AddRange(items);
            after = body.GetProperty("nextAfter").GetInt64();
        }

        Assert.Equal(all.Select(e => e.GetProperty("seq").GetInt32()), paged);
    }

    [Fact]
    public async Task ADepartmentSeesTheCaseLevelEventsAndThoseOfItsOwnMattersOnly()
    {
        var caseId = await CompletedNewbornAsync();
        var item = await _driver.ItemOfCaseAsync(caseId);
        var household = item.GetProperty("matters").EnumerateArray().Single(m => m.GetProperty("code").GetString() == "household-registration");
        var department = household.GetProperty("department").GetString()!;
        var itsMatters = item.GetProperty("matters").EnumerateArray()
            .Where(m => m.GetProperty("department").GetString() == department)
            .Select(m => m.GetProperty("code").GetString())
            .ToHashSet();

        var seen = await CaseEventsAsync(_driver.Department(department), caseId);
        var all = await CaseEventsAsync(_driver.Portal, caseId);

        Assert.All(seen, e => Assert.True(
            e.GetProperty("matterCode").ValueKind == JsonValueKind.Null || itsMatters.Contains(e.GetProperty("matterCode").GetString()),
            $"{department} sees {e}"));
        Assert.Contains(seen, e => e.GetProperty("type").GetString() == "TaskCompleted" && e.GetProperty("matterCode").GetString() == "household-registration");
        var expected = all.Where(e => e.GetProperty("matterCode").ValueKind == JsonValueKind.Null || itsMatters.Contains(e.GetProperty("matterCode").GetString()))
            .Select(e => e.GetProperty("seq").GetInt32());
        Assert.Equal(expected, seen.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.True(seen.Count < all.Count);
    }

    [Fact]
    public async Task ADepartmentReadsNoOtherActorsFreeTextInTheCaseLevelEvents()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var (withdrawn, _) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/withdraw", new { reason = "搬家到上海" });
        Assert.Equal(HttpStatusCode.OK, withdrawn);

        var asPortal = (await CaseEventsAsync(_driver.Portal, caseId)).Single(e => e.GetProperty("type").GetString() == "CaseWithdrawn");
        var asHealth = (await CaseEventsAsync(_driver.Department("health"), caseId)).Single(e => e.GetProperty("type").GetString() == "CaseWithdrawn");

        Assert.Equal("搬家到上海", asPortal.GetProperty("data").GetProperty("reason").GetString());
        Assert.False(asHealth.GetProperty("data").TryGetProperty("reason", out _), asHealth.ToString());
        // Its own task's cancellation keeps its reason: the department's own matter.
        var cancelled = (await CaseEventsAsync(_driver.Department("health"), caseId)).Single(e => e.GetProperty("type").GetString() == "TaskCancelled");
        Assert.Equal("birth-certificate", cancelled.GetProperty("matterCode").GetString());
        Assert.True(cancelled.GetProperty("data").TryGetProperty("reason", out _), cancelled.ToString());
    }

    [Fact]
    public async Task ADepartmentWithNoTaskInTheCaseIsToldThereIsNoSuchCase()
    {
        var caseId = await CompletedNewbornAsync();

        using var response = await _driver.Department("tax").GetAsync(new Uri($"/api/cases/{caseId}/events", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PortalAndOpsReadAnyCaseAndAnUnknownCaseIsNotFound()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        using var ops = fixture.Api.CreateClient("test-ops");

        Assert.NotEmpty(await CaseEventsAsync(_driver.Portal, caseId));
        Assert.NotEmpty(await CaseEventsAsync(ops, caseId));
        using var unknown = await _driver.Portal.GetAsync(new Uri($"/api/cases/no-such-case-{Guid.NewGuid():N}/events", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("after=abc", "after")]
    [InlineData("after=-1", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    public async Task BadQueryNumbersAreRefusedNamingTheParameter(string query, string parameter)
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        using var ops = fixture.Api.CreateClient("test-ops");

        await AssertBadRequestAsync(_driver.Portal, $"/api/cases/{caseId}/events?{query}", parameter);
        await AssertBadRequestAsync(ops, $"/api/events?{query}", parameter);
    }

    [Fact]
    public async Task OpsFollowTheFeedAndFindTheCaseEventsInOrder()
    {
        var caseId = await CompletedNewbornAsync();
        var expected = (await CaseEventsAsync(_driver.Portal, caseId)).Select(e => e.GetProperty("seq").GetInt32()).ToList();
        Assert.NotEmpty(expected);
        using var ops = fixture.Api.CreateClient("test-ops");
        var after = 0L;
        var positions = new List<long>();
        var nextAfterMismatches = new List<string>();
        var found = new List<JsonElement>();

        // The feed holds back events of transactions younger than the oldest still running: poll, within a bound.
        // (Poll retries a probe that throws, so the probe only collects; the assertions come after.)
        await Poll.UntilAsync(async () =>
        {
            for (var page = 0; page < 1000; page++)
            {
                var body = await GetOkAsync(ops, $"/api/events?after={after}&limit=500");
                var items = body.GetProperty("items").EnumerateArray().ToList();
                var nextAfter = body.GetProperty("nextAfter").GetInt64();
                var expectedNext = items.Count == 0 ? after : items[^1].GetProperty("position").GetInt64();
                if (nextAfter != expectedNext)
                {
                    nextAfterMismatches.Add($"after={after}: nextAfter {nextAfter}, expected {expectedNext}");
                }
                positions.AddRange(items.Select(e => e.GetProperty("position").GetInt64()));
                found.AddRange(items.Where(e => e.GetProperty("caseId").GetString() == caseId));
                if (items.Count == 0)
                {
                    break;
                }
                after = nextAfter;
            }
            return found.Count;
        }, count => count >= expected.Count, TimeSpan.FromSeconds(60), $"the feed did not bring every event of {caseId}");

        Assert.Empty(nextAfterMismatches);
        Assert.True(positions.Zip(positions.Skip(1)).All(pair => pair.First < pair.Second), "the feed's positions went back or repeated");
        Assert.Equal(expected, found.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.All(found, e => Assert.Equal("newborn", e.GetProperty("itemCode").GetString()));
        Assert.All(found, e => Assert.False(e.GetProperty("data").TryGetProperty("application", out _)));
        Assert.True(found[0].TryGetProperty("region", out _));
    }

    [Fact]
    public async Task TheFeedIsForOpsOnly()
    {
        using var portal = await _driver.Portal.GetAsync(new Uri("/api/events", UriKind.Relative));
        using var department = await _driver.Department("police").GetAsync(new Uri("/api/events", UriKind.Relative));
        using var anonymous = await fixture.Api.CreateClient(apiKey: null).GetAsync(new Uri("/api/events", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, portal.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, department.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private async Task<string> CompletedNewbornAsync()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var ended = await _driver.RunToEndAsync(caseId);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        return caseId;
    }

    /// <summary>All of a case's events the caller may see, in one page.</summary>
    private static async Task<List<JsonElement>> CaseEventsAsync(HttpClient client, string caseId)
    {
        var body = await GetOkAsync(client, $"/api/cases/{caseId}/events?limit=1000");
        var items = body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(items.Count == 0 ? 0 : items[^1].GetProperty("seq").GetInt64(), body.GetProperty("nextAfter").GetInt64());
        return items;
    }

    private static async Task<JsonElement> GetOkAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task AssertBadRequestAsync(HttpClient client, string path, string parameter)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"GET {path} answered {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(parameter, out _), $"expected an error for {parameter}: {text}");
    }
}
