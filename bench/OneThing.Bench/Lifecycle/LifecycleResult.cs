using System.Globalization;
using System.Text;
using Npgsql;

namespace OneThing.Bench.Lifecycle;

public sealed record RouteReport(
    string Route, long Requests, double PerSecond, long Errors, long ErrorsOutsideWindow,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs, IReadOnlyList<string> FirstErrors, long NotModified = 0)
{
    public static RouteReport From(RouteStats stats, double seconds)
    {
        var latency = stats.Latency;
        static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 2);
        return new RouteReport(stats.Name, stats.Requests, Math.Round(stats.Requests / seconds, 1), stats.Errors, stats.ErrorsOutsideWindow,
            Ms(latency.Percentile(0.50)), Ms(latency.Percentile(0.95)), Ms(latency.Percentile(0.99)), Ms(latency.MaxMicroseconds),
            Math.Round(latency.MeanMicroseconds / 1000.0, 2), stats.FirstErrors, stats.NotModified);
    }
}

/// <summary>
/// What the case events of every case in the database take, measured after the run (warm-up and drain included): rows
/// (<c>pg_column_size</c> of each row) and disk (every partition's table, indexes and TOAST), per case.
/// </summary>
public sealed record EventStorageReport(long Events, long Cases, double EventsPerCase, double RowBytesPerCase, double DiskBytesPerCase)
{
    public static async Task<EventStorageReport?> ReadAsync(NpgsqlDataSource database)
    {
        try
        {
            await using var command = database.CreateCommand("""
                SELECT count(*), count(DISTINCT case_id), coalesce(sum(pg_column_size(e.*)), 0),
                       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('onething_case_events') WHERE isleaf)
                FROM onething_case_events e
                """);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (events, cases) = (reader.GetInt64(0), reader.GetInt64(1));
            return cases == 0 ? null : new EventStorageReport(events, cases, Math.Round((double)events / cases, 1),
                Math.Round((double)reader.GetInt64(2) / cases), Math.Round((double)reader.GetInt64(3) / cases));
        }
        catch (NpgsqlException error)
        {
            Console.Error.WriteLine($"onething-bench: cannot measure the stored events ({error.Message}).");
            return null;
        }
    }
}

/// <summary>One process's CPU over the window: seconds, share of the whole machine, and cost per lifecycle.</summary>
public sealed record CpuReport(string Process, int? Pid, double CpuSeconds, double ShareOfMachine, double MsPerLifecycle);

public sealed record PostgresReport(
    long Commits, double CommitsPerLifecycle, long Rollbacks, long WriteTransactions, double WriteTransactionsPerLifecycle,
    long WalBytes, double WalBytesPerLifecycle, long WalSyncs, double WriteTransactionsPerWalSync);

public sealed record LifecycleResult(
    string Mode,
    int Reads,
    string Loop,
    int? Concurrency,
    double? Rate,
    string Item,
    int MattersPerCase,
    double MeasuredSeconds,
    long LifecyclesCompleted,
    double LifecyclesPerSecond,
    long HttpRequests,
    double HttpRequestsPerSecond,
    double HttpRequestsPerLifecycle,
    long Errors,
    long ErrorsOutsideWindow,
    long DroppedStarts,
    double LoadGeneratorCpuShare,
    IReadOnlyList<RouteReport> Routes,
    RouteReport Lifecycle,
    IReadOnlyList<CpuReport> Cpu,
    PostgresReport? Postgres,
    FailoverReport? Failover = null,
    string? Label = null,
    bool ConditionalReads = false,
    EventStorageReport? EventStorage = null,
    WebhookReport? Webhook = null)
{
    /// <summary>The human-readable report; the last line, "summary: ...", is what scripts/bench.sh collects.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

        Line($"");
        Line($"lifecycle ({Mode} mode, {Reads} citizen reads per department action, {Loop} loop{(Rate is { } r ? $" at {r:0.##} cases/s" : $", {Concurrency} virtual users")}), item {Item} ({MattersPerCase} matters), {MeasuredSeconds:0.0} s measured");
        Line($"  lifecycles: {LifecyclesCompleted} completed = {LifecyclesPerSecond:0.00}/s (submit to Completed: p50 {Lifecycle.P50Ms:0} ms, p99 {Lifecycle.P99Ms:0} ms)");
        Line($"  HTTP: {HttpRequests} requests = {HttpRequestsPerSecond:0.0}/s, {HttpRequestsPerLifecycle:0.0} per lifecycle; errors {Errors} in the window, {ErrorsOutsideWindow} in warm-up or drain");
        foreach (var route in Routes.Where(r => r.NotModified > 0))
        {
            Line($"  conditional reads: {route.NotModified} of {route.Requests} {route.Route} answered 304 Not Modified ({(double)route.NotModified / route.Requests:P0})");
        }
        if (DroppedStarts > 0)
        {
            Line($"  open loop: {DroppedStarts} starts dropped at the in-flight cap");
        }
        if (Failover is { } failover)
        {
            text.Append(failover.Format());
        }
        if (Webhook is { } webhook)
        {
            text.Append(webhook.Format());
        }
        Line($"");
        Line($"| route | requests | /s | errors | p50 ms | p95 ms | p99 ms | max ms |");
        Line($"|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var route in Routes.Append(Lifecycle))
        {
            Line($"| {route.Route} | {route.Requests} | {route.PerSecond:0.0} | {route.Errors} | {route.P50Ms:0.00} | {route.P95Ms:0.00} | {route.P99Ms:0.00} | {route.MaxMs:0.00} |");
        }
        if (Cpu.Count > 0)
        {
            Line($"");
            Line($"| process | CPU s | share of {Environment.ProcessorCount} cores | CPU ms per lifecycle |");
            Line($"|---|---:|---:|---:|");
            foreach (var cpu in Cpu)
            {
                Line($"| {cpu.Process} | {cpu.CpuSeconds:0.00} | {cpu.ShareOfMachine:P0} | {cpu.MsPerLifecycle:0.0} |");
            }
        }
        if (Postgres is { } pg)
        {
            Line($"");
            Line($"PostgreSQL: {pg.Commits} commits = {pg.CommitsPerLifecycle:0.0} per lifecycle; {pg.WriteTransactions} write transactions = {pg.WriteTransactionsPerLifecycle:0.0} per lifecycle; {pg.Rollbacks} rollbacks");
            Line($"            WAL {pg.WalBytesPerLifecycle / 1024:0.0} KiB per lifecycle; {pg.WalSyncs} WAL syncs = {pg.WriteTransactionsPerWalSync:0.0} write transactions per sync (group commit)");
        }
        if (EventStorage is { } events)
        {
            Line($"Events stored: {events.Events} of {events.Cases} cases = {events.EventsPerCase:0.0} per case; {events.RowBytesPerCase:0} bytes of rows and {events.DiskBytesPerCase:0} bytes on disk (with indexes and TOAST) per case");
        }
        var failing = Routes.Append(Lifecycle).Where(r => r.FirstErrors.Count > 0).ToList();
        if (failing.Count > 0)
        {
            Line($"");
            Line($"first errors:");
            foreach (var route in failing)
            {
                foreach (var message in route.FirstErrors)
                {
                    Line($"  [{route.Route}] {message}");
                }
            }
        }
        text.AppendLine();
        text.AppendLine(SummaryLine());
        return text.ToString();
    }

    private string SummaryLine()
    {
        var text = new StringBuilder();
        void Add(FormattableString part) => text.Append(part.ToString(CultureInfo.InvariantCulture));

        Add($"summary: lifecycle {Mode} reads={Reads}{(ConditionalReads ? " etag" : "")} {(Rate is { } r ? $"rate={r:0.##}" : $"c={Concurrency}")}{(Label is null ? "" : $" [{Label}]")} | {LifecyclesPerSecond:0.00} lifecycles/s | {HttpRequestsPerSecond:0} req/s | errors {Errors}+{ErrorsOutsideWindow}");
        Add($" | p50/p99 ms");
        foreach (var route in Routes.Where(r => r.Requests > 0))
        {
            Add($" {route.Route} {route.P50Ms:0.0}/{route.P99Ms:0.0}");
        }
        if (Postgres is { } pg)
        {
            Add($" | PG {pg.CommitsPerLifecycle:0.0} commits/lifecycle");
        }
        if (Failover is { } failover)
        {
            text.Append(failover.Summary());
        }
        if (Cpu.Count > 0)
        {
            Add($" | CPU");
            foreach (var cpu in Cpu)
            {
                var name = cpu.Process switch
                {
                    "load generator" => "bench",
                    "all of the above" => "sum",
                    "rest of the machine" => "other",
                    var process => process,
                };
                Add($" {name} {cpu.ShareOfMachine:P0}");
            }
        }
        return text.ToString();
    }
}
