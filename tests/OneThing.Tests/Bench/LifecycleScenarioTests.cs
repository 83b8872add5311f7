using OneThing.Bench;
using OneThing.Bench.Lifecycle;

namespace OneThing.Tests.Bench;

/// <summary>
/// The lifecycle scenario run for a few seconds against a real API: the figures the benchmark publishes are only as
/// good as the workload behind them, so it must drive real newborn cases to Completed without a single error, in
/// both modes, and report every route, PostgreSQL's commits and the CPU of the processes it was given.
/// </summary>
[Collection(BenchClusterCollection.Name)]
public sealed class LifecycleScenarioTests(BenchClusterFixture fixture)
{
    [Fact]
    public async Task CaseModeDrivesNewbornCasesToCompletedAndReportsEveryRoute()
    {
        var result = await RunAsync("--mode", "case", "--reads", "1", "--pids", $"api={Environment.ProcessId}");

        Assert.Equal(0, result.Errors + result.ErrorsOutsideWindow);
        Assert.True(result.LifecyclesCompleted > 0, "no newborn case reached Completed in the window");
        Assert.Equal("newborn", result.Item);
        // Chongqing's variant with every optional matter opted in.
        Assert.Equal(10, result.MattersPerCase);
        foreach (var route in new[] { "submit", "getCase", "accept", "complete" })
        {
            Assert.True(result.Routes.Single(r => r.Route == route).Requests > 0, $"no {route} request was measured");
        }
        Assert.Equal(0, result.Routes.Single(r => r.Route == "inbox").Requests);
        var postgres = Assert.IsType<PostgresReport>(result.Postgres);
        Assert.True(postgres.CommitsPerLifecycle > 0);
        Assert.True(postgres.WalBytesPerLifecycle > 0);
        var api = result.Cpu.Single(c => c.Process == "api");
        Assert.True(api.CpuSeconds > 0, "the CPU of the process named in --pids was not read");
        Assert.Contains(result.Cpu, c => c.Process == "load generator");
        Assert.StartsWith("summary: lifecycle case reads=1 c=4 |", result.Format().TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task InboxModeWorksTheDepartmentsInboxesUntilCasesComplete()
    {
        var result = await RunAsync("--mode", "inbox", "--reads", "0", "--workers", "2", "--poll-ms", "20");

        Assert.Equal(0, result.Errors + result.ErrorsOutsideWindow);
        Assert.True(result.LifecyclesCompleted > 0, "no newborn case reached Completed in the window");
        Assert.True(result.Routes.Single(r => r.Route == "inbox").Requests > 0, "no inbox was read");
        Assert.True(result.Routes.Single(r => r.Route == "complete").Requests > 0, "no task was completed");
    }

    [Fact]
    public async Task ConditionalReadsSendTheLastETagAndCountTheNotModifiedAnswers()
    {
        var result = await RunAsync("--mode", "case", "--reads", "3", "--conditional-reads", "on");

        Assert.Equal(0, result.Errors + result.ErrorsOutsideWindow);
        Assert.True(result.ConditionalReads);
        var reads = result.Routes.Single(r => r.Route == "getCase");
        // The second and third poll after an action find the case unchanged.
        Assert.True(reads.NotModified > 0, "no conditional read was answered 304");
        Assert.True(reads.NotModified < reads.Requests);
    }

    private async Task<LifecycleResult> RunAsync(params string[] options)
    {
        var settings = LifecycleSettings.From(BenchSettings.Parse(
        [
            "--api", fixture.Address.ToString(), "--keys-file", fixture.KeysFile, "--pg", fixture.ConnectionString,
            "--concurrency", "4", "--warmup", "0", "--seconds", "3", "--timeout", "30", .. options,
        ]));
        var result = await LifecycleScenario.RunAsync(settings);
        return Assert.IsType<LifecycleResult>(result);
    }
}
