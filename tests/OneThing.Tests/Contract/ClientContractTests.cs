using System.Net;
using OneThing.Client;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Contracts.FallbackDesk;
using OneThing.Contracts.Webhooks;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Webhooks;

namespace OneThing.Tests.Contract;

/// <summary>
/// Every method of <see cref="OneThingClient"/> against the real API, each exchange checked against the OpenAPI document
/// by <see cref="OpenApiContract"/>: the client sends what the document describes, reads every answer into its typed
/// response, and reaches every operation.
/// </summary>
[Collection(WebhookClusterCollection.Name)]
public sealed class ClientContractTests(WebhookClusterFixture fixture) : IAsyncLifetime
{
    private static int _seed = 995_000;
    private OneThingApiFactory _api = null!;
    private OpenApiContract _contract = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        (_api, _contract) = await OpenApiContract.StartCheckedApiAsync(fixture);
        // One HttpClient without a key; each OneThingClient sends its own.
        _http = _api.CreateClient(apiKey: null);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task EveryClientMethodSpeaksTheDocument()
    {
        var anonymous = new OneThingClient(_http);
        var portal = new OneThingClient(_http, "test-portal");
        var ops = portal.WithKey("test-ops");
        await using var receiver = await TestReceiver.StartAsync();

        Assert.Equal("live", (await anonymous.GetLivenessAsync()).Status);
        Assert.Equal("ready", (await anonymous.GetReadinessAsync()).Status);
        Assert.Contains(await portal.ListItemsAsync(), item => item.Code == "retirement");
        var item = await portal.GetItemAsync("retirement");
        Assert.NotEmpty(item.Matters);
        Assert.Equal("object", (await portal.GetItemFormSchemaAsync("retirement")).GetProperty("type").GetString());
        Assert.NotEmpty(await portal.ListDepartmentsAsync());
        Assert.Equal(2026, (await portal.GetCalendarYearAsync(2026)).Year);

        var year = new CalendarYearRequest { Holidays = [new DateOnly(2036, 1, 1)], WorkingWeekends = [] };
        Assert.True((await ops.PutCalendarYearAsync(2036, year)).Created);
        Assert.False((await ops.PutCalendarYearAsync(2036, year)).Created);
        var definition = new ItemDefinition(item.Code, "退休一件事（客户端测试）", item.Version, item.Audience, item.LeadDepartment, item.TimeLimit,
            item.Form, item.Materials, item.Matters, item.Description, item.Region, item.Notices);
        var published = await ops.PublishItemAsync("retirement", definition);
        Assert.False((await ops.PublishItemAsync("retirement", definition)).Created);
        Assert.Equal(published.Value.Version, (await portal.GetItemAsync("retirement")).Version);

        var subscription = (await ops.CreateSubscriptionAsync(
            new CreateSubscriptionRequest { Url = receiver.Url, Events = ["*"], Description = "客户端测试" }, $"client-{Guid.NewGuid():N}")).Value;
        Assert.StartsWith("whsec_", subscription.Secret, StringComparison.Ordinal);

        // A case with a supplement round, run to its end, rated.
        var application = CaseDriver.SampleRequest(await portal.GetItemAsync("retirement"), Interlocked.Increment(ref _seed));
        var key = $"client-{Guid.NewGuid():N}";
        var submitted = await portal.SubmitCaseAsync(application, key);
        Assert.True(submitted.Created);
        Assert.NotNull(submitted.Location);
        var again = await portal.SubmitCaseAsync(application, key);
        Assert.False(again.Created);
        Assert.Equal(submitted.Value.CaseId, again.Value.CaseId);
        var conflict = await Assert.ThrowsAsync<OneThingApiException>(() =>
            portal.SubmitCaseAsync(CaseDriver.SampleRequest(item, Interlocked.Increment(ref _seed)), key));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        var caseId = submitted.Value.CaseId;

        var first = await portal.GetCaseAsync(caseId, etag: null);
        Assert.False(first.NotModified);
        Assert.NotNull(first.ETag);
        var unchanged = await portal.GetCaseAsync(caseId, first.ETag);
        Assert.True(unchanged.NotModified);
        Assert.Null(unchanged.Value);
        Assert.Contains((await portal.ListApplicantCasesAsync(application.Applicant.IdNumber!)).Items, c => c.CaseId == caseId);
        var progress = await portal.GetCaseProgressAsync(caseId, new ProgressRequest { IdNumberLast6 = application.Applicant.IdNumber![^6..] });
        Assert.Equal(caseId, progress.CaseId);
        Assert.NotEmpty(progress.Matters);
        Assert.NotEmpty((await portal.ListCaseEventsAsync(caseId)).Items);
        var missing = await Assert.ThrowsAsync<OneThingApiException>(() => portal.GetCaseAsync("cnosuchcaseatall0000000000"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);

        var ready = first.Value!.Tasks.First(t => t.Status == DepartmentTaskStatus.Ready);
        var department = portal.WithKey(OneThingApiFactory.KeyOf(ready.Department));
        Assert.Contains((await department.ListInboxAsync(ready.Department)).Items, t => t.TaskId == ready.TaskId);
        var page = await department.ListInboxAsync(ready.Department, new InboxQuery { Status = DepartmentTaskStatus.Ready, Limit = 5 });
        Assert.True(page.Items.Count <= 5);
        Assert.Equal(ready.TaskId, (await department.GetTaskAsync(ready.TaskId)).TaskId);
        Assert.Equal(DepartmentTaskStatus.Accepted, (await department.AcceptTaskAsync(ready.TaskId)).Status);
        var material = item.Materials[0].Code;
        var asked = await department.RequestSupplementAsync(ready.TaskId, new SupplementRequestRequest { Materials = [material], Note = "请补充清晰扫描件" });
        Assert.Equal(DepartmentTaskStatus.AwaitingSupplement, asked.Status);
        var supplied = await portal.SupplyMaterialsAsync(caseId,
            new SupplyRequest { Materials = [new MaterialInput { Code = material, Uri = "https://files.example.gov.cn/m/2.pdf" }] });
        Assert.Equal(CaseStatus.InProgress, supplied.Status);
        var driver = new CaseDriver(_api);
        var ended = await driver.RunCaseToEndAsync(caseId);
        Assert.Equal(CaseStatus.Completed, ended.Status);
        Assert.Equal(2, (await portal.EvaluateCaseAsync(caseId, new EvaluationRequest { Rating = 2, Comment = "等待太久" })).Evaluation!.Rating);
        // The access log is written in batches a moment after the reads it records.
        await Poll.UntilAsync(() => portal.ListCaseAccessLogAsync(caseId), page => page.Items.Count > 0, TimeSpan.FromSeconds(30),
            "the department's reads of the case did not reach its access log within 30 s");

        // A withdrawn case and a rejected task.
        var withdrawn = (await portal.SubmitCaseAsync(CaseDriver.SampleRequest(item, Interlocked.Increment(ref _seed)))).Value;
        Assert.Equal(CaseStatus.Withdrawn, (await portal.WithdrawCaseAsync(withdrawn.CaseId, new WithdrawRequest { Reason = "不再需要" })).Status);
        var toReject = (await portal.SubmitCaseAsync(CaseDriver.SampleRequest(item, Interlocked.Increment(ref _seed)))).Value.Tasks
            .First(t => t.Status == DepartmentTaskStatus.Ready);
        var rejected = await portal.WithKey(OneThingApiFactory.KeyOf(toReject.Department))
            .RejectTaskAsync(toReject.TaskId, new RejectTaskRequest { Reason = "不符合条件" });
        Assert.Equal(DepartmentTaskStatus.Rejected, rejected.Status);

        // Ops and the fallback desk.
        Assert.NotEmpty((await ops.GetClusterAsync()).Silos);
        Assert.Equal("department", (await ops.GetStatisticsAsync(new StatisticsQuery { GroupBy = "department" })).GroupBy);
        var invalid = await Assert.ThrowsAsync<OneThingApiException>(() => ops.GetStatisticsAsync(new StatisticsQuery { GroupBy = "weekday" }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Contains("groupBy", invalid.Errors.Keys);
        Assert.NotNull(await ops.GetDepartmentStatisticsAsync());
        Assert.True((await ops.SearchCasesAsync(new CaseSearchQuery { Item = "retirement", Limit = 5 })).Items.Count <= 5);
        Assert.NotEmpty((await ops.ListEventFeedAsync(limit: 5)).Items);
        var forbidden = await Assert.ThrowsAsync<OneThingApiException>(() => portal.SearchCasesAsync());
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
        var filed = await portal.FileDeskRequestAsync(new FileDeskRequest
        {
            CaseId = caseId,
            Applicant = application.Applicant,
            Description = "退休手续办不成",
        });
        Assert.True(filed.Created);
        Assert.Contains((await ops.ListDeskEntriesAsync(new DeskEntryQuery { Source = "applicant" })).Items, e => e.EntryId == filed.Value.EntryId);
        var resolved = await ops.ResolveDeskEntryAsync(filed.Value.EntryId, new ResolveDeskEntryRequest { Resolution = "已电话回访", ResolvedBy = "窗口 王丽" });
        Assert.Equal("已电话回访", resolved.Entry!.Resolution);

        // The subscription's life.
        Assert.Contains((await ops.ListSubscriptionsAsync()).Items, s => s.SubscriptionId == subscription.SubscriptionId);
        Assert.Equal(receiver.Url, (await ops.GetSubscriptionAsync(subscription.SubscriptionId)).Url);
        await Poll.UntilAsync(() => Task.FromResult(receiver.Delivered.Count), count => count > 0, TimeSpan.FromSeconds(60),
            "no event reached the receiver within 60 s");
        Assert.NotNull(await ops.ListDeliveriesAsync(subscription.SubscriptionId, status: "delivered"));
        Assert.NotEqual(subscription.Secret, (await ops.RotateSubscriptionSecretAsync(subscription.SubscriptionId)).Secret);
        Assert.Equal(subscription.SubscriptionId, (await ops.ReplayDeliveriesAsync(subscription.SubscriptionId, new ReplayRequest { FromPosition = 0 })).SubscriptionId);
        await ops.DeleteSubscriptionAsync(subscription.SubscriptionId);
        var gone = await Assert.ThrowsAsync<OneThingApiException>(() => ops.GetSubscriptionAsync(subscription.SubscriptionId));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);

        var unauthorized = await Assert.ThrowsAsync<OneThingApiException>(() => anonymous.GetCaseAsync(caseId));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.Status);

        Assert.True(_contract.Violations.Count == 0,
            $"{_contract.Violations.Count} exchange(s) differ from the OpenAPI document:\n{string.Join("\n", _contract.Violations)}");
        var missed = _contract.Operations.Where(operation => !_contract.Exercised.ContainsKey(operation)).ToList();
        Assert.True(missed.Count == 0, $"operations the client never reached: {string.Join(", ", missed)}");
    }
}
