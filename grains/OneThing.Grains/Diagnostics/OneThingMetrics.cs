using System.Diagnostics;
using System.Diagnostics.Metrics;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;

namespace OneThing.Grains.Diagnostics;

/// <summary>
/// The project's own meter, <c>OneThing</c>, and every instrument on it. Prometheus names them with underscores and
/// <c>_total</c> for counters (<c>onething.cases.submitted</c> → <c>onething_cases_submitted_total</c>).
/// </summary>
/// <remarks>
/// A silo counts cases and tasks from the events a group commit stored, after the commit succeeded: a failed batch
/// counts nothing, and its retry, which stores the events once, counts them once. An API that is only a client of the
/// cluster counts what it acknowledged (<see cref="Acknowledged"/>); silos are the source of truth for totals.
/// </remarks>
public static class OneThingMetrics
{
    public const string MeterName = "OneThing";

    /// <summary>The project's activity source (spans of its own, such as a group commit), named like the meter.</summary>
    public const string ActivitySourceName = "OneThing";

    internal static readonly ActivitySource Activities = new(ActivitySourceName, typeof(OneThingMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(MeterName, typeof(OneThingMetrics).Assembly.GetName().Version?.ToString());

    // Cases, by item and region.
    private static readonly Counter<long> CasesSubmitted = Meter.CreateCounter<long>("onething.cases.submitted", "{case}", "Cases filed, by item and region.");
    private static readonly Counter<long> CasesCompleted = Meter.CreateCounter<long>("onething.cases.completed", "{case}", "Cases whose every matter is done, by item and region.");
    private static readonly Counter<long> CasesRejected = Meter.CreateCounter<long>("onething.cases.rejected", "{case}", "Cases that ended rejected (a matter refused, a promise lapsed), by item and region.");
    private static readonly Counter<long> CasesWithdrawn = Meter.CreateCounter<long>("onething.cases.withdrawn", "{case}", "Cases the applicant withdrew, by item and region.");
    private static readonly Counter<long> CasesOverdue = Meter.CreateCounter<long>("onething.cases.overdue", "{case}", "Cases that passed their promised time unfinished, by item and region.");

    // Department tasks, by department.
    private static readonly Counter<long> TasksReady = Meter.CreateCounter<long>("onething.tasks.ready", "{task}", "Tasks handed to their department (not counting a return after 补正), by department.");
    private static readonly Counter<long> TasksCompleted = Meter.CreateCounter<long>("onething.tasks.completed", "{task}", "Tasks their department completed, by department.");
    private static readonly Counter<long> TasksOverdue = Meter.CreateCounter<long>("onething.tasks.overdue", "{task}", "Tasks that passed their due time unfinished, by department.");

    private static readonly Histogram<double> TaskCompletionTime = Meter.CreateHistogram(
        "onething.tasks.completion_time", "s", "Time from a task's first Ready to its completion, by department (calendar time, 补正 pauses included).",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [60, 300, 900, 3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 14 * 86400, 30 * 86400],
        });

    // The group commit (ReadModelWriter).
    private static readonly Histogram<int> CommitChanges = Meter.CreateHistogram<int>(
        "onething.commit.changes", "{change}", "Changes (one grain's events and rows each) sharing one group commit.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    private static readonly Histogram<int> CommitEvents = Meter.CreateHistogram<int>(
        "onething.commit.events", "{event}", "Case events stored by one group commit.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384] });

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram(
        "onething.commit.duration", "s", "Round trip of one group commit to PostgreSQL, failed ones included (tag outcome).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10] });

    private static readonly Counter<long> CommitFailures = Meter.CreateCounter<long>(
        "onething.commit.failures", "{commit}", "Group commits PostgreSQL refused or did not answer; none of their changes is stored or acknowledged.");

    // Webhook delivery (Webhooks/WebhookDeliveryGrain), by subscription kind.
    private static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>(
        "onething.webhooks.attempts", "{attempt}", "Posts to receivers, by kind and outcome (delivered, failed: retried later, dead: given up).");

    private static readonly Histogram<double> WebhookLatency = Meter.CreateHistogram(
        "onething.webhooks.latency", "s", "Time from an event to its receiver's 2xx, by kind (retries and 补正 rounds included).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400] });

    /// <summary>One post to a receiver ended: <c>delivered</c>, <c>failed</c> (to be retried) or <c>dead</c> (a dead letter).</summary>
    internal static void WebhookAttempted(string kind, string outcome, TimeSpan? sinceEvent)
    {
        WebhookAttempts.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));
        if (sinceEvent is { } latency)
        {
            WebhookLatency.Record(Math.Max(0, latency.TotalSeconds), new KeyValuePair<string, object?>("kind", kind));
        }
    }

    /// <summary>A group commit stored <paramref name="events"/> for <paramref name="changes"/> callers in <paramref name="elapsed"/>.</summary>
    internal static void Committed(IReadOnlyList<StoredEvent> events, int changes, TimeSpan elapsed)
    {
        CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "committed"));
        CommitChanges.Record(changes);
        CommitEvents.Record(events.Count);
        foreach (var stored in events)
        {
            Count(stored.Event, stored.ItemCode, stored.Region, stored.TaskReadyAt);
        }
    }

    /// <summary>A group commit failed: nothing of it is stored, so nothing of it is counted but the failure.</summary>
    internal static void CommitFailed(TimeSpan elapsed)
    {
        CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "failed"));
        CommitFailures.Add(1);
    }

    /// <summary>
    /// Counts one stored event. <paramref name="taskReadyAt"/>: for a <see cref="TaskCompleted"/>, when its task was
    /// first Ready (the event itself does not carry it).
    /// </summary>
    public static void Count(CaseEvent stored, string itemCode, string? region, DateTimeOffset? taskReadyAt = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        switch (stored.Data)
        {
            case CaseSubmitted:
                CasesSubmitted.Add(1, CaseTags(itemCode, region));
                break;
            case CaseCompleted:
                CasesCompleted.Add(1, CaseTags(itemCode, region));
                break;
            case CaseRejected:
                CasesRejected.Add(1, CaseTags(itemCode, region));
                break;
            case CaseWithdrawn:
                CasesWithdrawn.Add(1, CaseTags(itemCode, region));
                break;
            case TaskReady { Returned: false } when stored.Department is { } department:
                TasksReady.Add(1, DepartmentTag(department));
                break;
            case TaskCompleted when stored.Department is { } department:
                TasksCompleted.Add(1, DepartmentTag(department));
                if (taskReadyAt is { } readyAt && stored.At >= readyAt)
                {
                    TaskCompletionTime.Record((stored.At - readyAt).TotalSeconds, DepartmentTag(department));
                }
                break;
            case Overdue when stored.Department is { } department:
                TasksOverdue.Add(1, DepartmentTag(department));
                break;
            case Overdue:
                CasesOverdue.Add(1, CaseTags(itemCode, region));
                break;
        }
    }

    /// <summary>What an API that is only a client of the cluster counts: the answers it gave.</summary>
    public static class Acknowledged
    {
        /// <summary>A 201: a new case (a retry with the same Idempotency-Key gets 200 and is not counted).</summary>
        public static void CaseSubmitted(string itemCode, string? region) => CasesSubmitted.Add(1, CaseTags(itemCode, region));

        /// <summary>A 200 to a completion (a client's retry of one is counted again).</summary>
        public static void TaskCompleted(string department) => TasksCompleted.Add(1, DepartmentTag(department));
    }

    /// <summary>Region as filed; <c>national</c> without one. Unbounded values are capped by the exporter's cardinality limit.</summary>
    private static TagList CaseTags(string itemCode, string? region) => new()
    {
        { "item", itemCode },
        { "region", RegionCodes.Describe(region) },
    };

    private static KeyValuePair<string, object?> DepartmentTag(string department) => new("department", department);
}
