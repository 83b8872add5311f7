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
}

/// <summary>Silo resident memory after a full collection, before the load and once every case has been idle.</summary>
public sealed record MemoryFigures(int OpenCases, long BeforeBytes, long IdleBytes, long PeakBytes, double BytesPerOpenCase);

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
