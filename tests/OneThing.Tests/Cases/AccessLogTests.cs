using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Api.AccessLog;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Cases;

/// <summary>查询留痕: every read of a case's data by a department or ops is recorded, and the applicant's channel lists them.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class AccessLogTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 895_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task DepartmentAndOpsReadsAreListedNewestFirstAndPortalReadsAreNot()
    {
        var submitted = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));
        var caseId = submitted.GetProperty("caseId").GetString()!;
        var taskId = CaseDriver.TaskOf(submitted, "birth-certificate").GetProperty("taskId").GetString();
        var health = _driver.Department("health");

        await _driver.CaseAsync(caseId);
        using var caseRead = await health.GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
        using var notModified = await GetIfNoneMatchAsync(health, caseId, caseRead.Headers.ETag!.ToString());
        using var taskRead = await health.GetAsync(new Uri($"/api/tasks/{taskId}", UriKind.Relative));
        using var opsRead = await fixture.Api.CreateClient("test-ops").GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
        await FlushAsync();
        var log = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{caseId}/access-log", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(3, log.GetProperty("total").GetInt64());
        var items = log.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(
            [("ops", "ops", null, "GET /api/cases/{caseId}"), ("department", "health", "health", "GET /api/tasks/{taskId}"), ("department", "health", "health", "GET /api/cases/{caseId}")],
            items.Select(i => (i.GetProperty("role").GetString(), i.GetProperty("name").GetString(), i.GetProperty("department").GetString(), i.GetProperty("route").GetString())));
        var times = items.Select(i => i.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.InRange(times[0], DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task AnInboxPageRecordsOneReadForEachCaseWhoseRowCarriesInputs()
    {
        await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));
        var recorder = fixture.Api.Services.GetRequiredService<CaseAccessLog>();
        await recorder.FlushAsync();
        var before = recorder.Written;

        var page = await _driver.Department("health").GetFromJsonAsync<JsonElement>(new Uri("/api/departments/health/tasks?pageSize=20", UriKind.Relative));
        await recorder.FlushAsync();

        var casesWithInputs = page.GetProperty("items").EnumerateArray()
            .Where(t => t.GetProperty("inputs").EnumerateObject().Any())
            .Select(t => t.GetProperty("caseId").GetString()!)
            .Distinct()
            .ToList();
        Assert.NotEmpty(casesWithInputs);
        Assert.Equal(casesWithInputs.Count, recorder.Written - before);
        var log = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{casesWithInputs[0]}/access-log?pageSize=1", UriKind.Relative));
        var newest = log.GetProperty("items")[0];
        Assert.Equal(("health", "GET /api/departments/{department}/tasks"), (newest.GetProperty("department").GetString(), newest.GetProperty("route").GetString()));
    }

    [Fact]
    public async Task PagesOfTheLogCountEveryReadAndRunNewestFirst()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        var ops = fixture.Api.CreateClient("test-ops");
        for (var i = 0; i < 5; i++)
        {
            using var read = await (i % 2 == 0 ? _driver.Department("police") : ops).GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        await FlushAsync();

        var first = await ops.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{caseId}/access-log?page=1&pageSize=2", UriKind.Relative));
        var last = await ops.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{caseId}/access-log?page=3&pageSize=2", UriKind.Relative));
        var beyond = await ops.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{caseId}/access-log?page=4&pageSize=2", UriKind.Relative));

        Assert.Equal((1, 2, 5L), (first.GetProperty("page").GetInt32(), first.GetProperty("pageSize").GetInt32(), first.GetProperty("total").GetInt64()));
        Assert.Equal(["police", "ops"], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["police"], last.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Empty(beyond.GetProperty("items").EnumerateArray());
        Assert.Equal(5L, beyond.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task TheLogOfAnUnknownCaseIs404AndADepartmentMayNotReadAny()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;

        using var unknown = await _driver.Portal.GetAsync(new Uri($"/api/cases/no-such-case-{Guid.NewGuid():N}/access-log", UriKind.Relative));
        using var department = await _driver.Department("health").GetAsync(new Uri($"/api/cases/{caseId}/access-log", UriKind.Relative));
        using var badPaging = await _driver.Portal.GetAsync(new Uri($"/api/cases/{caseId}/access-log?pageSize=0", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, department.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPaging.StatusCode);
    }

    [Fact]
    public async Task AGracefulShutdownWritesEveryQueuedRead()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        // A flush interval longer than the test: only the shutdown can write these rows.
        var api = new OneThingApiFactory(fixture.ConnectionString, fixture.Cluster.Options.ClusterId, fixture.Cluster.Options.ServiceId,
            new Dictionary<string, string?> { ["OneThing:AccessLog:FlushInterval"] = "00:01:00" });
        var health = api.CreateClient(OneThingApiFactory.KeyOf("health"));
        for (var i = 0; i < 25; i++)
        {
            using var read = await health.GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        var writtenBeforeShutdown = api.Services.GetRequiredService<CaseAccessLog>().Written;

        await api.DisposeAsync();

        Assert.Equal(0, writtenBeforeShutdown);
        Assert.Equal(25L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_case_access_log WHERE case_id = @case", ("case", caseId)));
    }

    private Task FlushAsync() => fixture.Api.Services.GetRequiredService<CaseAccessLog>().FlushAsync();

    private static async Task<HttpResponseMessage> GetIfNoneMatchAsync(HttpClient client, string caseId, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/cases/{caseId}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await client.SendAsync(request);
    }
}
