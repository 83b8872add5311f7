using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Tasks;
using OneThing.Tests.Deadlines;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Ops;

/// <summary>Ops search and the department inbox: filters, keyset cursors, bounded totals.</summary>
[Collection(FakeTimeClusterCollection.Name)]
public sealed class CaseSearchAndInboxTests(FakeTimeClusterFixture fixture)
{
    private static int _seed = 780_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task SearchFiltersAndPagesNewestFirstByCursor()
    {
        var region = $"search-{Guid.NewGuid():N}"[..15];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed), region)).GetProperty("caseId").GetString()!);
            fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.Equal(HttpStatusCode.OK, (await _driver.PostAsync(_driver.Portal, $"/api/cases/{ids[1]}/withdraw")).Status);
        var late = fixture.Cluster.Client.GetGrain<ICaseGrain>(ids[3]);
        fixture.Clock.SetUtcNow((await late.GetAsync())!.Tasks.Single(t => t.MatterCode == "housing-fund-freeze").DueAt!.Value + TimeSpan.FromMinutes(1));
        await late.CheckDeadlinesAsync();
        using var ops = fixture.Api.CreateClient("test-ops");

        var pages = new List<List<string>>();
        string? cursor = null;
        do
        {
            var page = await SearchAsync(ops, $"region={region}&limit=2{(cursor is null ? "" : $"&cursor={cursor}")}");
            pages.Add(Ids(page));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null && pages.Count < 10);
        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(ids), pages.SelectMany(p => p));

        Assert.Equal([ids[1]], Ids(await SearchAsync(ops, $"region={region}&status=Withdrawn")));
        Assert.Equal([ids[3]], Ids(await SearchAsync(ops, $"region={region}&overdue=true")));
        Assert.Equal(4, Ids(await SearchAsync(ops, $"region={region}&overdue=false")).Count);
        Assert.Contains(ids[3], Ids(await SearchAsync(ops, $"region={region}&warning=true")));
        Assert.Equal(5, Ids(await SearchAsync(ops, $"region={region}&department=hrss&item=retirement")).Count);
        Assert.Empty(Ids(await SearchAsync(ops, $"region={region}&department=police")));
        Assert.Empty(Ids(await SearchAsync(ops, $"region={region}&item=newborn")));
        var first = (await _driver.CaseAsync(ids[0])).GetProperty("submittedAt").GetDateTimeOffset();
        var second = (await _driver.CaseAsync(ids[1])).GetProperty("submittedAt").GetDateTimeOffset();
        Assert.Equal([ids[0]], Ids(await SearchAsync(ops, $"region={region}&submittedTo={Uri.EscapeDataString(second.AddTicks(-10).ToString("O"))}")));
        Assert.Equal(4, Ids(await SearchAsync(ops, $"region={region}&submittedFrom={Uri.EscapeDataString(second.ToString("O"))}")).Count);
        var day = first.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd");
        Assert.Contains(ids[0], Ids(await SearchAsync(ops, $"region={region}&submittedFrom={day}&submittedTo={day}")));
    }

    [Theory]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("cursor=%%%", "cursor")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("status=Open", "status")]
    [InlineData("overdue=yes", "overdue")]
    [InlineData("submittedFrom=2026-13-01", "submittedFrom")]
    public async Task BadSearchQueriesAre400NamingTheParameter(string query, string parameter)
    {
        using var ops = fixture.Api.CreateClient("test-ops");
        using var response = await ops.GetAsync(new Uri($"/api/ops/cases?{query}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(parameter, out _));
        using var portal = fixture.Api.CreateClient("test-portal");
        Assert.Equal(HttpStatusCode.Forbidden, (await portal.GetAsync(new Uri("/api/ops/cases", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task TheInboxTotalStopsCountingAtItsCapWhilePagesGoOn()
    {
        // More ended tasks of one department and item than the total counts, written as the read model stores them.
        var item = $"cap-{Guid.NewGuid():N}"[..12];
        var view = JsonSerializer.Serialize(new TaskView("", "", "tobacco-retail-licence", "烟草专卖零售许可证", "tobacco",
            DepartmentTaskStatus.Cancelled, fixture.Clock.GetUtcNow(), null, null, new Dictionary<string, string>(),
            new Dictionary<string, string>(), null, null, item, false), ViewJson.Options);
        await TestDatabase.ScalarAsync(fixture.ConnectionString, """
            INSERT INTO onething_department_tasks (task_id, case_id, department, matter_code, item_code, status, ready_at, due_at, revision, updated_at, view)
            SELECT @item || '-' || n, @item || '-' || n, 'tobacco', 'tobacco-retail-licence', @item, 'Cancelled',
                   now(), now() + n * interval '1 minute', 1, now(),
                   jsonb_set(jsonb_set(@view::jsonb, '{taskId}', to_jsonb(@item || '-' || n)), '{caseId}', to_jsonb(@item || '-' || n))
            FROM generate_series(1, @count) n
            """, ("item", item), ("view", view), ("count", OneThing.Api.Common.Paging.MaxTotal + 5));
        using var tobacco = fixture.Api.CreateClient(OneThingApiFactory.KeyOf("tobacco"));

        var first = await tobacco.GetFromJsonAsync<JsonElement>($"/api/departments/tobacco/tasks?status=Cancelled&item={item}&pageSize=200");
        Assert.Equal(OneThing.Api.Common.Paging.MaxTotal, first.GetProperty("total").GetInt64());
        var last = await tobacco.GetFromJsonAsync<JsonElement>($"/api/departments/tobacco/tasks?status=Cancelled&item={item}&page=6&pageSize=200");
        Assert.Equal(5, last.GetProperty("items").GetArrayLength());
        Assert.Equal($"{item}-{OneThing.Api.Common.Paging.MaxTotal + 5}", last.GetProperty("items")[4].GetProperty("taskId").GetString());
    }

    [Fact]
    public async Task TheInboxFiltersByItemAndFlagsAndItsCursorWalksEveryTaskOnce()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _driver.SubmitNewAsync("company-info-change", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!);
        }
        var late = fixture.Cluster.Client.GetGrain<ICaseGrain>(ids[0]);
        var task = (await late.GetAsync())!.Tasks.First(t => t.ReadyAt is not null);
        fixture.Clock.SetUtcNow(task.DueAt!.Value + TimeSpan.FromMinutes(1));
        await late.CheckDeadlinesAsync();
        var inbox = _driver.Department(task.Department);
        var path = $"/api/departments/{task.Department}/tasks?item=company-info-change";

        var walked = new List<string>();
        string? cursor = null;
        do
        {
            var page = await inbox.GetFromJsonAsync<JsonElement>(new Uri($"{path}&limit=1{(cursor is null ? "" : $"&cursor={cursor}")}", UriKind.Relative));
            walked.AddRange(page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null && walked.Count < 1000);
        var paged = await inbox.GetFromJsonAsync<JsonElement>(new Uri($"{path}&pageSize=200", UriKind.Relative));
        Assert.Equal(paged.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!), walked);
        Assert.Equal(walked.Count, paged.GetProperty("total").GetInt64());
        Assert.Equal(walked.Count, walked.Distinct().Count());
        Assert.Contains(task.TaskId, walked);

        var overdue = await inbox.GetFromJsonAsync<JsonElement>(new Uri($"{path}&overdue=true&pageSize=200", UriKind.Relative));
        Assert.Contains(overdue.GetProperty("items").EnumerateArray(), t => t.GetProperty("taskId").GetString() == task.TaskId);
        Assert.All(overdue.GetProperty("items").EnumerateArray(), t => Assert.True(t.GetProperty("overdue").GetBoolean()));
        var onTime = await inbox.GetFromJsonAsync<JsonElement>(new Uri($"{path}&overdue=false&pageSize=200", UriKind.Relative));
        Assert.DoesNotContain(onTime.GetProperty("items").EnumerateArray(), t => t.GetProperty("taskId").GetString() == task.TaskId);
        var warned = await inbox.GetFromJsonAsync<JsonElement>(new Uri($"{path}&warning=true&pageSize=200", UriKind.Relative));
        Assert.All(warned.GetProperty("items").EnumerateArray(), t => Assert.True(t.GetProperty("warning").GetBoolean()));
        var other = await inbox.GetFromJsonAsync<JsonElement>(new Uri($"/api/departments/{task.Department}/tasks?item=newborn", UriKind.Relative));
        Assert.DoesNotContain(other.GetProperty("items").EnumerateArray(), t => ids.Contains(t.GetProperty("caseId").GetString()!));

        using var bad = await inbox.GetAsync(new Uri($"{path}&cursor=xyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static async Task<JsonElement> SearchAsync(HttpClient ops, string query) =>
        await ops.GetFromJsonAsync<JsonElement>(new Uri($"/api/ops/cases?{query}", UriKind.Relative));

    private static List<string> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("caseId").GetString()!).ToList();
}
