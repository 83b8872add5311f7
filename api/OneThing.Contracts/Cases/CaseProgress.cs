using OneThing.Contracts.Departments;

namespace OneThing.Contracts.Cases;

/// <summary>
/// <c>POST /api/cases/{caseId}/progress</c>'s answer: a case as the applicant may see it on a public progress page,
/// where it stands and by when, matter by matter, and which materials are asked for. No personal data, no outputs, no
/// department notes or reasons.
/// </summary>
public sealed record CaseProgress(
    string CaseId,
    string ItemCode,
    CaseStatus Status,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? DueAt,
    DateTimeOffset? CompletedAt,
    bool Warning,
    bool Overdue,
    IReadOnlyList<MatterProgress> Matters)
{
    public static CaseProgress From(CaseView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new(view.CaseId, view.ItemCode, view.Status, view.SubmittedAt, view.DueAt, view.CompletedAt, view.Warning, view.Overdue,
            [.. view.Tasks.Select(t => new MatterProgress(t.MatterCode, t.MatterName, t.Department, t.Status, t.DueAt, t.CompletedAt, t.Warning, t.Overdue,
                t.Status == DepartmentTaskStatus.AwaitingSupplement ? t.Supplement?.Materials ?? [] : []))]);
    }
}

/// <summary>One matter of <see cref="CaseProgress"/>; <see cref="MaterialsRequested"/> is non-empty while it waits for them.</summary>
public sealed record MatterProgress(
    string MatterCode,
    string MatterName,
    string Department,
    DepartmentTaskStatus Status,
    DateTimeOffset? DueAt,
    DateTimeOffset? CompletedAt,
    bool Warning,
    bool Overdue,
    IReadOnlyList<string> MaterialsRequested);
