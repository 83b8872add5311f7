using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;

namespace OneThing.Client;

/// <summary>
/// <c>GET /api/departments/{department}/tasks</c>: open tasks without <see cref="Status"/>; pages by
/// <see cref="Page"/>/<see cref="PageSize"/>, or however deep by <see cref="Cursor"/> (the previous page's
/// <c>nextCursor</c>) with <see cref="Limit"/>.
/// </summary>
public sealed record InboxQuery
{
    public DepartmentTaskStatus? Status { get; init; }

    public string? Item { get; init; }

    public bool? Overdue { get; init; }

    public bool? Warning { get; init; }

    public int? Page { get; init; }

    public int? PageSize { get; init; }

    public string? Cursor { get; init; }

    public int? Limit { get; init; }
}

/// <summary><c>GET /api/fallback-desk/cases</c>.</summary>
public sealed record DeskEntryQuery
{
    /// <summary><c>open</c> or <c>resolved</c>.</summary>
    public string? Status { get; init; }

    /// <summary><c>deadline</c>, <c>rating</c> or <c>applicant</c>.</summary>
    public string? Source { get; init; }

    public bool? Overdue { get; init; }

    public int? Page { get; init; }

    public int? PageSize { get; init; }
}

/// <summary><c>GET /api/ops/cases</c>: newest first; <see cref="Cursor"/> is the previous page's <c>nextCursor</c>.</summary>
public sealed record CaseSearchQuery
{
    public string? Item { get; init; }

    public string? Region { get; init; }

    public CaseStatus? Status { get; init; }

    /// <summary>Cases in which this department has a task.</summary>
    public string? Department { get; init; }

    public bool? Overdue { get; init; }

    public bool? Warning { get; init; }

    /// <summary>A day in China time (yyyy-MM-dd, included) or an RFC 3339 time.</summary>
    public string? SubmittedFrom { get; init; }

    /// <summary>A day in China time (yyyy-MM-dd, included) or an RFC 3339 time.</summary>
    public string? SubmittedTo { get; init; }

    public int? Limit { get; init; }

    public string? Cursor { get; init; }
}

/// <summary><c>GET /api/ops/statistics</c>: the days <see cref="From"/> to <see cref="To"/> (China time, both included).</summary>
public sealed record StatisticsQuery
{
    /// <summary><c>department</c> (the default), <c>item</c> or <c>region</c>.</summary>
    public string? GroupBy { get; init; }

    public DateOnly? From { get; init; }

    public DateOnly? To { get; init; }

    public string? Item { get; init; }

    public string? Region { get; init; }

    public string? Department { get; init; }
}
