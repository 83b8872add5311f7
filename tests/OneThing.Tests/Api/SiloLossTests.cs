using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using OneThing.Tests.Fixtures;
using Xunit.Abstractions;

namespace OneThing.Tests.Api;

/// <summary>
/// Two silos as processes, the API as their client, and a steady stream of submissions, reads and task actions: one
/// silo is killed (SIGKILL) mid-stream. No request may fail, and every case the API acknowledged must still be there.
/// </summary>
public sealed class SiloLossTests(ITestOutputHelper output)
{
    private const int Workers = 6;
    private static readonly TimeSpan BeforeKill = TimeSpan.FromSeconds(5);
    // Longer than the API's retry budget (15 s): every call caught in the kill has been retried or failed by then.
    private static readonly TimeSpan AfterKill = TimeSpan.FromSeconds(20);

    /// <param name="joinsAfterTheApi">
    /// The killed silo joined after the API had connected: the API never used it as a gateway (it reads the gateway list
    /// once a minute), so no connection of its own drops, and only the membership tells it that silo is gone.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task KillingASiloUnderLoadFailsNoRequestAndLosesNoAcknowledgedCase(bool joinsAfterTheApi)
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("silo_loss");
        var clusterId = $"silo-loss-{Guid.NewGuid():N}"[..24];
        await using var first = StartSilo(connectionString, clusterId);
        await WaitForActiveSilosAsync(connectionString, clusterId, 1, first);
        // The API host starts with its first client.
        await using var api = new OneThingApiFactory(connectionString, clusterId, clusterId, ApiSettings());
        CaseDriver? early = null;
        if (joinsAfterTheApi)
        {
            early = new CaseDriver(api);
            await Poll.UntilAsync(() => early.ItemAsync("newborn"), _ => true, TimeSpan.FromSeconds(60), "the API did not reach the cluster");
        }
        await using var second = StartSilo(connectionString, clusterId);
        await WaitForActiveSilosAsync(connectionString, clusterId, 2, second);
        var driver = early ?? new CaseDriver(api);
        var item = await Poll.UntilAsync(() => driver.ItemAsync("newborn"), _ => true, TimeSpan.FromSeconds(60), "the API did not reach the cluster");

        var clock = Stopwatch.StartNew();
        var requests = new ConcurrentBag<(TimeSpan Start, TimeSpan Duration, string Route, bool Ok, string Detail)>();
        var acknowledgedCases = new ConcurrentBag<string>();
        var acceptedTasks = new ConcurrentBag<(string CaseId, string TaskId)>();
        var seed = 9_000_000;
        using var stop = new CancellationTokenSource();

        async Task<T?> Timed<T>(string route, Func<Task<(HttpStatusCode Status, T Body)>> call, params HttpStatusCode[] expected)
        {
            var start = clock.Elapsed;
            try
            {
                var (status, body) = await call();
                var ok = expected.Contains(status);
                requests.Add((start, clock.Elapsed - start, route, ok, ok ? "" : $"{(int)status} {body}"));
                return ok ? body : default;
            }
            catch (HttpRequestException error)
            {
                requests.Add((start, clock.Elapsed - start, route, false, error.Message));
                return default;
            }
        }

        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var application = CaseDriver.SampleApplication(item, Interlocked.Increment(ref seed));
                var submitted = await Timed("submit", () => driver.SubmitAsync(application, Guid.NewGuid().ToString("N")), HttpStatusCode.Created, HttpStatusCode.OK);
                if (submitted.ValueKind == System.Text.Json.JsonValueKind.Undefined)
                {
                    continue;
                }
                var caseId = submitted.GetProperty("caseId").GetString()!;
                acknowledgedCases.Add(caseId);
                var view = await Timed("get", async () => (HttpStatusCode.OK, await driver.CaseAsync(caseId)), HttpStatusCode.OK);
                if (view.ValueKind == System.Text.Json.JsonValueKind.Undefined)
                {
                    continue;
                }
                var ready = view.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready");
                var taskId = ready.GetProperty("taskId").GetString()!;
                var accepted = await Timed("accept",
                    () => driver.PostAsync(driver.Department(ready.GetProperty("department").GetString()!), $"/api/tasks/{taskId}/accept"), HttpStatusCode.OK);
                if (accepted.ValueKind != System.Text.Json.JsonValueKind.Undefined)
                {
                    acceptedTasks.Add((caseId, taskId));
                }
            }
        })).ToList();

        await Task.Delay(BeforeKill); // load before the kill: the measured stream, not a wait for a condition
        var killedAt = clock.Elapsed;
        await second.KillAsync();
        await Task.Delay(AfterKill);
        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        var all = requests.ToList();
        var before = all.Where(r => r.Start >= killedAt - TimeSpan.FromSeconds(3) && r.Start < killedAt).Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        var caught = all.Where(r => r.Start >= killedAt - TimeSpan.FromSeconds(1) && r.Start < killedAt + TimeSpan.FromSeconds(10))
            .Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        output.WriteLine(FormattableString.Invariant(
            $"{(joinsAfterTheApi ? "killed silo joined after the API" : "killed silo was a gateway of the API")}: {all.Count} requests ({all.Count(r => r.Start >= killedAt)} after the kill at {killedAt.TotalSeconds:0.0} s), {all.Count(r => !r.Ok)} failed; ")
            + FormattableString.Invariant($"p99 in the 3 s before {Percentile(before, 0.99):0} ms, p99 from 1 s before to 10 s after the kill {Percentile(caught, 0.99):0} ms, ")
            + FormattableString.Invariant($"max {all.Max(r => r.Duration.TotalMilliseconds):0} ms; {all.Count(r => r.Duration > TimeSpan.FromSeconds(1))} took over 1 s"));

        var failures = all.Where(r => !r.Ok).Take(5).Select(r => FormattableString.Invariant($"{r.Route} at {r.Start.TotalSeconds:0.0} s: {r.Detail}"));
        Assert.True(all.All(r => r.Ok), $"requests failed after the silo was killed:\n{string.Join("\n", failures)}");
        Assert.True(all.Count(r => r.Start >= killedAt) > 50, "too few requests ran after the kill for the test to mean anything");

        foreach (var caseId in acknowledgedCases)
        {
            var view = await driver.CaseAsync(caseId);
            Assert.Equal(caseId, view.GetProperty("caseId").GetString());
        }
        foreach (var (caseId, taskId) in acceptedTasks)
        {
            var task = (await driver.CaseAsync(caseId)).GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("taskId").GetString() == taskId);
            Assert.NotEqual("Ready", task.GetProperty("status").GetString());
        }
    }

    private static Task WaitForActiveSilosAsync(string connectionString, string clusterId, int count, RunningProcess last) =>
        Poll.UntilAsync(
            () => TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @c AND status = 3", ("c", clusterId)),
            active => Convert.ToInt32(active, CultureInfo.InvariantCulture) == count, TimeSpan.FromSeconds(90),
            $"{count} silo(s) did not become Active; the last one started said:\n{last.Output}");

    /// <summary>ONETHING_TEST_API_SETTINGS="Key=Value;…" measures other settings with the same stream (bench/README.md).</summary>
    private static Dictionary<string, string?> ApiSettings() =>
        (Environment.GetEnvironmentVariable("ONETHING_TEST_API_SETTINGS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => (string?)pair[1]);

    private static RunningProcess StartSilo(string connectionString, string clusterId) =>
        RunningProcess.Start(BuiltProcess.SiloAssembly, new Dictionary<string, string?>(TestPrivacyKeys.Settings)
        {
            ["ConnectionStrings:OneThing"] = connectionString + ";Maximum Pool Size=20",
            ["OneThing:Cluster:ClusterId"] = clusterId,
            ["OneThing:Cluster:ServiceId"] = clusterId,
            ["OneThing:Cluster:SiloPort"] = RunningProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["OneThing:Cluster:GatewayPort"] = RunningProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        });

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
