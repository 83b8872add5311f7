using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Npgsql;
using OneThing.Bench.Lifecycle;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Statistics;

namespace OneThing.Bench.Scale;

/// <summary>Settings of the scale scenario (bench/README.md, "scale").</summary>
public sealed record ScaleSettings(
    Uri Api, string Postgres, int EndedCases, int OpenCases, int Requests, string OpsKey, string DepartmentKey, string Department, string KeysFile,
    bool Load = true)
{
    public static readonly IReadOnlyCollection<string> OptionNames =
        ["api", "pg", "cases", "open-cases", "requests", "ops-key", "department-key", "department", "keys-file", "load", "results"];

    public static ScaleSettings From(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var api = new Uri(settings.Text("api") ?? "http://127.0.0.1:5080");
        var postgres = settings.Text("pg") ?? throw new ArgumentException("--pg <connection string> is required: the loader writes the rows itself.");
        return new ScaleSettings(api, postgres, settings.Int("cases", 2_000_000), settings.Int("open-cases", 200_000), settings.Int("requests", 300),
            settings.Text("ops-key") ?? "dev-ops-key", settings.Text("department-key") ?? "dev-hrss-key", settings.Text("department") ?? "hrss",
            settings.Text("keys-file") ?? Path.Combine("api", "OneThing.Api", "appsettings.Development.json"),
            settings.Text("load") != "false");
    }

    public object Parameters() => new { EndedCases, OpenCases, Requests, Department };
}

public sealed record ScaleQuery(string Name, string Path, double P50Milliseconds, double P99Milliseconds, double TargetMilliseconds);

public sealed record ScaleResult(
    int EndedCases, int OpenCases, long Events, double LoadSeconds, double ProjectionSeconds, long FinishedTasksOfDepartment,
    IReadOnlyList<ScaleQuery> Queries, IReadOnlyDictionary<string, long> TableBytes, IReadOnlyDictionary<string, long> TableRows);

/// <summary>
/// Statistics, ops search and the inbox over millions of cases: loads them (<see cref="ScaleLoader"/>), projects the
/// statistics, then times each route through the API one request at a time.
/// </summary>
public static class ScaleScenario
{
    private static readonly string[] Tables =
    [
        "onething_case_events", "onething_case_directory", "onething_department_tasks", "onething_department_tasks_open",
        "onething_department_tasks_ended", "onething_case_summaries",
        "onething_statistics", "onething_statistics_units",
    ];

    public static async Task<ScaleResult> RunAsync(ScaleSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var database = NpgsqlDataSource.Create(settings.Postgres);
        var calendar = WorkingCalendar.LoadFromDirectory(WorkingCalendar.DefaultDirectory);
        var item = ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory).Find("retirement")!;
        var now = DateTimeOffset.UtcNow;

        var load = Stopwatch.StartNew();
        // --load false times the routes over what an earlier run loaded (the same database).
        if (settings.Load)
        {
        var lastReport = Stopwatch.StartNew();
        // The API's privacy keys: it must open what the loader sealed and find the applicant by the same index.
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(settings.KeysFile)).Build();
        var privacy = PrivacyKeys.Read(key => configuration[key]);
        await new ScaleLoader(database, item, calendar, privacy).LoadAsync(settings.EndedCases, settings.OpenCases, now, loaded =>
        {
            if (lastReport.Elapsed > TimeSpan.FromSeconds(30))
            {
                Console.WriteLine($"scale: {loaded:N0} cases loaded in {load.Elapsed.TotalSeconds:0} s");
                lastReport.Restart();
            }
        });
        }
        load.Stop();
        Console.WriteLine($"scale: {settings.EndedCases + settings.OpenCases:N0} cases loaded in {load.Elapsed.TotalSeconds:0.0} s; projecting the statistics");

        var projection = Stopwatch.StartNew();
        if (settings.Load)
        {
        await new StatisticsProjector(database, new CaseEventFeed(database), calendar).CatchUpAsync();
        projection.Stop();
        }
        await ExecuteAsync(database, $"VACUUM ANALYZE {string.Join(", ", Tables)}");
        var events = await ScalarAsync(database, "SELECT count(*) FROM onething_case_events");
        var finished = await ScalarAsync(database,
            $"SELECT count(*) FROM onething_department_tasks WHERE department = '{settings.Department}' AND status = 'Completed'");
        Console.WriteLine($"scale: {events:N0} events projected in {projection.Elapsed.TotalSeconds:0.0} s; timing the routes");

        var today = DateOnly.FromDateTime(now.ToOffset(WorkingCalendar.BeijingOffset).DateTime);
        var year = $"from={today.AddDays(-364):yyyy-MM-dd}&to={today:yyyy-MM-dd}";
        var queries = new List<ScaleQuery>
        {
            await TimeAsync(settings, settings.OpsKey, "statistics: a year by department", $"/api/ops/statistics?groupBy=department&{year}", 100),
            await TimeAsync(settings, settings.OpsKey, "statistics: a year by region", $"/api/ops/statistics?groupBy=region&{year}", 100),
            await TimeAsync(settings, settings.OpsKey, "ops search: newest", "/api/ops/cases?limit=50", 50),
            await TimeAsync(settings, settings.OpsKey, "ops search: item + status", "/api/ops/cases?item=retirement&status=Completed&limit=50", 50),
            await TimeAsync(settings, settings.OpsKey, "ops search: overdue", "/api/ops/cases?overdue=true&limit=50", 50),
            await TimeAsync(settings, settings.OpsKey, "ops search: region + department", "/api/ops/cases?region=chengdu&department=hrss&limit=50", 50),
            await TimeAsync(settings, settings.DepartmentKey, "inbox: first page (open tasks)", $"/api/departments/{settings.Department}/tasks", 20),
            await TimeAsync(settings, settings.DepartmentKey, "inbox: first page of finished tasks", $"/api/departments/{settings.Department}/tasks?status=Completed", 20),
        };

        var bytes = new Dictionary<string, long>();
        var rows = new Dictionary<string, long>();
        foreach (var table in Tables)
        {
            bytes[table] = await ScalarAsync(database, $"SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c WHERE c.oid = '{table}'::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = '{table}'::regclass)");
            rows[table] = await ScalarAsync(database, $"SELECT count(*) FROM {table}");
        }
        return new ScaleResult(settings.EndedCases, settings.OpenCases, events, load.Elapsed.TotalSeconds, projection.Elapsed.TotalSeconds, finished, queries, bytes, rows);
    }

    public static string Format(ScaleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"scale: {result.EndedCases:N0} ended + {result.OpenCases:N0} open cases, {result.Events:N0} events; load {result.LoadSeconds:0} s, projection {result.ProjectionSeconds:0} s; {result.FinishedTasksOfDepartment:N0} finished tasks in the inbox's department");
        text.AppendLine("| route | p50 ms | p99 ms | target p99 ms |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var query in result.Queries)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {query.Name} | {query.P50Milliseconds:0.0} | {query.P99Milliseconds:0.0} | {query.TargetMilliseconds:0} |");
        }
        text.AppendLine("| table | rows | size MB |");
        text.AppendLine("|---|---:|---:|");
        foreach (var (table, bytes) in result.TableBytes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {table} | {result.TableRows[table]:N0} | {bytes / 1048576.0:0} |");
        }
        var parts = result.Queries.Select(q => string.Create(CultureInfo.InvariantCulture, $"{q.Name} p99 {q.P99Milliseconds:0.0} ms (target {q.TargetMilliseconds:0})"));
        text.Append("summary: scale ").Append((result.EndedCases + result.OpenCases).ToString("N0", CultureInfo.InvariantCulture))
            .Append(" cases | ").AppendLine(string.Join(" | ", parts));
        return text.ToString();
    }

    /// <summary>One request at a time, after a warm-up: p50 and p99 of the whole HTTP exchange.</summary>
    private static async Task<ScaleQuery> TimeAsync(ScaleSettings settings, string key, string name, string path, double target)
    {
        using var client = new HttpClient { BaseAddress = settings.Api, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 20 + settings.Requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            await response.Content.ReadAsByteArrayAsync();
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
            }
            if (i >= 20)
            {
                histogram.Record((long)elapsed.TotalMicroseconds);
            }
        }
        return new ScaleQuery(name, path, histogram.Percentile(0.5) / 1000.0, histogram.Percentile(0.99) / 1000.0, target);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        command.CommandTimeout = 0;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
