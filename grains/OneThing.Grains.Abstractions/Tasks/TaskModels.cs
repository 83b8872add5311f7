namespace OneThing.Grains.Tasks;

public enum DepartmentTaskStatus
{
    Waiting = 0,
    Ready = 1,
    Accepted = 2,
    AwaitingSupplement = 3,
    Completed = 4,
    Rejected = 5,
    Cancelled = 6,
}

public static class DepartmentTaskStatuses
{
    /// <summary>
    /// A task in one of these statuses is over for its department and never opens again; the inbox keeps such tasks
    /// in a partition of their own (migration 0019 names the same three).
    /// </summary>
    public static bool IsEnded(this DepartmentTaskStatus status) =>
        status is DepartmentTaskStatus.Completed or DepartmentTaskStatus.Rejected or DepartmentTaskStatus.Cancelled;
}

[GenerateSerializer, Immutable, Alias("onething.SupplementRequest")]
public sealed record SupplementRequest(
    [property: Id(0)] IReadOnlyList<string> Materials,
    [property: Id(1)] string? Note,
    [property: Id(2)] DateTimeOffset RequestedAt,
    [property: Id(3)] DateTimeOffset? SuppliedAt = null);

[GenerateSerializer, Immutable, Alias("onething.TaskView")]
public sealed record TaskView(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string CaseId,
    [property: Id(2)] string MatterCode,
    [property: Id(3)] string MatterName,
    [property: Id(4)] string Department,
    [property: Id(5)] DepartmentTaskStatus Status,
    [property: Id(6)] DateTimeOffset? ReadyAt,
    [property: Id(7)] DateTimeOffset? DueAt,
    [property: Id(8)] DateTimeOffset? CompletedAt,
    [property: Id(9)] IReadOnlyDictionary<string, string> Outputs,
    [property: Id(10)] IReadOnlyDictionary<string, string> Inputs,
    [property: Id(11)] SupplementRequest? Supplement,
    [property: Id(12)] string? Reason,
    [property: Id(13)] string ItemCode,
    [property: Id(14)] bool Optional,
    [property: Id(15)] bool Warning = false,
    [property: Id(16)] bool Overdue = false);

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
