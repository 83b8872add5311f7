using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OneThing.Contracts.Ops;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Events;
using OneThing.Grains.Statistics;
using OneThing.Tests.Fixtures;
using Orleans.TestingHost;
using static OneThing.Tests.Statistics.StatisticsFixture;

namespace OneThing.Tests.Statistics;

/// <summary>One silo and the API on a fake clock that starts on the fixture's first day; the projector runs as in production.</summary>
public sealed class StatisticsClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(At(2, 12, 10));

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public OneThingApiFactory Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Cluster, ConnectionString) = await PostgresTestCluster.StartAsync(1, "statistics",
            new Dictionary<string, string?> { ["OneThing:Statistics:PollInterval"] = "00:00:00.200" }, fakeTime: Clock);
        Api = new OneThingApiFactory(Cluster, ConnectionString) { Clock = Clock };
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Waits until the projection holds every event of <paramref name="caseIds"/>.</summary>
    public async Task CaughtUpAsync(IEnumerable<string> caseIds)
    {
        await using var database = NpgsqlDataSource.Create(ConnectionString);
        await using var last = database.CreateCommand("SELECT coalesce(max(position), 0) FROM onething_case_events WHERE case_id = ANY($1)");
        last.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = caseIds.ToArray() });
        var position = (long)(await last.ExecuteScalarAsync())!;
        var projector = new StatisticsProjector(database, new CaseEventFeed(database), WorkingCalendar.LoadFromDirectory(WorkingCalendar.DefaultDirectory));
        await Poll.UntilAsync(() => projector.CheckpointAsync(), checkpoint => checkpoint >= position, TimeSpan.FromSeconds(30),
            $"the statistics projection did not reach feed position {position}");
    }
}

[CollectionDefinition(Name)]
public sealed class StatisticsClusterCollection : ICollectionFixture<StatisticsClusterFixture>
{
    public const string Name = "statistics cluster";
}

[Collection(StatisticsClusterCollection.Name)]
public sealed class StatisticsApiTests(StatisticsClusterFixture fixture)
{
    private static int _seed = 900_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    /// <summary>
    /// The fixture's cases run through the API, on their own region so that no other test's cases count. The clock only
    /// moves forward, so this is the one test of the collection that sets it.
    /// </summary>
    [Fact]
    public async Task FiguresEqualTheHandComputedOnesAndARebuildGivesTheSame()
    {
        var region = $"stats-{Guid.NewGuid():N}"[..14];
        using var ops = fixture.Api.CreateClient("test-ops");
        var hrss = _driver.Department("hrss");

        var a = await SubmitAsync(region, At(2, 12, 10));
        await Expect(HttpStatusCode.OK, () => _driver.PostAsync(hrss, $"/api/tasks/{a}.pension-application/supplement-requests", new { materials = new[] { "id-card" } }), At(2, 12, 11));
        await CheckDeadlinesAsync(a, At(2, 14, 1));
        await WorkAsync(a, "housing-fund-freeze", At(2, 24, 10));
        await Expect(HttpStatusCode.OK, () => _driver.PostAsync(_driver.Portal, $"/api/cases/{a}/supplements", new
        {
            materials = new[] { new { code = "id-card", uri = "https://files.example.gov.cn/id.pdf", sha256 = new string('a', 64) } },
        }), At(2, 24, 11));
        await WorkAsync(a, "pension-application", At(2, 25, 10));
        await WorkAsync(a, "housing-fund-withdrawal", At(2, 26, 16));
        await WorkAsync(a, "medical-insurance-change", At(2, 27, 10));
        await Expect(HttpStatusCode.OK, () => _driver.PostAsync(_driver.Portal, $"/api/cases/{a}/evaluation", new { rating = 5 }), At(2, 27, 11));

        var b = await SubmitAsync(region, At(3, 2, 10));
        var c = await SubmitAsync(region, At(3, 2, 11));
        var d = await SubmitAsync(region, At(3, 2, 12));
        await Expect(HttpStatusCode.OK, () => _driver.PostAsync(_driver.Portal, $"/api/cases/{c}/withdraw"), At(3, 2, 15));
        await Expect(HttpStatusCode.OK, () => _driver.PostAsync(hrss, $"/api/tasks/{b}.pension-application/reject", new { reason = "材料不符" }), At(3, 3, 10));
        await Expect(HttpStatusCode.OK, () => _driver.PostAsync(_driver.Portal, $"/api/cases/{b}/evaluation", new { rating = 1, comment = "太慢" }), At(3, 3, 12));
        await CheckDeadlinesAsync(d, At(3, 4, 1));

        await fixture.CaughtUpAsync([a, b, c, d]);
        var query = $"from=2026-02-01&to=2026-03-31&region={region}";
        var byDepartment = await ReportAsync(ops, $"groupBy=department&{query}");
        AssertEqual(ByDepartment, byDepartment.Groups);
        Assert.Equal("department", byDepartment.GroupBy);
        Assert.Equal(From, byDepartment.From);
        var byItem = await ReportAsync(ops, $"groupBy=item&{query}");
        AssertEqual([ByItem], byItem.Groups);
        // Days alone (no whole month in the period) and months alone give the same figures.
        AssertEqual(ByDepartment, (await ReportAsync(ops, $"groupBy=department&from=2026-02-10&to=2026-03-05&region={region}")).Groups);
        AssertEqual(FebruaryByDepartment, (await ReportAsync(ops, $"groupBy=department&from=2026-02-01&to=2026-02-28&region={region}")).Groups);
        var byRegion = await ReportAsync(ops, $"groupBy=region&{query}");
        AssertEqual([ByItem with { Key = region }], byRegion.Groups);
        var hrssOnly = await ReportAsync(ops, $"groupBy=item&{query}&department=hrss");
        AssertEqual([ByDepartment[1] with { Key = "retirement" }], hrssOnly.Groups);

        // The all-time route reads the projection too: D's freeze is open and overdue.
        var rows = await ops.GetFromJsonAsync<JsonElement>(new Uri("/api/ops/statistics/departments", UriKind.Relative));
        var housingFund = rows.EnumerateArray().Single(r => r.GetProperty("department").GetString() == "housing-fund");
        Assert.True(housingFund.GetProperty("openOverdue").GetInt64() >= 1);
        Assert.True(housingFund.GetProperty("overdue").GetInt64() >= 2);

        var before = await RawAsync(ops, $"groupBy=department&{query}");
        await using (var database = NpgsqlDataSource.Create(fixture.ConnectionString))
        {
            var projector = new StatisticsProjector(database, new CaseEventFeed(database), WorkingCalendar.LoadFromDirectory(WorkingCalendar.DefaultDirectory));
            await projector.ResetAsync();
            await projector.CatchUpAsync();
        }
        await fixture.CaughtUpAsync([a, b, c, d]);
        Assert.Equal(before, await RawAsync(ops, $"groupBy=department&{query}"));
    }

    [Theory]
    [InlineData("groupBy=case", "groupBy")]
    [InlineData("from=2026-2-1", "from")]
    [InlineData("to=yesterday", "to")]
    [InlineData("from=2026-03-02&to=2026-03-01", "from")]
    [InlineData("from=2000-01-01&to=2026-01-01", "from")]
    public async Task BadQueriesAre400NamingTheParameter(string query, string parameter)
    {
        using var ops = fixture.Api.CreateClient("test-ops");
        using var response = await ops.GetAsync(new Uri($"/api/ops/statistics?{query}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
        using var portal = fixture.Api.CreateClient("test-portal");
        Assert.Equal(HttpStatusCode.Forbidden, (await portal.GetAsync(new Uri("/api/ops/statistics", UriKind.Relative))).StatusCode);
    }

    private async Task<string> SubmitAsync(string region, DateTimeOffset at)
    {
        fixture.Clock.SetUtcNow(at);
        return (await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed), region)).GetProperty("caseId").GetString()!;
    }

    private async Task WorkAsync(string caseId, string matter, DateTimeOffset at)
    {
        fixture.Clock.SetUtcNow(at);
        await _driver.WorkAsync(CaseDriver.TaskOf(await _driver.CaseAsync(caseId), matter));
    }

    private async Task CheckDeadlinesAsync(string caseId, DateTimeOffset at)
    {
        fixture.Clock.SetUtcNow(at);
        await fixture.Cluster.Client.GetGrain<ICaseGrain>(caseId).CheckDeadlinesAsync();
    }

    private async Task Expect(HttpStatusCode status, Func<Task<(HttpStatusCode Status, JsonElement Body)>> action, DateTimeOffset at)
    {
        fixture.Clock.SetUtcNow(at);
        var (actual, body) = await action();
        Assert.True(actual == status, $"expected {status}, got {actual}: {body}");
    }

    private static async Task<StatisticsReport> ReportAsync(HttpClient ops, string query) =>
        (await ops.GetFromJsonAsync<StatisticsReport>(new Uri($"/api/ops/statistics?{query}", UriKind.Relative)))!;

    private static async Task<string> RawAsync(HttpClient ops, string query) =>
        await ops.GetStringAsync(new Uri($"/api/ops/statistics?{query}", UriKind.Relative));
}
