using Npgsql;
using OneThing.Bench;
using OneThing.Bench.Deadlines;
using OneThing.Bench.Lifecycle;
using OneThing.Bench.Storage;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Bench;

/// <summary>
/// The parts of the other scenarios that decide what their figures mean: the failover read-back that must catch a
/// lost action, the reminder table read, and the storage ratio, each against the real database.
/// </summary>
[Collection(BenchClusterCollection.Name)]
public sealed class BenchScenarioPartsTests(BenchClusterFixture fixture)
{
    [Fact]
    public async Task TheFailoverReadBackCountsAnAcknowledgedActionTheCaseDoesNotShowAsLost()
    {
        var driver = new CaseDriver(fixture.Api);
        var caseId = (await driver.SubmitNewAsync("newborn", seed: 90_001)).GetProperty("caseId").GetString()!;
        var tasks = (await driver.CaseAsync(caseId)).GetProperty("tasks").EnumerateArray().ToList();
        var ready = tasks.First(t => t.GetProperty("status").GetString() == "Ready");
        var waiting = tasks.First(t => t.GetProperty("status").GetString() == "Waiting");
        await driver.WorkAsync(ready);
        using var http = ApiClient.Create(fixture.Address, 4, TimeSpan.FromSeconds(30));
        const string portal = "Bearer test-portal";

        var acknowledged = new AcknowledgedActions();
        acknowledged.CaseCreated(caseId);
        acknowledged.TaskAccepted(ready.GetProperty("taskId").GetString()!);
        acknowledged.TaskCompleted(ready.GetProperty("taskId").GetString()!);
        var truthful = await acknowledged.VerifyAsync(http, portal);

        // A client told that a task it never touched was accepted: what a lost write looks like from outside.
        var lostTaskId = waiting.GetProperty("taskId").GetString()!;
        acknowledged.TaskAccepted(lostTaskId);
        var withLoss = await acknowledged.VerifyAsync(http, portal);

        Assert.Equal((1, 0), (truthful.Checked, truthful.Lost));
        Assert.Equal((1, 1), (withLoss.Checked, withLoss.Lost));
        Assert.Contains(lostTaskId, Assert.Single(withLoss.Examples), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailoverTimelineGivesErrorsTheirSpanAndRecoveryTheFirstCleanSecondAtEightyPercent()
    {
        var buckets = new SecondBuckets();
        void Second(int second, int succeeded, int failed)
        {
            for (var i = 0; i < succeeded; i++)
            {
                buckets.Count(second, succeeded: true);
            }
            for (var i = 0; i < failed; i++)
            {
                buckets.Count(second, succeeded: false);
            }
        }
        for (var s = 0; s < 10; s++)
        {
            Second(s, 100, 0);
        }
        Second(10, 40, 20); // the kill
        Second(11, 10, 5);
        Second(12, 70, 0);  // clean, but below 80 % of before
        Second(13, 90, 0);  // recovered
        Second(14, 100, 0);

        using var unused = new HttpClient();
        var report = await FailoverReport.BuildAsync(pid: 4321, killedAt: 10, seconds: 15, buckets, new AcknowledgedActions(), unused, "Bearer x");

        Assert.Equal(100, report.SuccessesPerSecondBefore);
        Assert.Equal(25, report.ErrorsAfterKill);
        Assert.Equal(2, report.ErrorSeconds);
        Assert.Equal(3, report.RecoverySeconds);
        Assert.Equal(0, report.LostActions);
        Assert.Equal(15, report.Timeline.Count);
        Assert.Equal([12L, 70L, 0L], report.Timeline[12]);
    }

    [Fact]
    public async Task FailoverThatNeverRecoversInTheWindowSaysSo()
    {
        var buckets = new SecondBuckets();
        for (var s = 0; s < 6; s++)
        {
            buckets.Count(s, succeeded: true);
            buckets.Count(s, succeeded: s < 3);
        }

        using var unused = new HttpClient();
        var report = await FailoverReport.BuildAsync(pid: 4321, killedAt: 3, seconds: 6, buckets, new AcknowledgedActions(), unused, "Bearer x");

        Assert.Null(report.RecoverySeconds);
        Assert.Equal(3, report.ErrorSeconds);
        Assert.Contains("recovered no", report.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheReminderTableReadRunsTheProvidersStatementOverEveryReminderOfTheService()
    {
        // A submitted case registers the reminder of its deadline.
        var driver = new CaseDriver(fixture.Api);
        await driver.SubmitNewAsync("newborn", seed: 90_002);
        await using var database = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var count = database.CreateCommand("SELECT count(*) FROM orleansreminderstable WHERE serviceid = $1");
        count.Parameters.AddWithValue(fixture.Cluster.Options.ServiceId);
        var stored = (long)(await count.ExecuteScalarAsync())!;

        var read = await ReminderTableRead.MeasureAsync(database);

        Assert.True(stored > 0, "the submitted case registered no reminder");
        Assert.Equal(stored, read.Rows);
        Assert.Equal(3, read.Milliseconds.Count);
        Assert.True(read.MedianMilliseconds > 0);
    }

    [Fact]
    public async Task TheStorageScenarioMeasuresGrainWritesAndPlainUpsertsOnTheSameServer()
    {
        var database = await TestDatabase.CreateEmptyAsync("bench_storage");

        var result = await StorageScenario.RunAsync(database, BenchSettings.Parse(["--seconds", "1", "--concurrency", "4", "--grains", "40"]));

        Assert.True(result.GrainWritesPerSecond > 0);
        Assert.True(result.PlainUpsertsPerSecond > 0);
        Assert.Equal(result.GrainWritesPerSecond / result.PlainUpsertsPerSecond, result.Ratio, precision: 9);
        // Every grain wrote its row durably, through the project's schema.
        await using var rows = NpgsqlDataSource.Create(database).CreateCommand("SELECT count(*) FROM orleansstorage");
        Assert.Equal(40L, await rows.ExecuteScalarAsync());
    }
}
