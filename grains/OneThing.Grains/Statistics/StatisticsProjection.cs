using System.Text.Json;
using OneThing.Grains.Calendar;
using OneThing.Grains.Events;

namespace OneThing.Grains.Statistics;

/// <summary>What is counted: a case, from submission to its end, or a department task, from Ready to its end.</summary>
public enum StatisticsUnit
{
    Case,
    Task,
}

/// <summary>One row of figures: a day (or a month) of one item, region and department, for cases or tasks.</summary>
public sealed record StatisticsBucket(StatisticsUnit Unit, DateOnly Day, string ItemCode, string Region, string Department);

/// <summary>What a batch of events adds to one bucket; every member is a sum, so buckets merge by adding.</summary>
public sealed class StatisticsDelta
{
    public long Submitted { get; set; }

    public long Completed { get; set; }

    public long Rejected { get; set; }

    public long Withdrawn { get; set; }

    public long Open { get; set; }

    public long Overdue { get; set; }

    public long Finished { get; set; }

    public long OnTime { get; set; }

    public double WorkingDays { get; set; }

    public double PausedWorkingDays { get; set; }

    /// <summary>Finished units per <see cref="StatisticsFigures.BinOf"/>.</summary>
    public int[] Bins { get; set; } = [];

    /// <summary>Ratings 1 to 5 at index 0 to 4.</summary>
    public long[] Ratings { get; } = new long[5];

    public void AddBin(int bin)
    {
        if (Bins.Length <= bin)
        {
            var grown = new int[bin + 1];
            Bins.CopyTo(grown, 0);
            Bins = grown;
        }
        Bins[bin]++;
    }
}

/// <summary>
/// What the projection keeps of one case (<see cref="MatterCode"/> empty) or task between its events: derived from the
/// events alone (their due times, pauses and ends), never from the case's state.
/// </summary>
public sealed class StatisticsUnitState
{
    public required string CaseId { get; init; }

    public required string MatterCode { get; init; }

    public required string Department { get; init; }

    public required string ItemCode { get; init; }

    public required string Region { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? DueAt { get; set; }

    public DateTimeOffset? PausedSince { get; set; }

    /// <summary>Working time spent in 补正 pauses that ended.</summary>
    public TimeSpan Paused { get; set; }

    /// <summary>Already counted as overdue (flagged, or finished late).</summary>
    public bool Overdue { get; set; }

    public bool Ended { get; set; }

    /// <summary>A case's departments (those with a task that became Ready), each counting the case's rating.</summary>
    public List<string> Departments { get; init; } = [];

    public StatisticsUnit Unit => MatterCode.Length == 0 ? StatisticsUnit.Case : StatisticsUnit.Task;
}

/// <summary>
/// The statistics projection, pure: folds events from the global feed, in position order, into bucket deltas and
/// unit states. The caller loads the states of the batch's cases first and stores what <see cref="Units"/> and
/// <see cref="Removed"/> hold afterwards, with the deltas and the checkpoint, in one transaction.
/// </summary>
/// <remarks>
/// Cases converted from before events (<see cref="CaseImported"/>) carry no submission event and are not counted; tasks
/// they dispatch afterwards are. A unit without state (its start not projected) ignores its later events.
/// </remarks>
public sealed class StatisticsProjection(WorkingCalendar calendar, IEnumerable<StatisticsUnitState> loaded)
{
    private static readonly TimeSpan WorkingDay = TimeSpan.FromDays(1);

    public Dictionary<(string CaseId, string MatterCode), StatisticsUnitState> Units { get; } =
        loaded.ToDictionary(u => (u.CaseId, u.MatterCode));

    /// <summary>Units whose row goes: ended tasks, rated cases.</summary>
    public HashSet<(string CaseId, string MatterCode)> Removed { get; } = [];

    public Dictionary<StatisticsBucket, StatisticsDelta> Deltas { get; } = [];

    /// <summary>The day of <paramref name="at"/> in China time, which the figures are counted by.</summary>
    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(WorkingCalendar.BeijingOffset).DateTime);

    public void Apply(CaseEventRow e)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var document = JsonDocument.Parse(e.Data);
        var data = document.RootElement;
        var caseKey = (e.CaseId, "");
        var taskKey = (e.CaseId, e.MatterCode ?? "");
        switch (e.Type)
        {
            case nameof(CaseSubmitted):
                Start(new StatisticsUnitState
                {
                    CaseId = e.CaseId, MatterCode = "", Department = "", ItemCode = e.ItemCode, Region = e.Region ?? "",
                    StartedAt = e.At, DueAt = Time(data, "dueAt"),
                });
                break;
            case nameof(TaskReady) when e.MatterCode is not null:
                if (Units.TryGetValue(taskKey, out var returned))
                {
                    Resume(returned, e.At);
                    returned.DueAt = Time(data, "dueAt") ?? returned.DueAt;
                    break;
                }
                Start(new StatisticsUnitState
                {
                    CaseId = e.CaseId, MatterCode = e.MatterCode, Department = e.Department ?? "", ItemCode = e.ItemCode,
                    Region = e.Region ?? "", StartedAt = e.At, DueAt = Time(data, "dueAt"),
                });
                if (Units.TryGetValue(caseKey, out var owner) && e.Department is { } department && !owner.Departments.Contains(department))
                {
                    owner.Departments.Add(department);
                }
                break;
            case nameof(SupplementRequested):
                Pause(e.MatterCode is null ? null : Find(taskKey), e.At);
                Pause(Find(caseKey), e.At);
                break;
            case nameof(SupplementProvided) when data.TryGetProperty("answersRequest", out var answers) && answers.GetBoolean():
                if (Find(caseKey) is { } paused)
                {
                    Resume(paused, e.At);
                }
                break;
            case nameof(DeadlineMoved):
                if (Find(e.MatterCode is null ? caseKey : taskKey) is { } moved)
                {
                    moved.DueAt = Time(data, "dueAt");
                }
                break;
            case nameof(Overdue):
                if (Find(e.MatterCode is null ? caseKey : taskKey) is { Overdue: false, Ended: false } late)
                {
                    late.Overdue = true;
                    Delta(late, DayOf(e.At)).Overdue++;
                }
                break;
            case nameof(TaskCompleted):
                End(Find(taskKey), e.At, Outcome.Completed);
                break;
            case nameof(TaskRejected):
                End(Find(taskKey), e.At, Outcome.Rejected);
                break;
            case nameof(TaskCancelled):
                End(Find(taskKey), e.At, Outcome.Withdrawn);
                break;
            case nameof(CaseCompleted):
                End(Find(caseKey), e.At, Outcome.Completed);
                break;
            case nameof(CaseRejected):
                End(Find(caseKey), e.At, Outcome.Rejected);
                break;
            case nameof(CaseWithdrawn):
                End(Find(caseKey), e.At, Outcome.Withdrawn);
                break;
            case nameof(CaseEvaluated):
                Rate(Find(caseKey), data.GetProperty("rating").GetInt32(), e.At);
                break;
            default:
                break;
        }
    }

    private enum Outcome
    {
        Completed,
        Rejected,
        Withdrawn,
    }

    private StatisticsUnitState? Find((string, string) key) => Units.TryGetValue(key, out var unit) ? unit : null;

    private void Start(StatisticsUnitState unit)
    {
        if (Units.ContainsKey((unit.CaseId, unit.MatterCode)))
        {
            return;
        }
        Units[(unit.CaseId, unit.MatterCode)] = unit;
        Removed.Remove((unit.CaseId, unit.MatterCode));
        var delta = Delta(unit, DayOf(unit.StartedAt));
        delta.Submitted++;
        delta.Open++;
    }

    private static void Pause(StatisticsUnitState? unit, DateTimeOffset at)
    {
        if (unit is { Ended: false, PausedSince: null })
        {
            unit.PausedSince = at;
        }
    }

    private void Resume(StatisticsUnitState unit, DateTimeOffset at)
    {
        if (unit.PausedSince is { } since)
        {
            unit.Paused += calendar.WorkingTimeBetween(since, at);
            unit.PausedSince = null;
        }
    }

    private void End(StatisticsUnitState? unit, DateTimeOffset at, Outcome outcome)
    {
        if (unit is null || unit.Ended)
        {
            return;
        }
        // A unit that ends while paused (rejected while waiting for materials): its pause ends with it, and its due
        // time moves as the case's would have on resuming.
        var pausedNow = unit.PausedSince is { } since ? calendar.WorkingTimeBetween(since, at) : TimeSpan.Zero;
        unit.Paused += pausedNow;
        unit.PausedSince = null;
        unit.Ended = true;
        Delta(unit, DayOf(unit.StartedAt)).Open--;
        var delta = Delta(unit, DayOf(at));
        switch (outcome)
        {
            case Outcome.Completed:
                delta.Completed++;
                break;
            case Outcome.Rejected:
                delta.Rejected++;
                break;
            default:
                delta.Withdrawn++;
                break;
        }
        if (outcome != Outcome.Withdrawn)
        {
            var due = unit.DueAt is { } d && pausedNow > TimeSpan.Zero ? calendar.AddWorkingTime(d, pausedNow) : unit.DueAt;
            var onTime = due is null || at <= due;
            var workingDays = Math.Max(0, (calendar.WorkingTimeBetween(unit.StartedAt, at) - unit.Paused) / WorkingDay);
            delta.Finished++;
            delta.OnTime += onTime ? 1 : 0;
            delta.WorkingDays += workingDays;
            delta.PausedWorkingDays += unit.Paused / WorkingDay;
            delta.AddBin(StatisticsFigures.BinOf(workingDays));
            if (!onTime && !unit.Overdue)
            {
                unit.Overdue = true;
                delta.Overdue++;
            }
        }
        if (unit.Unit == StatisticsUnit.Task)
        {
            Units.Remove((unit.CaseId, unit.MatterCode));
            Removed.Add((unit.CaseId, unit.MatterCode));
        }
    }

    private void Rate(StatisticsUnitState? unit, int rating, DateTimeOffset at)
    {
        if (unit is null || rating is < 1 or > 5)
        {
            return;
        }
        var day = DayOf(at);
        Delta(unit, day).Ratings[rating - 1]++;
        foreach (var department in unit.Departments)
        {
            Delta(new StatisticsBucket(StatisticsUnit.Task, day, unit.ItemCode, unit.Region, department)).Ratings[rating - 1]++;
        }
        Units.Remove((unit.CaseId, unit.MatterCode));
        Removed.Add((unit.CaseId, unit.MatterCode));
    }

    private StatisticsDelta Delta(StatisticsUnitState unit, DateOnly day) =>
        Delta(new StatisticsBucket(unit.Unit, day, unit.ItemCode, unit.Region, unit.Department));

    private StatisticsDelta Delta(StatisticsBucket bucket)
    {
        if (!Deltas.TryGetValue(bucket, out var delta))
        {
            Deltas[bucket] = delta = new StatisticsDelta();
        }
        return delta;
    }

    private static DateTimeOffset? Time(JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset() : null;
}
