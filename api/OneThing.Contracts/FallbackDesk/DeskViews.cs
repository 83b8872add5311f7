using OneThing.Contracts.Cases;

namespace OneThing.Contracts.FallbackDesk;

/// <summary>
/// One entry of the fallback desk (办不成事反映窗口). <see cref="DueAt"/>: when the desk must have answered (working days
/// after it was opened); <see cref="Overdue"/>: still open after that. <see cref="CaseDueAt"/>: the case's own due time.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.DeskEntry")]
public sealed record DeskEntry(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string? CaseId,
    [property: Id(2)] string? ItemCode,
    [property: Id(3)] string Source,
    [property: Id(4)] string Status,
    [property: Id(5)] string Reason,
    [property: Id(6)] DateTimeOffset EscalatedAt,
    [property: Id(7)] DateTimeOffset? DueAt,
    [property: Id(8)] bool Overdue,
    [property: Id(9)] DateTimeOffset? CaseDueAt,
    [property: Id(10)] DateTimeOffset? ResolvedAt,
    [property: Id(11)] string? ResolvedBy,
    [property: Id(12)] string? Resolution,
    [property: Id(13)] string? Description,
    [property: Id(14)] Applicant? Applicant);
