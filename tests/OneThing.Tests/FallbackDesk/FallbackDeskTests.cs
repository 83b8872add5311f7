using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Tests.Deadlines;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.FallbackDesk;

/// <summary>The fallback desk on the fake clock: low ratings followed up, applicants' own requests, overdue entries.</summary>
[Collection(FakeTimeClusterCollection.Name)]
public sealed class FallbackDeskTests(FakeTimeClusterFixture fixture)
{
    private static int _seed = 760_000;
    private static readonly WorkingCalendar Calendar = WorkingCalendar.LoadFromDirectory(WorkingCalendar.DefaultDirectory);
    private static readonly TimeLimit FiveWorkingDays = new(WorkingDays: 5);
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task ABadRatingOpensADeskEntryThatIsOverdueAfterFiveWorkingDaysAndItsResolutionReachesTheApplicant()
    {
        var caseId = (await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        await _driver.RunToEndAsync(caseId);
        var ratedAt = fixture.Clock.GetUtcNow();
        var (rated, _) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/evaluation", new { rating = 1, comment = "跑了三趟" });
        Assert.Equal(HttpStatusCode.OK, rated);
        using var ops = fixture.Api.CreateClient("test-ops");

        var entryId = $"{caseId}.low-rating";
        var entry = await EntryAsync(ops, "source=rating", entryId);
        Assert.Equal("LowRating", entry.GetProperty("reason").GetString());
        Assert.Equal("rating", entry.GetProperty("source").GetString());
        Assert.Equal(caseId, entry.GetProperty("caseId").GetString());
        Assert.Equal("open", entry.GetProperty("status").GetString());
        var due = entry.GetProperty("dueAt").GetDateTimeOffset();
        Assert.Equal(Calendar.DueAt(ratedAt, FiveWorkingDays), due);
        Assert.False(entry.GetProperty("overdue").GetBoolean());
        Assert.DoesNotContain(await ListAsync(ops, "source=rating&overdue=true"), e => e.GetProperty("entryId").GetString() == entryId);

        fixture.Clock.SetUtcNow(due + TimeSpan.FromMinutes(1));
        Assert.True((await EntryAsync(ops, "source=rating&overdue=true", entryId)).GetProperty("overdue").GetBoolean());

        var (resolved, _) = await _driver.PostAsync(ops, $"/api/fallback-desk/cases/{entryId}/resolve", new { resolution = "已电话回访，改进窗口引导", resolvedBy = "窗口 王丽" });
        Assert.Equal(HttpStatusCode.OK, resolved);
        var done = await EntryAsync(ops, "status=resolved&source=rating", entryId);
        Assert.False(done.GetProperty("overdue").GetBoolean());
        Assert.Equal("窗口 王丽", done.GetProperty("resolvedBy").GetString());
        var line = (await _driver.CaseAsync(caseId)).GetProperty("timeline").EnumerateArray().Last();
        Assert.Equal("LowRatingResolved", line.GetProperty("type").GetString());
        Assert.Equal("已电话回访，改进窗口引导", line.GetProperty("detail").GetString());
        var (again, _) = await _driver.PostAsync(ops, $"/api/fallback-desk/cases/{entryId}/resolve", new { resolution = "另一答复" });
        Assert.Equal(HttpStatusCode.Conflict, again);
    }

    [Fact]
    public async Task AGoodRatingOpensNoEntry()
    {
        var caseId = (await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        await _driver.RunToEndAsync(caseId);
        Assert.Equal(HttpStatusCode.OK, (await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/evaluation", new { rating = 5 })).Status);
        using var ops = fixture.Api.CreateClient("test-ops");
        Assert.DoesNotContain(await ListAsync(ops, "status=all"), e => e.GetProperty("caseId").GetString() == caseId);
    }

    [Fact]
    public async Task AnApplicantFilesARequestWithOrWithoutACaseAndAnotherApplicantsCaseDoesNotLeak()
    {
        var mine = await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed));
        var theirs = await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed));
        var applicant = Applicant(mine);
        using var ops = fixture.Api.CreateClient("test-ops");

        var filedAt = fixture.Clock.GetUtcNow();
        var (created, entry) = await _driver.PostAsync(_driver.Portal, "/api/fallback-desk/cases", new { applicant, description = "社保转移办不成" });
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal("applicant", entry.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("caseId").ValueKind);
        Assert.Equal(Calendar.DueAt(filedAt, FiveWorkingDays), entry.GetProperty("dueAt").GetDateTimeOffset());
        Assert.Equal(mine.GetProperty("applicant").GetProperty("idNumber").GetString(), entry.GetProperty("applicant").GetProperty("idNumber").GetString());

        var caseId = mine.GetProperty("caseId").GetString()!;
        var (withCase, forCase) = await _driver.PostAsync(_driver.Portal, "/api/fallback-desk/cases", new { caseId, applicant, description = "退休审批太慢" });
        Assert.Equal(HttpStatusCode.Created, withCase);
        Assert.Equal(caseId, forCase.GetProperty("caseId").GetString());
        Assert.Equal("retirement", forCase.GetProperty("itemCode").GetString());

        var (other, otherBody) = await _driver.PostAsync(_driver.Portal, "/api/fallback-desk/cases",
            new { caseId = theirs.GetProperty("caseId").GetString(), applicant, description = "x" });
        var (unknown, unknownBody) = await _driver.PostAsync(_driver.Portal, "/api/fallback-desk/cases", new { caseId = "cnosuchcase", applicant, description = "x" });
        Assert.Equal(HttpStatusCode.NotFound, other);
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal(unknownBody.GetProperty("detail").GetString(), otherBody.GetProperty("detail").GetString());

        var entryId = entry.GetProperty("entryId").GetString()!;
        Assert.Contains(await ListAsync(ops, "source=applicant"), e => e.GetProperty("entryId").GetString() == entryId);
        var (resolved, resolvedEntry) = await _driver.PostAsync(ops, $"/api/fallback-desk/cases/{entryId}/resolve", new { resolution = "已协调人社部门办理" });
        Assert.Equal(HttpStatusCode.OK, resolved);
        Assert.Equal("resolved", resolvedEntry.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _driver.PostAsync(ops, $"/api/fallback-desk/cases/{entryId}/resolve", new { resolution = "已协调人社部门办理" })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await _driver.PostAsync(ops, $"/api/fallback-desk/cases/{entryId}/resolve", new { resolution = "改了" })).Status);
        Assert.DoesNotContain(await ListAsync(ops, "source=applicant"), e => e.GetProperty("entryId").GetString() == entryId);
    }

    [Fact]
    public async Task ARetriedRequestWithItsIdempotencyKeyFilesOneEntry()
    {
        var applicant = Applicant(await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed)));
        var key = Guid.NewGuid().ToString();
        var first = await FileAsync(key, new { applicant, description = "办不成" });
        var again = await FileAsync(key, new { applicant, description = "办不成" });
        var changed = await FileAsync(key, new { applicant, description = "另一件事" });
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(first.Body.GetProperty("entryId").GetString(), again.Body.GetProperty("entryId").GetString());
        Assert.Equal(HttpStatusCode.Conflict, changed.Status);
    }

    [Theory]
    [InlineData("""{"applicant":{"kind":"person","name":"张三","idNumber":"11010519491231002X"}}""", "description")]
    [InlineData("""{"applicant":{"kind":"person","name":"张三","idNumber":"110105194912310021"},"description":"x"}""", "applicant.idNumber")]
    [InlineData("""{"description":"x"}""", "applicant")]
    [InlineData("""{"applicant":{"kind":"person","name":"张三","idNumber":"11010519491231002X"},"description":"x","extra":1}""", "extra")]
    public async Task BadRequestsAre400NamingTheField(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _driver.Portal.PostAsync(new Uri("/api/fallback-desk/cases", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        using var ops = fixture.Api.CreateClient("test-ops");
        using var forbidden = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Forbidden, (await ops.PostAsync(new Uri("/api/fallback-desk/cases", UriKind.Relative), forbidden)).StatusCode);
    }

    /// <summary>The case's applicant as a request names them.</summary>
    private static object Applicant(JsonElement view)
    {
        var applicant = view.GetProperty("applicant");
        return new
        {
            kind = applicant.GetProperty("kind").GetString(),
            name = applicant.GetProperty("name").GetString(),
            idNumber = applicant.GetProperty("idNumber").GetString(),
        };
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> FileAsync(string idempotencyKey, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/fallback-desk/cases") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await _driver.Portal.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient ops, string query) =>
        (await ops.GetFromJsonAsync<JsonElement>(new Uri($"/api/fallback-desk/cases?pageSize=200&{query}", UriKind.Relative)))
            .GetProperty("items").EnumerateArray().ToList();

    private static async Task<JsonElement> EntryAsync(HttpClient ops, string query, string entryId) =>
        Assert.Single(await ListAsync(ops, query), e => e.GetProperty("entryId").GetString() == entryId);

}
