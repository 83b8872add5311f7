using OneThing.Bench;
using OneThing.Bench.Deadlines;

namespace OneThing.Tests.Bench;

/// <summary>
/// The deadlines scenario at a small scale: it runs on real time, since what it measures is how late real
/// reminders flag real cases, so it waits for its batch's minute (30 to 90 s), polling the fallback desk.
/// </summary>
[Collection(BenchClusterCollection.Name)]
public sealed class DeadlineScenarioTests(BenchClusterFixture fixture)
{
    [Fact]
    public async Task TheBatchDueInOneMinuteIsFlaggedOverdueAndTheSilosMemoryIsRead()
    {
        var settings = DeadlineSettings.From(BenchSettings.Parse(
        [
            "--api", fixture.Address.ToString(), "--keys-file", fixture.KeysFile, "--pg", fixture.ConnectionString,
            // The silo runs in this process.
            "--silo-pid", $"{Environment.ProcessId}",
            "--cases", "40", "--spread-hours", "2", "--due-cases", "5", "--concurrency", "4",
            "--due-lead", "30", "--idle-wait", "1", "--flag-timeout", "90",
        ]));

        var result = Assert.IsType<DeadlineResult>(await DeadlineScenario.RunAsync(settings));

        Assert.True(result.Clean, result.Format());
        Assert.Equal(40, result.Loaded);
        Assert.Equal(5, result.DueSubmitted);
        Assert.Equal(5, result.Tardiness.Flagged);
        Assert.InRange(result.Tardiness.P99Seconds!.Value, 0, 60);
        Assert.True(result.Tardiness.FirstDue >= result.DueMinute, $"the batch was due at {result.Tardiness.FirstDue}, before its minute {result.DueMinute}");
        // Every open case of the scenario holds its deadline's reminder (other tests add theirs).
        Assert.True(result.ReminderTable.Rows >= 45, $"the reminder table read saw {result.ReminderTable.Rows} rows");
        var memory = Assert.IsType<MemoryFigures>(result.Memory);
        Assert.True(memory.BeforeBytes > 0 && memory.IdleBytes > 0);
        Assert.True(memory.ManagedBeforeBytes > 0 && memory.ManagedIdleBytes > 0, "the managed heap after the full collection was not read");
        Assert.Contains("summary: deadlines |", result.Format(), StringComparison.Ordinal);
    }
}
