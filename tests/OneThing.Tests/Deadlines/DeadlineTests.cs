using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Tests.Fixtures;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace OneThing.Tests.Deadlines;

/// <summary>One silo whose grains run on a fake clock the tests move; Orleans' own timers stay on real time.</summary>
public sealed class FakeTimeClusterFixture : IAsyncLifetime
{
    /// <summary>Friday before the 2026 Spring Festival, 10:00 in Beijing.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 2, 13, 10, 0, 0, TimeSpan.FromHours(8)));

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public OneThingApiFactory Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Cluster, ConnectionString) = await PostgresTestCluster.StartAsync(1, "deadlines", fakeTime: Clock);
        Api = new OneThingApiFactory(Cluster, ConnectionString) { Clock = Clock };
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class FakeTimeClusterCollection : ICollectionFixture<FakeTimeClusterFixture>
{
    public const string Name = "fake-time cluster";
}

[Collection(FakeTimeClusterCollection.Name)]
public sealed class DeadlineTests(FakeTimeClusterFixture fixture)
{
    private static int _seed = 700_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task WarningAndOverdueFireExactlyOnceAndEscalateToTheFallbackDesk()
    {
        var caseId = (await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        var grain = fixture.Cluster.Client.GetGrain<ICaseGrain>(caseId);
        var due = (await grain.GetAsync())!.DueAt!.Value;

        fixture.Clock.SetUtcNow(due - TimeSpan.FromHours(12));
        await grain.CheckDeadlinesAsync();
        await grain.CheckDeadlinesAsync();
        var warned = await _driver.CaseAsync(caseId);
        Assert.True(warned.GetProperty("warning").GetBoolean());
        Assert.False(warned.GetProperty("overdue").GetBoolean());
        Assert.Equal(1, Count(warned, "DeadlineWarning", "Case due"));

        fixture.Clock.SetUtcNow(due + TimeSpan.FromMinutes(1));
        await grain.CheckDeadlinesAsync();
        await grain.CheckDeadlinesAsync();
        var overdue = await _driver.CaseAsync(caseId);

        Assert.True(overdue.GetProperty("overdue").GetBoolean());
        Assert.Equal(1, Count(overdue, "Overdue", "Case was due"));
        Assert.Equal(1, Count(overdue, "DeadlineWarning", "Case due"));
        Assert.Equal(1, Count(overdue, "Escalated", ""));
        Assert.True(CaseDriver.TaskOf(overdue, "pension-application").GetProperty("overdue").GetBoolean());
        var inbox = await _driver.Department("hrss").GetFromJsonAsync<JsonElement>(new Uri("/api/departments/hrss/tasks?pageSize=200", UriKind.Relative));
        Assert.Contains(inbox.GetProperty("items").EnumerateArray(), t => t.GetProperty("caseId").GetString() == caseId && t.GetProperty("overdue").GetBoolean());

        using var ops = fixture.Api.CreateClient("test-ops");
        // Statistics follow the event feed: polled until the projection has the overdue task.
        await Poll.UntilAsync(
            () => ops.GetFromJsonAsync<JsonElement>(new Uri("/api/ops/statistics/departments", UriKind.Relative)),
            statistics => statistics.EnumerateArray().Any(d => d.GetProperty("department").GetString() == "hrss" && d.GetProperty("overdue").GetInt64() >= 1),
            TimeSpan.FromSeconds(30), "the department statistics did not count the overdue hrss task");
        var desk = await ops.GetFromJsonAsync<JsonElement>(new Uri("/api/fallback-desk/cases?pageSize=200", UriKind.Relative));
        var escalated = Assert.Single(desk.GetProperty("items").EnumerateArray(), c => c.GetProperty("caseId").GetString() == caseId);
        Assert.False(string.IsNullOrEmpty(escalated.GetProperty("reason").GetString()));
        Assert.Equal("open", escalated.GetProperty("status").GetString());

        var (resolved, _) = await _driver.PostAsync(ops, $"/api/fallback-desk/cases/{caseId}/resolve",
            new { resolution = "联系人社部门加急办理", resolvedBy = "窗口 王丽" });
        Assert.Equal(HttpStatusCode.OK, resolved);
        var after = await ops.GetFromJsonAsync<JsonElement>(new Uri("/api/fallback-desk/cases?status=resolved&pageSize=200", UriKind.Relative));
        var row = Assert.Single(after.GetProperty("items").EnumerateArray(), c => c.GetProperty("caseId").GetString() == caseId);
        Assert.Equal("窗口 王丽", row.GetProperty("resolvedBy").GetString());
        using var portal = fixture.Api.CreateClient("test-portal");
        Assert.Equal(HttpStatusCode.Forbidden, (await portal.GetAsync(new Uri("/api/fallback-desk/cases", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task DeadlineMissedWhileTheCaseWasNotActiveFiresOnTheNextActivation()
    {
        var caseId = (await _driver.SubmitNewAsync("retirement", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        var due = (await _driver.CaseAsync(caseId)).GetProperty("dueAt").GetDateTimeOffset();

        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        fixture.Clock.SetUtcNow(due + TimeSpan.FromHours(1));
        var view = await _driver.CaseAsync(caseId);

        Assert.True(view.GetProperty("overdue").GetBoolean());
        Assert.Equal(1, Count(view, "Overdue", "Case was due"));
        var overdueEntry = view.GetProperty("timeline").EnumerateArray().First(e => e.GetProperty("type").GetString() == "Overdue");
        Assert.True(overdueEntry.GetProperty("at").GetDateTimeOffset() >= due);
    }

    [Fact]
    public async Task DeferredMaterialThatNeverArrivesEndsTheCaseRejected()
    {
        var item = await _driver.ItemAsync("open-restaurant");
        var application = CaseDriver.SampleApplication(item, Interlocked.Increment(ref _seed));
        var materials = application["materials"]!.AsArray();
        materials.Remove(materials.Single(m => m!["code"]!.GetValue<string>() == "food-safety-rules"));
        var promisedBy = fixture.Clock.GetUtcNow().AddDays(3);
        application["deferredMaterials"] = new System.Text.Json.Nodes.JsonArray(
            new System.Text.Json.Nodes.JsonObject { ["code"] = "food-safety-rules", ["promisedBy"] = promisedBy.ToString("O") });

        var (status, created) = await _driver.SubmitAsync(application);
        Assert.Equal(HttpStatusCode.Created, status);
        var caseId = created.GetProperty("caseId").GetString()!;
        Assert.Equal(promisedBy, created.GetProperty("deferredMaterials")[0].GetProperty("promisedBy").GetDateTimeOffset());

        fixture.Clock.SetUtcNow(promisedBy + TimeSpan.FromMinutes(1));
        var ended = (await fixture.Cluster.Client.GetGrain<ICaseGrain>(caseId).CheckDeadlinesAsync())!;

        Assert.Equal(CaseStatus.Rejected, ended.Status);
        Assert.Contains("food-safety-rules", ended.StatusReason, StringComparison.Ordinal);
        Assert.All(ended.Tasks, t => Assert.Equal(DepartmentTaskStatus.Cancelled, t.Status));
    }

    [Fact]
    public async Task DeferredMaterialSuppliedInTimeKeepsTheCaseRunning()
    {
        var item = await _driver.ItemAsync("open-restaurant");
        var application = CaseDriver.SampleApplication(item, Interlocked.Increment(ref _seed));
        var materials = application["materials"]!.AsArray();
        materials.Remove(materials.Single(m => m!["code"]!.GetValue<string>() == "food-safety-rules"));

        var (_, created) = await _driver.SubmitAsync(application);
        var caseId = created.GetProperty("caseId").GetString()!;
        var promise = created.GetProperty("deferredMaterials")[0].GetProperty("promisedBy").GetDateTimeOffset();
        var (supplied, _) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/supplements", new
        {
            materials = new[] { new { code = "food-safety-rules", uri = "https://files.example.gov.cn/rules.pdf", sha256 = new string('e', 64) } },
        });
        fixture.Clock.SetUtcNow(promise + TimeSpan.FromMinutes(1));
        var view = (await fixture.Cluster.Client.GetGrain<ICaseGrain>(caseId).CheckDeadlinesAsync())!;

        Assert.Equal(HttpStatusCode.OK, supplied);
        Assert.NotEqual(CaseStatus.Rejected, view.Status);
        Assert.NotNull(view.DeferredMaterials![0].SuppliedAt);
    }

    private static int Count(JsonElement view, string type, string detailPrefix) =>
        view.GetProperty("timeline").EnumerateArray().Count(e =>
            e.GetProperty("type").GetString() == type && (e.GetProperty("detail").GetString() ?? "").StartsWith(detailPrefix, StringComparison.Ordinal));
}
