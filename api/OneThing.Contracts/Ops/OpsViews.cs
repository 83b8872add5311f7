using OneThing.Contracts.Cases;

namespace OneThing.Contracts.Ops;

/// <summary>What <c>GET /api/ops/statistics</c> answers: one group per department, item or region.</summary>
public sealed record StatisticsReport(DateOnly From, DateOnly To, string GroupBy, IReadOnlyList<StatisticsGroup> Groups);

/// <summary>
/// The figures of one group (README, "Statistics", defines each). Rates are fractions from 0 to 1, null when nothing
/// was finished (or rated); working days are working-calendar days, fractional.
/// </summary>
public sealed record StatisticsGroup(
    string? Key,
    long Submitted,
    long Completed,
    long Rejected,
    long Withdrawn,
    long Open,
    long Overdue,
    long OnTime,
    double? OnTimeRate,
    double? AvgWorkingDays,
    double? P90WorkingDays,
    double PausedWorkingDays,
    IReadOnlyDictionary<string, long> Ratings,
    double? Satisfaction);

/// <summary>One department's tasks in a period: opened, completed, overdue, and still open and overdue.</summary>
public sealed record DepartmentStatistics(string Department, long Open, long Completed, long Overdue, long OpenOverdue);

/// <summary>Every silo the membership table knows.</summary>
public sealed record ClusterView(string ClusterId, IReadOnlyList<SiloView> Silos);

public sealed record SiloView(string Address, string Name, string Status, DateTimeOffset StartedAt);

/// <summary>A page of ops' case search; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record CaseSearchPage(IReadOnlyList<CaseSearchItem> Items, string? NextCursor);

public sealed record CaseSearchItem(
    string CaseId, string ItemCode, string? Region, CaseStatus Status, DateTimeOffset SubmittedAt, DateTimeOffset? DueAt,
    DateTimeOffset? CompletedAt, bool Overdue, bool Warning, IReadOnlyList<string> Departments);

/// <summary>What the health probes answer: <c>ok</c> or why not, and how PostgreSQL and the cluster answered.</summary>
public sealed record HealthReport(string Status, string? Database, string? Cluster);
