using OneThing.Contracts.Departments;

namespace OneThing.Grains.Tasks;

public static class DepartmentTaskStatuses
{
    /// <summary>
    /// A task in one of these statuses is over for its department and never opens again; the inbox keeps such tasks
    /// in a partition of their own (migration 0019 names the same three).
    /// </summary>
    public static bool IsEnded(this DepartmentTaskStatus status) =>
        status is DepartmentTaskStatus.Completed or DepartmentTaskStatus.Rejected or DepartmentTaskStatus.Cancelled;
}

/// <summary>What a department does to its task; the case that owns the task decides what it causes.</summary>
public enum TaskActionKind
{
    Accept = 0,
    Complete = 1,
    Reject = 2,
    RequestSupplement = 3,
}

/// <summary>A department's action on one task, with what that kind of action carries.</summary>
[GenerateSerializer, Immutable, Alias("onething.TaskAction")]
public sealed record TaskAction(
    [property: Id(0)] TaskActionKind Kind,
    [property: Id(1)] string Department,
    [property: Id(2)] IReadOnlyDictionary<string, string>? Outputs = null,
    [property: Id(3)] string? Reason = null,
    [property: Id(4)] IReadOnlyList<string>? Materials = null,
    [property: Id(5)] string? Note = null);

/// <summary>Task ids are "{caseId}.{matterCode}": URL-safe, and a task grain knows its case without a lookup.</summary>
public static class TaskIds
{
    public static string For(string caseId, string matterCode) => $"{caseId}.{matterCode}";

    public static bool TryParse(string taskId, out string caseId, out string matterCode)
    {
        var dot = taskId.LastIndexOf('.');
        caseId = dot > 0 ? taskId[..dot] : "";
        matterCode = dot > 0 ? taskId[(dot + 1)..] : "";
        return dot > 0 && dot < taskId.Length - 1;
    }
}
