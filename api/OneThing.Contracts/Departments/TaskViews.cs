namespace OneThing.Contracts.Departments;

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

[GenerateSerializer, Immutable, Alias("onething.SupplementRequest")]
public sealed record SupplementRequest(
    [property: Id(0)] IReadOnlyList<string> Materials,
    [property: Id(1)] string? Note,
    [property: Id(2)] DateTimeOffset RequestedAt,
    [property: Id(3)] DateTimeOffset? SuppliedAt = null);

/// <summary>A department's task, as its inbox and <c>GET /api/tasks/{taskId}</c> serve it, and inside its case.</summary>
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

/// <summary>An inbox page: <see cref="Total"/> counts at most 1,000; <see cref="NextCursor"/> continues after the last item.</summary>
public sealed record InboxPage(IReadOnlyList<TaskView> Items, int Page, int PageSize, long Total, string? NextCursor);
