using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Hosting;
using OneThing.Grains.Tasks;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Cases;

/// <summary>
/// How a case is stored: each change a journal row of what moved, the whole case a snapshot now and then and at the
/// end, and an activation the snapshot plus the journal after it.
/// </summary>
public sealed class CaseJournalTests
{
    [Fact]
    public async Task EveryChangeIsAJournalRowUntilTheEndedCaseIsOneSnapshot()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "journal_end");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("newborn", 9401)).GetProperty("caseId").GetString()!;
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "birth-certificate"));

        // Submitted, accepted, completed: three rows, and no snapshot yet.
        Assert.Equal(new[] { 1, 2, 3 }, await RevisionsAsync(connectionString, caseId));
        Assert.Null(await SnapshotAsync(connectionString, caseId));
        var submission = await ChangeAsync(connectionString, caseId, 1);
        var completion = await ChangeAsync(connectionString, caseId, 3);
        Assert.True(submission.TryGetProperty("Whole", out _), "the submission stores the whole case");
        Assert.False(completion.TryGetProperty("Whole", out _), "a department's action stores what it moved");
        Assert.Contains(completion.GetProperty("Matters").EnumerateArray(), m => m.GetProperty("Code").GetString() == "birth-certificate");

        var ended = await driver.RunToEndAsync(caseId);
        var snapshot = await SnapshotAsync(connectionString, caseId);
        Assert.NotNull(snapshot);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.Equal((int)CaseStatus.Completed, snapshot.Value.GetProperty("Status").GetInt32());
        Assert.Equal(ended.GetProperty("timeline").GetArrayLength(), snapshot.Value.GetProperty("Timeline").GetArrayLength());
        // The journal rows the snapshot holds are deleted after it, in a later batch.
        await Poll.UntilAsync(() => RevisionsAsync(connectionString, caseId), revisions => revisions.Count == 0,
            TimeSpan.FromSeconds(30), "the journal rows of the ended case were not deleted after its snapshot");

        // Read back from the snapshot alone on the other silo.
        await cluster.KillSiloAsync(await cluster.SiloHoldingCaseAsync(caseId));
        var revived = await Poll.UntilAsync(() => driver.CaseAsync(caseId), view => view.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(90), "the ended case did not answer after its silo died");
        Assert.Equal(ended.ToString(), revived.ToString());
    }

    [Fact]
    public async Task CaseIsItsSnapshotPlusTheChangesAfterItWhenItsSiloDies()
    {
        var settings = new Dictionary<string, string?> { ["OneThing:Cases:ChangesPerSnapshot"] = "4" };
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "journal_replay", settings);
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("newborn", 9402)).GetProperty("caseId").GetString()!;
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "birth-certificate"));
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "household-registration"));
        // Five changes: the snapshot holds the first four, the journal the fifth.
        await Poll.UntilAsync(() => RevisionsAsync(connectionString, caseId), revisions => revisions.SequenceEqual([5]),
            TimeSpan.FromSeconds(30), "the journal does not hold exactly the change after the snapshot");
        Assert.Equal(4, (await SnapshotAsync(connectionString, caseId))!.Value.GetProperty("Revision").GetInt32());
        var before = await driver.CaseAsync(caseId);

        await cluster.KillSiloAsync(await cluster.SiloHoldingCaseAsync(caseId));

        var revived = await Poll.UntilAsync(() => driver.CaseAsync(caseId), view => view.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(90), "the case did not answer after its silo died");
        Assert.Equal(before.ToString(), revived.ToString());
        var ended = await driver.RunToEndAsync(caseId);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.All(ended.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("Completed", t.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task ARevisionAnotherWriterStoredFailsTheChangeAndTheRetryBuildsOnIt()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(1, "journal_conflict");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var driver = new CaseDriver(api);
        var caseId = (await driver.SubmitNewAsync("retirement", 9403)).GetProperty("caseId").GetString()!;
        var task = CaseDriver.TaskOf(await driver.CaseAsync(caseId), "pension-application");
        var department = driver.Department(task.GetProperty("department").GetString()!);
        var acceptPath = $"/api/tasks/{task.GetProperty("taskId").GetString()}/accept";

        // As if a second activation of the case (a silo the cluster has not yet declared dead) stored revision 2 first.
        var other = new CaseChange { Revision = 2, Timeline = [new TimelineEntry(DateTimeOffset.UtcNow, "Noted", "other-writer", null)] };
        var current = await ChangeAsync(connectionString, caseId, 1);
        other.DueAt = current.GetProperty("Whole").GetProperty("DueAt").GetDateTimeOffset();
        other.WarningAt = current.GetProperty("Whole").GetProperty("WarningAt").GetDateTimeOffset();
        await TestDatabase.ScalarAsync(connectionString, "INSERT INTO onething_case_changes (case_id, revision, change) VALUES (@id, 2, @change::json)",
            ("id", caseId), ("change", CaseJournal.Serialize(other)));

        var (refused, _) = await driver.PostAsync(department, acceptPath);
        var (retried, body) = await driver.PostAsync(department, acceptPath);

        // The refused change stored nothing, not even its inbox row; the retry runs on the case with the other change.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        Assert.Equal(HttpStatusCode.OK, retried);
        Assert.Equal("Accepted", body.GetProperty("status").GetString());
        Assert.Equal(new[] { 1, 2, 3 }, await RevisionsAsync(connectionString, caseId));
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

        CaseJournalOptions Options() => provider.GetRequiredService<IOptions<CaseJournalOptions>>().Value;

        if (bound is { } expected)
        {
            Assert.Equal(expected, Options().ChangesPerSnapshot);
            Assert.False(Options().VerifyChanges);
        }
        else
        {
            Assert.Contains("OneThing:Cases:ChangesPerSnapshot", Assert.Throws<OptionsValidationException>(Options).Message);
        }
    }

    [Fact]
    public void AChangeThatLeavesOutAMovedMatterDoesNotReplayToTheCase()
    {
        var stored = new CaseState
        {
            ItemCode = "retirement",
            Revision = 1,
            Matters = [new MatterState { Code = "a", Status = DepartmentTaskStatus.Ready }, new MatterState { Code = "b" }],
        };
        var current = CaseJournal.Copy(stored);
        current.Revision = 2;
        current.Matters[0].Status = DepartmentTaskStatus.Completed;
        current.Matters[1].Status = DepartmentTaskStatus.Ready;
        current.Outputs["birth.number"] = "B1";
        current.Timeline.Add(new TimelineEntry(DateTimeOffset.UnixEpoch, "TaskCompleted", "health", null));

        var complete = CaseChange.Progress(current, new HashSet<string> { "a", "b" }, 0, new HashSet<string> { "birth.number" });
        var forgetful = CaseChange.Progress(current, new HashSet<string> { "a" }, 0, new HashSet<string> { "birth.number" });

        Assert.Equal(CaseJournal.Serialize(current), CaseJournal.Serialize(complete.ApplyTo(CaseJournal.Copy(stored))));
        Assert.NotEqual(CaseJournal.Serialize(current), CaseJournal.Serialize(forgetful.ApplyTo(CaseJournal.Copy(stored))));
    }

    private static async Task<List<int>> RevisionsAsync(string connectionString, string caseId)
    {
        var revisions = (int[]?)await TestDatabase.ScalarAsync(connectionString,
            "SELECT array_agg(revision ORDER BY revision) FROM onething_case_changes WHERE case_id = @id", ("id", caseId));
        return [.. revisions ?? []];
    }

    private static async Task<JsonElement> ChangeAsync(string connectionString, string caseId, int revision) =>
        JsonDocument.Parse((string)(await TestDatabase.ScalarAsync(connectionString,
            "SELECT change::text FROM onething_case_changes WHERE case_id = @id AND revision = @revision", ("id", caseId), ("revision", revision)))!).RootElement;

    private static async Task<JsonElement?> SnapshotAsync(string connectionString, string caseId) =>
        await TestDatabase.ScalarAsync(connectionString,
            "SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE grainidextensionstring = @id", ("id", caseId)) is string json
            ? JsonDocument.Parse(json).RootElement
            : null;
}
