using System.Net;
using System.Text.Json;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;
using OneThing.Grains.Cases;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace OneThing.Tests.Cases;

/// <summary>Idempotency and read-model convergence when silos die or a change's write fails.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task SameIdempotencyKeyReturnsTheSameCaseAfterItsSiloDied()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "idempotent");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var application = CaseDriver.SampleApplication(await driver.ItemAsync("retirement"), 9001);
        var key = Guid.NewGuid().ToString();

        var (created, first) = await driver.SubmitAsync(application, key);
        var caseId = first.GetProperty("caseId").GetString()!;
        await cluster.KillSiloAsync(await cluster.SiloHoldingCaseAsync(caseId));

        var (repeated, second) = await Poll.UntilAsync(() => driver.SubmitAsync(application, key), r => r.Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(90), "the repeated submission did not answer 200 after the silo died");
        application["channel"] = "hall";
        var (conflict, _) = await driver.SubmitAsync(application, key);

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(caseId, second.GetProperty("caseId").GetString());
        Assert.Equal(first.GetProperty("submittedAt").GetDateTimeOffset(), second.GetProperty("submittedAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal(1L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_applicant_cases WHERE case_id = @id", ("id", caseId)));
    }

    [Fact]
    public async Task CaseKeepsItsItemVariantAndVersionAfterItsSiloDied()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "variant_failover");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var chongqing = (await driver.SubmitNewAsync("newborn", 9301, "chongqing")).GetProperty("caseId").GetString()!;
        var shanghai = (await driver.SubmitNewAsync("newborn", 9302, "shanghai")).GetProperty("caseId").GetString()!;

        await cluster.KillSiloAsync(await cluster.SiloHoldingCaseAsync(chongqing));

        // Re-activated on the surviving silo, each case re-finds exactly the definition it started with.
        var revived = await Poll.UntilAsync(() => driver.CaseAsync(chongqing), view => view.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(90), "the Chongqing case did not answer after its silo died");
        Assert.Equal(("chongqing", "chongqing", 2, 10), Variant(revived));
        Assert.Equal(("shanghai", null, 1, 5), Variant(await driver.CaseAsync(shanghai)));
        var ended = await driver.RunToEndAsync(chongqing);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.All(ended.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("Completed", t.GetProperty("status").GetString()));
        Assert.Equal(10, ended.GetProperty("tasks").GetArrayLength());

        static (string?, string?, int, int) Variant(JsonElement view) => (view.GetProperty("region").GetString(),
            view.GetProperty("itemRegion").GetString(), view.GetProperty("itemVersion").GetInt32(), view.GetProperty("tasks").GetArrayLength());
    }

    [Fact]
    public async Task AnActionWhoseInboxRowFailsStoresNothingAndItsRetryConverges()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(1, "converge_task");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("retirement", 9101)).GetProperty("caseId").GetString()!;
        var taskId = CaseDriver.TaskOf(await driver.CaseAsync(caseId), "pension-application").GetProperty("taskId").GetString()!;

        InjectedReadModelFaults.FailNextWrite(taskId);
        using var failed = await driver.Department("hrss").PostAsync(new Uri($"/api/tasks/{taskId}/accept", UriKind.Relative), null);
        var changesAfterFailure = await ChangesOfAsync(connectionString, caseId);
        var (retried, _) = await driver.PostAsync(driver.Department("hrss"), $"/api/tasks/{taskId}/accept");

        // The failure reaches the caller as 503 problem+json with Retry-After, never as a stack trace.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(failed.Headers.RetryAfter);
        Assert.DoesNotContain("   at ", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(3L, changesAfterFailure); // the submission's (submitted, two tasks Ready): the failed accept stored no event
        Assert.Equal(HttpStatusCode.OK, retried);
        Assert.Equal(4L, await ChangesOfAsync(connectionString, caseId));
        Assert.Equal("Accepted", await InboxStatusAsync(connectionString, taskId));
        var view = await driver.CaseAsync(caseId);
        Assert.Equal("Accepted", CaseDriver.TaskOf(view, "pension-application").GetProperty("status").GetString());
        Assert.Single(view.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("type").GetString() == "TaskAccepted");
    }

    private static async Task<long?> ChangesOfAsync(string connectionString, string caseId) =>
        (long?)await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_case_events WHERE case_id = @id", ("id", caseId));

    [Fact]
    public async Task TaskTheCaseHoldsAsReadyAlwaysReachesItsInbox()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(1, "converge_case");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("newborn", 9201)).GetProperty("caseId").GetString()!;
        var birth = CaseDriver.TaskOf(await driver.CaseAsync(caseId), "birth-certificate");
        var householdTask = CaseDriver.TaskOf(await driver.CaseAsync(caseId), "household-registration").GetProperty("taskId").GetString()!;
        var outputs = await CaseDriver.OutputsForAsync(driver, birth);
        var completePath = $"/api/tasks/{birth.GetProperty("taskId").GetString()}/complete";

        // The completion makes household registration Ready; its inbox row fails as if the silo died there, and with it
        // the whole change (its journal row is in the same transaction).
        InjectedReadModelFaults.FailNextWrite(householdTask);
        var (failed, _) = await driver.PostAsync(driver.Department("health"), completePath, new { outputs });
        await AssertEveryReadyTaskIsInItsInboxAsync(driver, connectionString, caseId);

        var (retried, _) = await driver.PostAsync(driver.Department("health"), completePath, new { outputs });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed);
        Assert.Equal(HttpStatusCode.OK, retried);
        var view = await driver.CaseAsync(caseId);
        Assert.Equal("Ready", CaseDriver.TaskOf(view, "household-registration").GetProperty("status").GetString());
        await AssertEveryReadyTaskIsInItsInboxAsync(driver, connectionString, caseId);
        Assert.Single(view.GetProperty("timeline").EnumerateArray(),
            e => e.GetProperty("type").GetString() == "TaskCompleted");
    }

    private static async Task AssertEveryReadyTaskIsInItsInboxAsync(CaseDriver driver, string connectionString, string caseId)
    {
        var view = await driver.CaseAsync(caseId);
        foreach (var task in view.GetProperty("tasks").EnumerateArray().Where(t => t.GetProperty("status").GetString() == "Ready"))
        {
            // The task itself may already be further on (the department acted before the case recorded it): the row
            // must exist and not be behind what the case holds.
            var taskId = task.GetProperty("taskId").GetString()!;
            var inbox = await InboxStatusAsync(connectionString, taskId);
            Assert.True(inbox is "Ready" or "Accepted" or "AwaitingSupplement" or "Completed",
                $"the case holds {taskId} as Ready but its inbox row says {inbox ?? "nothing"}");
        }
    }

    private static async Task<string?> InboxStatusAsync(string connectionString, string taskId) =>
        (string?)await TestDatabase.ScalarAsync(connectionString, "SELECT status FROM onething_department_tasks WHERE task_id = @id", ("id", taskId));
}
