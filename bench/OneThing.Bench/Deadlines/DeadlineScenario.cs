using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OneThing.Bench.Lifecycle;

namespace OneThing.Bench.Deadlines;

/// <summary>
/// Deadlines at scale: many open cases whose deadlines lie hours ahead, then a batch that falls due within one
/// minute. Measures how fast cases load, what an idle open case costs the silo in memory, how long the reminder
/// service's read of the whole reminder table takes, and how late the batch is flagged overdue (due → escalated).
/// </summary>
/// <remarks>
/// The scenario publishes its own item through <c>PUT /api/items/{code}</c> (one matter, a calendar-time limit), so
/// it needs an ops key and a database of its own: the cases it leaves open stay open.
/// </remarks>
public static class DeadlineScenario
{
    private static readonly TimeSpan FlagPollInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(30);

    public static async Task<DeadlineResult?> RunAsync(DeadlineSettings settings)
    {
        using var http = ApiClient.Create(settings.Api, settings.Concurrency, settings.RequestTimeout);
        await using var database = NpgsqlDataSource.Create(settings.Postgres);
        var ops = $"Bearer {settings.Keys.Ops}";
        var portal = $"Bearer {settings.Keys.Portal}";

        var item = await PublishAsync(http, ops, settings.ItemCode, "PT1H");
        if (item is null)
        {
            return null;
        }
        var application = ApplicationTemplate.For(item.Value, region: null, DateOnly.FromDateTime(DateTime.Today));
        // One case alone first: if the item or the keys are wrong, say so now rather than after 200,000 failures.
        var probe = await SubmitManyAsync(http, portal, application, 1, 1, caseIds: null);
        if (probe.Failed > 0)
        {
            Console.Error.WriteLine($"onething-bench: the first case could not be submitted: {probe.FirstError}");
            return null;
        }

        MemorySample? before = settings.SiloPid is { } pid ? await SiloMemory.AfterFullCollectionAsync(pid) : null;

        // The open cases: one item version per hour of spread, each due that many hours after submission.
        Console.WriteLine($"loading {settings.Cases:N0} open cases due 1 to {settings.SpreadHours} hours after submission ({settings.Concurrency} clients)");
        var load = Stopwatch.StartNew();
        var loaded = new SubmitOutcome(0, 0, null);
        for (var hour = 1; hour <= settings.SpreadHours; hour++)
        {
            var share = (settings.Cases * hour / settings.SpreadHours) - (settings.Cases * (hour - 1) / settings.SpreadHours);
            if (share == 0 || await PublishAsync(http, ops, settings.ItemCode, $"PT{hour}H") is null)
            {
                continue;
            }
            loaded += await SubmitManyAsync(http, portal, application, share, settings.Concurrency, caseIds: null);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {loaded.Succeeded:N0} loaded, {loaded.Failed} failed, {loaded.Succeeded / load.Elapsed.TotalSeconds:0}/s"));
        }
        load.Stop();
        var loadPeak = settings.SiloPid is { } loadPid ? SiloMemory.Read(loadPid) : (MemorySample?)null;

        // The batch: due at one minute (plus 2 s) at least the lead ahead; a duration measured from now puts each
        // case's deadline at its submission time plus that duration, a few seconds apart at most.
        var published = DateTimeOffset.UtcNow;
        var dueMinute = CeilingToMinute(published + settings.DueLead);
        var limit = (int)Math.Ceiling((dueMinute.AddSeconds(2) - published).TotalSeconds);
        var batchIds = new ConcurrentQueue<string>();
        if (await PublishAsync(http, ops, settings.ItemCode, $"PT{limit}S") is null)
        {
            return null;
        }
        var batch = await SubmitManyAsync(http, portal, application, settings.DueCases, settings.Concurrency, batchIds);
        Console.WriteLine($"{batch.Succeeded} cases due at {dueMinute:HH:mm} UTC submitted in {(DateTimeOffset.UtcNow - published).TotalSeconds:0.0} s ({batch.Failed} failed)");

        var tableRead = await ReminderTableRead.MeasureAsync(database);
        Console.WriteLine($"reminder table: {tableRead.Rows:N0} rows read in {tableRead.MedianMilliseconds:0} ms (median of {tableRead.Milliseconds.Count})");

        var tardiness = await WaitForFlagsAsync(database, batchIds.ToArray(), dueMinute.AddSeconds(2) + settings.FlagTimeout + (DateTimeOffset.UtcNow - published));

        MemorySample? idle = null;
        if (settings.SiloPid is { } idlePid)
        {
            // Every case must have been idle for the silo's collection age: the batch was touched last, when flagged.
            var lastTouch = tardiness.LastFlaggedAt ?? DateTimeOffset.UtcNow;
            var wait = lastTouch + settings.IdleWait - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                Console.WriteLine($"waiting {wait.TotalSeconds:0} s until every case has been idle for {settings.IdleWait.TotalSeconds:0} s");
                await Task.Delay(wait);
            }
            idle = await SiloMemory.AfterFullCollectionAsync(idlePid);
        }

        var open = loaded.Succeeded + batch.Succeeded + probe.Succeeded;
        return new DeadlineResult(
            Loaded: loaded.Succeeded,
            LoadFailed: loaded.Failed,
            LoadSeconds: load.Elapsed.TotalSeconds,
            LoadPerSecond: loaded.Succeeded / load.Elapsed.TotalSeconds,
            FirstLoadError: loaded.FirstError ?? batch.FirstError,
            DueSubmitted: batch.Succeeded,
            DueFailed: batch.Failed,
            DueMinute: dueMinute,
            Memory: before is { } b && idle is { } i
                ? new MemoryFigures(open, b.ResidentBytes, i.ResidentBytes, loadPeak?.PeakResidentBytes ?? i.PeakResidentBytes,
                    (double)(i.ResidentBytes - b.ResidentBytes) / Math.Max(1, open),
                    b.ManagedHeapBytes, i.ManagedHeapBytes,
                    b.ManagedHeapBytes is { } heapBefore && i.ManagedHeapBytes is { } heapIdle ? (double)(heapIdle - heapBefore) / Math.Max(1, open) : null)
                : null,
            ReminderTable: tableRead,
            Tardiness: tardiness);
    }

    /// <summary>Publishes the scenario's item with the given limit (item and its one matter); null when refused.</summary>
    private static async Task<JsonElement?> PublishAsync(HttpClient http, string ops, string code, string duration)
    {
        var body = new JsonObject
        {
            ["name"] = "基准测试：时限一件事",
            ["audience"] = "individual",
            ["leadDepartment"] = "civil-affairs",
            ["timeLimit"] = new JsonObject { ["duration"] = duration },
            ["description"] = "The benchmark's own item: one matter, a calendar-time limit, so deadlines fall when the benchmark needs them.",
            ["form"] = new JsonArray(),
            ["materials"] = new JsonArray(),
            ["matters"] = new JsonArray
            {
                new JsonObject
                {
                    ["code"] = "review",
                    ["name"] = "受理审核",
                    ["department"] = "civil-affairs",
                    ["dependsOn"] = new JsonArray(),
                    ["optional"] = false,
                    ["timeLimit"] = new JsonObject { ["duration"] = duration },
                    ["inputs"] = new JsonArray("applicant.name"),
                    ["outputs"] = new JsonArray(),
                },
            },
        };
        using var request = ApiClient.Request(HttpMethod.Put, $"/api/items/{Uri.EscapeDataString(code)}", ops);
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
        {
            Console.Error.WriteLine($"onething-bench: PUT /api/items/{code} → {(int)response.StatusCode}: {text}");
            return null;
        }
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static async Task<SubmitOutcome> SubmitManyAsync(
        HttpClient http, string portal, ApplicationTemplate application, int count, int concurrency, ConcurrentQueue<string>? caseIds)
    {
        var next = -1;
        var succeeded = 0;
        var failed = 0;
        string? firstError = null;

        async Task SubmitLoopAsync()
        {
            var buffer = new byte[application.Length];
            while (Interlocked.Increment(ref next) < count)
            {
                var length = application.Write(buffer);
                using var request = ApiClient.Request(HttpMethod.Post, "/api/cases", portal);
                request.Content = new ByteArrayContent(buffer, 0, length);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                try
                {
                    using var response = await http.SendAsync(request);
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref failed);
                        var detail = await response.Content.ReadAsStringAsync();
                        Interlocked.CompareExchange(ref firstError, $"POST /api/cases → {(int)response.StatusCode}: {detail}", null);
                        continue;
                    }
                    if (caseIds is not null)
                    {
                        await using var stream = await response.Content.ReadAsStreamAsync();
                        using var document = await JsonDocument.ParseAsync(stream);
                        caseIds.Enqueue(document.RootElement.GetProperty("caseId").GetString()!);
                    }
                    Interlocked.Increment(ref succeeded);
                }
                catch (Exception error) when (error is HttpRequestException or IOException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"POST /api/cases → {error.GetType().Name}: {error.Message}", null);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(SubmitLoopAsync)));
        return new SubmitOutcome(succeeded, failed, firstError);
    }

    /// <summary>
    /// Polls the fallback desk (where an overdue case is escalated) until every batch case is there or the deadline
    /// passes; then reads each one's lateness: escalated_at − due_at, both written by the case.
    /// </summary>
    private static async Task<TardinessFigures> WaitForFlagsAsync(NpgsqlDataSource database, string[] caseIds, DateTimeOffset giveUpAt)
    {
        var lastProgress = DateTimeOffset.UtcNow;
        long flagged;
        while (true)
        {
            await using (var count = database.CreateCommand("SELECT count(*) FROM onething_fallback_desk WHERE case_id = ANY($1)"))
            {
                count.Parameters.Add(new NpgsqlParameter { Value = caseIds });
                flagged = (long)(await count.ExecuteScalarAsync())!;
            }
            var now = DateTimeOffset.UtcNow;
            if (flagged >= caseIds.Length || now >= giveUpAt)
            {
                break;
            }
            if (now - lastProgress >= ProgressInterval)
            {
                Console.WriteLine($"  {flagged} of {caseIds.Length} flagged overdue so far");
                lastProgress = now;
            }
            await Task.Delay(FlagPollInterval);
        }
        if (flagged < caseIds.Length)
        {
            Console.Error.WriteLine($"onething-bench: only {flagged} of {caseIds.Length} due cases were flagged overdue by {giveUpAt:HH:mm:ss} UTC.");
        }

        var lateness = new List<double>(caseIds.Length);
        DateTimeOffset? firstDue = null, lastDue = null, lastFlagged = null;
        await using var read = database.CreateCommand(
            "SELECT extract(epoch FROM escalated_at - case_due_at)::float8, case_due_at, escalated_at FROM onething_fallback_desk WHERE case_id = ANY($1) AND source = 'deadline'");
        read.Parameters.Add(new NpgsqlParameter { Value = caseIds });
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lateness.Add(reader.GetDouble(0));
                var due = reader.GetFieldValue<DateTimeOffset>(1);
                var escalated = reader.GetFieldValue<DateTimeOffset>(2);
                firstDue = firstDue is null || due < firstDue ? due : firstDue;
                lastDue = lastDue is null || due > lastDue ? due : lastDue;
                lastFlagged = lastFlagged is null || escalated > lastFlagged ? escalated : lastFlagged;
            }
        }
        lateness.Sort();
        return new TardinessFigures(
            Due: caseIds.Length,
            Flagged: lateness.Count,
            FirstDue: firstDue,
            LastDue: lastDue,
            P50Seconds: Percentile(lateness, 0.50),
            P99Seconds: Percentile(lateness, 0.99),
            MaxSeconds: lateness.Count == 0 ? null : lateness[^1],
            LastFlaggedAt: lastFlagged);
    }

    private static double? Percentile(List<double> sorted, double quantile) =>
        sorted.Count == 0 ? null : sorted[Math.Max(0, (int)Math.Ceiling(quantile * sorted.Count) - 1)];

    private static DateTimeOffset CeilingToMinute(DateTimeOffset at)
    {
        var floor = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, at.Offset);
        return floor == at ? at : floor.AddMinutes(1);
    }

    private readonly record struct SubmitOutcome(int Succeeded, int Failed, string? FirstError)
    {
        public static SubmitOutcome operator +(SubmitOutcome a, SubmitOutcome b) =>
            new(a.Succeeded + b.Succeeded, a.Failed + b.Failed, a.FirstError ?? b.FirstError);
    }
}
