using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Hosting;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Cases;

/// <summary>
/// How a case is stored: each change its events, kept for good; the whole case a snapshot now and then and at the
/// end; an activation the snapshot plus the events after it.
/// </summary>
public sealed class CaseEventStorageTests
{
    [Fact]
    public async Task EveryChangeAppendsEventsThatOutliveTheEndedCasesSnapshot()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "events_end");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("newborn", 9401)).GetProperty("caseId").GetString()!;
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "birth-certificate"));

        // Submitted (and its first task Ready), accepted, completed (and the next tasks Ready); no snapshot yet.
        var types = await TypesAsync(connectionString, caseId);
        Assert.Equal(["CaseSubmitted", "TaskReady", "TaskAccepted", "TaskCompleted"], types.Take(4));
        Assert.All(types.Skip(4), type => Assert.Equal("TaskReady", type));
        Assert.Null(await SnapshotAsync(connectionString, caseId));

        var ended = await driver.RunToEndAsync(caseId);
        var snapshot = await SnapshotAsync(connectionString, caseId);
        Assert.NotNull(snapshot);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.Equal((int)CaseStatus.Completed, snapshot.Value.GetProperty("Status").GetInt32());
        var all = await TypesAsync(connectionString, caseId);
        Assert.Equal(all.Count, snapshot.Value.GetProperty("Seq").GetInt32());
        Assert.Equal("CaseCompleted", all[^1]);
        // Every timeline line is the projection of one event, numbered as it.
        var timeline = ended.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, timeline.Count), timeline.Select(e => e.GetProperty("seq").GetInt32()));

        // Read back from the snapshot alone on the other silo.
        await cluster.KillSiloAsync(await cluster.SiloHoldingCaseAsync(caseId));
        var revived = await Poll.UntilAsync(() => driver.CaseAsync(caseId), view => view.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(90), "the ended case did not answer after its silo died");
        Assert.Equal(ended.ToString(), revived.ToString());
    }

    [Fact]
    public async Task CaseIsItsSnapshotPlusTheEventsAfterItWhenItsSiloDies()
    {
        var settings = new Dictionary<string, string?> { ["OneThing:Cases:ChangesPerSnapshot"] = "4" };
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "events_replay", settings);
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("newborn", 9402)).GetProperty("caseId").GetString()!;
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "birth-certificate"));
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "household-registration"));
        await AcceptAsync(driver, caseId, "vaccination-certificate");
        var snapshotSeq = (await SnapshotAsync(connectionString, caseId))!.Value.GetProperty("Seq").GetInt32();
        if (snapshotSeq == (await TypesAsync(connectionString, caseId)).Count)
        {
            // The last action wrote a snapshot: one more (a single event) leaves an event after it.
            await AcceptAsync(driver, caseId, "residents-medical-insurance");
        }
        var events = (await TypesAsync(connectionString, caseId)).Count;
        snapshotSeq = (await SnapshotAsync(connectionString, caseId))!.Value.GetProperty("Seq").GetInt32();
        Assert.InRange(snapshotSeq, 4, events - 1);
        var before = await driver.CaseAsync(caseId);

        await cluster.KillSiloAsync(await cluster.SiloHoldingCaseAsync(caseId));

        var revived = await Poll.UntilAsync(() => driver.CaseAsync(caseId), view => view.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(90), "the case did not answer after its silo died");
        Assert.Equal(before.ToString(), revived.ToString());
        foreach (var accepted in revived.GetProperty("tasks").EnumerateArray().Where(t => t.GetProperty("status").GetString() == "Accepted"))
        {
            await driver.WorkAsync(accepted);
        }
        var ended = await driver.RunToEndAsync(caseId);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.All(ended.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("Completed", t.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task AnEventAnotherWriterStoredFailsTheChangeAndTheRetryBuildsOnIt()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(1, "events_conflict");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("retirement", 9403)).GetProperty("caseId").GetString()!;
        var task = CaseDriver.TaskOf(await driver.CaseAsync(caseId), "pension-application");
        var department = driver.Department(task.GetProperty("department").GetString()!);
        var acceptPath = $"/api/tasks/{task.GetProperty("taskId").GetString()}/accept";
        var stored = (await TypesAsync(connectionString, caseId)).Count;

        // As if a second activation of the case (a silo the cluster has not yet declared dead) stored the next event first.
        await TestDatabase.ScalarAsync(connectionString, """
            INSERT INTO onething_case_events (case_month, case_id, seq, position, type, version, at, actor_role, item_code, data)
            SELECT case_month, case_id, @seq, (pg_current_xact_id()::text::bigint << 16), 'DeadlineWarning', 1, now(), 'other-writer',
                   item_code, jsonb_build_object('dueAt', now() + interval '30 days')
            FROM onething_case_directory WHERE case_id = @id
            """, ("id", caseId), ("seq", stored + 1));

        var (refused, _) = await driver.PostAsync(department, acceptPath);
        var (retried, body) = await driver.PostAsync(department, acceptPath);

        // The refused change stored nothing, not even its inbox row; the retry runs on the case with the other event.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        Assert.Equal(HttpStatusCode.OK, retried);
        Assert.Equal("Accepted", body.GetProperty("status").GetString());
        Assert.Equal(stored + 2, (await TypesAsync(connectionString, caseId)).Count);
        var view = await driver.CaseAsync(caseId);
        Assert.Contains(view.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("actor").GetString() == "other-writer");
        Assert.Single(view.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("type").GetString() == "TaskAccepted");
    }

    [Theory]
    [InlineData("0", null)]
    [InlineData("1001", null)]
    [InlineData("4", 4)]
    public void ChangesPerSnapshotIsBoundFromItsKeyAndRefusedOutsideOneToAThousand(string setting, int? bound)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["OneThing:Cases:ChangesPerSnapshot"] = setting })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddOneThingGrains(CatalogServiceCollectionExtensions.DefaultDirectory);
        using var provider = services.BuildServiceProvider();

        CaseSnapshotOptions Options() => provider.GetRequiredService<IOptions<CaseSnapshotOptions>>().Value;

        if (bound is { } expected)
        {
            Assert.Equal(expected, Options().ChangesPerSnapshot);
        }
        else
        {
            Assert.Contains("OneThing:Cases:ChangesPerSnapshot", Assert.Throws<OptionsValidationException>(Options).Message);
        }
    }

    private static async Task AcceptAsync(CaseDriver driver, string caseId, string matterCode)
    {
        var task = CaseDriver.TaskOf(await driver.CaseAsync(caseId), matterCode);
        var (status, body) = await driver.PostAsync(driver.Department(task.GetProperty("department").GetString()!),
            $"/api/tasks/{task.GetProperty("taskId").GetString()}/accept");
        Assert.True(status == HttpStatusCode.OK, $"accepting {matterCode} answered {status}: {body}");
    }

    private static async Task<List<string>> TypesAsync(string connectionString, string caseId)
    {
        var types = (string[]?)await TestDatabase.ScalarAsync(connectionString,
            "SELECT array_agg(type ORDER BY seq) FROM onething_case_events WHERE case_id = @id", ("id", caseId));
        return [.. types ?? []];
    }

    private static async Task<JsonElement?> SnapshotAsync(string connectionString, string caseId) =>
        await TestDatabase.ScalarAsync(connectionString,
            "SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE grainidextensionstring = @id", ("id", caseId)) is string json
            ? JsonDocument.Parse(json).RootElement
            : null;
}
