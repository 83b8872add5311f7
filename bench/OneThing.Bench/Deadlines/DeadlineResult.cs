using System.Globalization;
using System.Text;

namespace OneThing.Bench.Deadlines;

/// <summary>What the deadlines scenario measured; written to bench/results/deadlines.json.</summary>
public sealed record DeadlineResult(
    int Loaded,
    int LoadFailed,
    double LoadSeconds,
    double LoadPerSecond,
    string? FirstLoadError,
    int DueSubmitted,
    int DueFailed,
    DateTimeOffset DueMinute,
    MemoryFigures? Memory,
    ReminderTableRead ReminderTable,
    TardinessFigures Tardiness)
{
    public bool Clean => LoadFailed == 0 && DueFailed == 0 && Tardiness.Flagged == Tardiness.Due;

    /// <summary>The human-readable report; the last line, "summary: ...", is what scripts/bench.sh collects.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

        var memory = Memory is { } m
            ? FormattableString.Invariant($"{m.BytesPerOpenCase:0} B per idle open case (silo {m.BeforeBytes / 1048576.0:0} → {m.IdleBytes / 1048576.0:0} MiB, peak {m.PeakBytes / 1048576.0:0} MiB)")
                + (m.ManagedBytesPerOpenCase is { } managed
                    ? FormattableString.Invariant($"; managed heap {managed:0} B per case ({m.ManagedBeforeBytes / 1048576.0:0} → {m.ManagedIdleBytes / 1048576.0:0} MiB)")
                    : "")
            : "memory not measured (no --silo-pid)";
        var late = Tardiness;
        Line($"");
        Line($"| deadlines | value | goal |");
        Line($"|---|---:|---:|");
        Line($"| open cases loaded | {Loaded:N0} at {LoadPerSecond:0}/s, {LoadFailed} failed | |");
        Line($"| silo memory | {memory} | ≤ 2048 B per case |");
        Line($"| reminder table read | {ReminderTable.MedianMilliseconds:0} ms for {ReminderTable.Rows:N0} rows | |");
        Line($"| tardiness of {late.Due} due {DueMinute:HH:mm} UTC | p50 {late.P50Seconds:0.000} s, p99 {late.P99Seconds:0.000} s, max {late.MaxSeconds:0.000} s; {late.Flagged} flagged | p99 ≤ 60 s |");
        Line($"summary: deadlines | {Loaded + DueSubmitted:N0} open cases, loaded at {LoadPerSecond:0}/s | {memory} | reminder table read {ReminderTable.MedianMilliseconds:0} ms ({ReminderTable.Rows:N0} rows) | tardiness p50 {late.P50Seconds:0.000} s, p99 {late.P99Seconds:0.000} s ({late.Flagged}/{late.Due} flagged)");
        return text.ToString();
    }
}

/// <summary>
/// Silo memory after a full collection, before the load and once every case has been idle: resident (what ops see,
/// including freed memory the runtime has not handed back yet, so it varies from run to run) and the managed heap
/// (what live objects hold).
/// </summary>
public sealed record MemoryFigures(
    int OpenCases, long BeforeBytes, long IdleBytes, long PeakBytes, double BytesPerOpenCase,
    long? ManagedBeforeBytes = null, long? ManagedIdleBytes = null, double? ManagedBytesPerOpenCase = null);

/// <summary>Lateness of the batch due in one minute: escalated_at − due_at per case, in seconds.</summary>
public sealed record TardinessFigures(
    int Due,
    int Flagged,
    DateTimeOffset? FirstDue,
    DateTimeOffset? LastDue,
    double? P50Seconds,
    double? P99Seconds,
    double? MaxSeconds,
    DateTimeOffset? LastFlaggedAt);
