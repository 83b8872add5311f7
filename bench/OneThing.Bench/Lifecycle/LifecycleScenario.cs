using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Whole case lifecycles through the HTTP API of a running system: how many cases per second go from submission to
/// Completed, what each route costs, and where the CPU goes. Runs warm-up, then the measured window, then drains.
/// </summary>
public static class LifecycleScenario
{
    // In-flight requests get this long to finish after the window before they are cancelled.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan SmokeLimit = TimeSpan.FromSeconds(60);

    public static async Task<LifecycleResult?> RunAsync(LifecycleSettings settings)
    {
        if (await FetchItemAsync(settings) is not { } itemJson)
        {
            return null;
        }
        ItemModel item;
        try
        {
            item = ItemModel.From(itemJson, settings.Keys);
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine($"onething-bench: {error.Message}");
            return null;
        }
        var application = ApplicationTemplate.For(itemJson, settings.Region, DateOnly.FromDateTime(DateTime.Today));
        await using var postgres = settings.Postgres is null ? null : NpgsqlDataSource.Create(settings.Postgres);

        using var control = new RunControl();
        var measurement = new Measurement { Acknowledged = settings.KillPid is null ? null : new AcknowledgedActions() };
        using var api = new ApiClient(settings, item, measurement, control.AbortToken);
        IWorkload workload = settings.Mode == LoadMode.Case
            ? new CaseWorkload(api, item, application, measurement, control, settings.Reads, settings.ConditionalReads)
            : new InboxWorkload(api, item, application, measurement, control, settings);

        Console.WriteLine($"lifecycle: {settings.Mode.ToString().ToLowerInvariant()} mode against {string.Join(", ", settings.Apis)}, item {item.Code} ({item.Matters.Count} matters), " +
            $"{(settings.Rate is { } openRate ? $"open loop at {openRate} cases/s (at most {settings.MaxInFlight} in flight)" : $"{settings.Concurrency} virtual users")}, " +
            $"{settings.Reads} citizen reads per department action{(settings.ConditionalReads ? " (conditional, with the last ETag)" : "")}, {settings.Warmup.TotalSeconds:0} s warm-up + {settings.Duration.TotalSeconds:0} s measured; keys from {settings.Keys.Source}");

        await using var webhook = settings.Webhook ? await WebhookProbe.StartAsync(settings) : null;
        // A receiver in a process of its own has its CPU reported on a line of its own.
        IReadOnlyList<KeyValuePair<string, int>> pids = webhook?.ReceiverPid is { } receiverPid
            ? [.. settings.Pids, new("webhook receiver", receiverPid)]
            : settings.Pids;
        var background = workload.StartBackground();
        var portals = new List<Task>();
        try
        {
            // One case alone first: a workload the API refuses fails here in seconds, with its reasons.
            if (!await SmokeTestAsync(workload, measurement))
            {
                return null;
            }

            portals.AddRange(settings.Rate is { } rate
                ? [Task.Run(() => RunOpenLoopAsync(workload, rate, settings.MaxInFlight, control, measurement))]
                : Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(() => RunClosedLoopAsync(workload, control, measurement))));

            await Task.Delay(settings.Warmup);
            var before = await ResourceSnapshot.TakeAsync(pids, postgres);
            measurement.Open(Stopwatch.GetTimestamp());
            if (webhook is not null)
            {
                await webhook.OpenAsync(Stopwatch.GetTimestamp());
            }
            if (settings.KillPid is { } victim)
            {
                await Task.Delay(settings.KillAt);
                Kill(victim);
                await Task.Delay(settings.Duration - settings.KillAt);
            }
            else
            {
                await Task.Delay(settings.Duration);
            }
            measurement.Close(Stopwatch.GetTimestamp());
            if (webhook is not null)
            {
                await webhook.CloseAsync(Stopwatch.GetTimestamp());
            }
            var after = await ResourceSnapshot.TakeAsync(pids.Where(p => p.Value != settings.KillPid).ToList(), postgres);

            var result = Summarize(settings, pids, item, measurement, before, after);
            if (webhook is not null)
            {
                result = result with { Webhook = await webhook.ReportAsync(measurement.Window.TotalSeconds) };
            }
            if (settings.KillPid is { } killed)
            {
                // Read back after the load has drained: every acknowledged action must be there.
                control.Stop();
                await Task.WhenAll(portals.Concat(background)).WaitAsync(DrainLimit);
                using var verifier = ApiClient.Create(settings.Api, 16, settings.RequestTimeout);
                result = result with
                {
                    Failover = await FailoverReport.BuildAsync(killed, (int)settings.KillAt.TotalSeconds, (int)Math.Ceiling(measurement.Window.TotalSeconds),
                        measurement.Seconds, measurement.Acknowledged!, verifier, $"Bearer {settings.Keys.Portal}"),
                };
            }
            if (postgres is not null)
            {
                result = result with { EventStorage = await EventStorageReport.ReadAsync(postgres) };
            }
            Console.Write(result.Format());
            if (api.Balancer is { } balancer)
            {
                foreach (var (uri, requests, changes) in balancer.Report())
                {
                    Console.WriteLine($"  api {uri}: {requests:N0} requests answered; in/out of rotation: {(changes.Count == 0 ? "never out" : string.Join(", ", changes))}");
                }
                Console.WriteLine($"  requests sent to another instance after a refused connection: {balancer.Rerouted:N0}");
            }
            return result;
        }
        finally
        {
            control.Stop();
            var everyone = Task.WhenAll(portals.Concat(background));
            try
            {
                await everyone.WaitAsync(DrainLimit);
            }
            catch (TimeoutException)
            {
                control.Abort();
                await everyone;
            }
        }
    }

    /// <summary>SIGKILL, as a crashed machine would: no graceful leave, no deactivation.</summary>
    private static void Kill(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: false);
            Console.WriteLine($"lifecycle: killed pid {pid} at {DateTimeOffset.Now:HH:mm:ss.fff}");
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"onething-bench: could not kill pid {pid}: {error.Message}");
        }
    }

    private static async Task<JsonElement?> FetchItemAsync(LifecycleSettings settings)
    {
        using var http = ApiClient.Create(settings.Api, 2, settings.RequestTimeout);
        var path = settings.Region is null ? $"/api/items/{settings.ItemCode}" : $"/api/items/{settings.ItemCode}?region={settings.Region}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {settings.Keys.Portal}");
        try
        {
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"onething-bench: GET {path} answered {(int)response.StatusCode}: {body}");
                return null;
            }
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException)
        {
            Console.Error.WriteLine($"onething-bench: cannot read item {settings.ItemCode} from {settings.Api}: {error.Message}");
            return null;
        }
    }

    private static async Task<bool> SmokeTestAsync(IWorkload workload, Measurement measurement)
    {
        var completed = false;
        try
        {
            completed = await workload.RunLifecycleAsync(new CaseSnapshot()).WaitAsync(SmokeLimit);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"onething-bench: the first case did not complete within {SmokeLimit.TotalSeconds:0} s.");
        }
        var errors = measurement.HttpRoutes.Append(measurement.Lifecycles).Where(r => r.ErrorsOutsideWindow > 0).ToList();
        if (completed && errors.Count == 0)
        {
            return true;
        }
        Console.Error.WriteLine("onething-bench: the first case, run alone before the load, did not go through cleanly:");
        foreach (var route in errors)
        {
            foreach (var message in route.FirstErrors)
            {
                Console.Error.WriteLine($"  [{route.Name}] {message}");
            }
        }
        return false;
    }

    private static async Task RunClosedLoopAsync(IWorkload workload, RunControl control, Measurement measurement)
    {
        var snapshot = new CaseSnapshot();
        while (!control.Stopping)
        {
            await RunGuardedAsync(workload, snapshot, measurement);
        }
    }

    /// <summary>
    /// Starts cases on a fixed schedule whatever the system's speed, so a slow system meets a growing queue (as it
    /// would in production) instead of slowing the load down with it.
    /// </summary>
    private static async Task RunOpenLoopAsync(IWorkload workload, double rate, int maxInFlight, RunControl control, Measurement measurement)
    {
        var inFlight = new InFlight();
        var begin = Stopwatch.GetTimestamp();
        long started = 0;
        while (!control.Stopping)
        {
            var due = (long)(Stopwatch.GetElapsedTime(begin).TotalSeconds * rate) + 1;
            for (; started < due; started++)
            {
                if (inFlight.Count >= maxInFlight)
                {
                    measurement.Dropped();
                    continue;
                }
                inFlight.Enter();
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await RunGuardedAsync(workload, new CaseSnapshot(), measurement);
                    }
                    finally
                    {
                        inFlight.Leave();
                    }
                });
            }
            await control.PauseAsync(TimeSpan.FromMilliseconds(1));
        }
        // Lifecycles in flight stop at their next step; the caller's drain limit bounds this wait.
        while (inFlight.Count > 0)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>A bug in the bench must show as an error in the report, not end a virtual user silently.</summary>
    private static async Task RunGuardedAsync(IWorkload workload, CaseSnapshot snapshot, Measurement measurement)
    {
        try
        {
            await workload.RunLifecycleAsync(snapshot);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            measurement.Failed(measurement.Lifecycles, $"load generator fault: {error.GetType().Name}: {error.Message}");
        }
    }

    private static LifecycleResult Summarize(LifecycleSettings settings, IReadOnlyList<KeyValuePair<string, int>> pids, ItemModel item,
        Measurement measurement, ResourceSnapshot before, ResourceSnapshot after)
    {
        var seconds = measurement.Window.TotalSeconds;
        var routes = measurement.HttpRoutes.Select(r => RouteReport.From(r, seconds)).ToList();
        var lifecycle = RouteReport.From(measurement.Lifecycles, seconds);
        var completed = measurement.Lifecycles.Latency.Count;
        var requests = routes.Sum(r => r.Requests);
        double PerLifecycle(double value) => completed == 0 ? 0 : value / completed;

        var wall = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var cores = Environment.ProcessorCount;
        var cpu = new List<CpuReport>();
        foreach (var (name, pid) in pids)
        {
            if (before.Cpu.GetValueOrDefault(name) is { } start && after.Cpu.GetValueOrDefault(name) is { } end)
            {
                cpu.Add(new CpuReport(name, pid, Math.Round(end - start, 2), Math.Round((end - start) / wall / cores, 3), Math.Round(PerLifecycle((end - start) * 1000), 1)));
            }
            else
            {
                Console.Error.WriteLine($"onething-bench: no CPU figures for {name} (pid {pid}): /proc/{pid}/stat was not readable.");
            }
        }
        var own = after.OwnCpu - before.OwnCpu;
        var generatorShare = own / wall / cores;
        cpu.Add(new CpuReport("load generator", Environment.ProcessId, Math.Round(own, 2), Math.Round(generatorShare, 3), Math.Round(PerLifecycle(own * 1000), 1)));
        var measured = cpu.Sum(c => c.CpuSeconds);
        if (cpu.Count > 1)
        {
            cpu.Add(new CpuReport("all of the above", null, Math.Round(measured, 2), Math.Round(measured / wall / cores, 3), Math.Round(PerLifecycle(measured * 1000), 1)));
        }
        if (before.MachineCpu is { } m0 && after.MachineCpu is { } m1)
        {
            // Other sessions, builds or the kernel's own work on the same cores: large values mean a disturbed run.
            var others = Math.Max(0, m1 - m0 - measured);
            cpu.Add(new CpuReport("rest of the machine", null, Math.Round(others, 2), Math.Round(others / wall / cores, 3), Math.Round(PerLifecycle(others * 1000), 1)));
        }

        PostgresReport? postgres = null;
        if (before.Postgres is { } p0 && after.Postgres is { } p1)
        {
            var commits = p1.Commits - p0.Commits;
            var writes = p1.NextTransactionId - p0.NextTransactionId;
            var syncs = p1.WalSyncs - p0.WalSyncs;
            // Per sync, only transactions that wrote: read-only commits never wait for a WAL flush.
            postgres = new PostgresReport(
                commits, Math.Round(PerLifecycle(commits), 1), p1.Rollbacks - p0.Rollbacks,
                writes, Math.Round(PerLifecycle(writes), 1),
                p1.WalBytes - p0.WalBytes, Math.Round(PerLifecycle(p1.WalBytes - p0.WalBytes)),
                syncs, syncs == 0 ? 0 : Math.Round((double)writes / syncs, 1));
        }

        return new LifecycleResult(
            settings.Mode.ToString().ToLowerInvariant(), settings.Reads, settings.Rate is null ? "closed" : "open",
            settings.Rate is null ? settings.Concurrency : null, settings.Rate, item.Code, item.Matters.Count, Math.Round(seconds, 2),
            completed, Math.Round(completed / seconds, 2), requests, Math.Round(requests / seconds, 1), Math.Round(PerLifecycle(requests), 1),
            routes.Sum(r => r.Errors) + lifecycle.Errors, routes.Sum(r => r.ErrorsOutsideWindow) + lifecycle.ErrorsOutsideWindow,
            measurement.DroppedStarts, Math.Round(generatorShare, 3), routes, lifecycle, cpu, postgres, Label: settings.Label,
            ConditionalReads: settings.ConditionalReads);
    }

    private sealed class InFlight
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Enter() => Interlocked.Increment(ref _count);

        public void Leave() => Interlocked.Decrement(ref _count);
    }
}

/// <summary>Cumulative counters at one instant, taken at both edges of the window.</summary>
public sealed record ResourceSnapshot(
    long Timestamp, IReadOnlyDictionary<string, double> Cpu, double OwnCpu, double? MachineCpu, PostgresCounters? Postgres)
{
    public static async Task<ResourceSnapshot> TakeAsync(IReadOnlyList<KeyValuePair<string, int>> pids, NpgsqlDataSource? postgres)
    {
        PostgresCounters? counters = null;
        if (postgres is not null)
        {
            try
            {
                counters = await PostgresCounters.ReadAsync(postgres);
            }
            catch (NpgsqlException error)
            {
                Console.Error.WriteLine($"onething-bench: cannot read PostgreSQL statistics ({error.Message}); no commit figures.");
            }
        }
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid) in pids)
        {
            if (ProcessCpu.Read(pid) is { } seconds)
            {
                cpu[name] = seconds;
            }
        }
        return new ResourceSnapshot(Stopwatch.GetTimestamp(), cpu, ProcessCpu.Own(), ProcessCpu.Machine(), counters);
    }
}
