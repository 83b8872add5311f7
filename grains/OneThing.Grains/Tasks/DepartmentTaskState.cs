using OneThing.Grains.Tasks;

namespace OneThing.Grains.Tasks;

/// <summary>Persisted state of a department task (state name <c>department-task</c>).</summary>
[GenerateSerializer, Alias("onething.DepartmentTaskState")]
public sealed class DepartmentTaskState
{
    /// <summary>What the case handed over when the matter became Ready; null while the task is Waiting.</summary>
    [Id(0)] public TaskAssignment? Assignment { get; set; }

    [Id(1)] public DepartmentTaskStatus Status { get; set; }

    [Id(2)] public DateTimeOffset? AcceptedAt { get; set; }

    [Id(3)] public DateTimeOffset? CompletedAt { get; set; }

    [Id(4)] public Dictionary<string, string> Outputs { get; set; } = [];

    [Id(5)] public SupplementRequest? Supplement { get; set; }

    [Id(6)] public string? Reason { get; set; }

    /// <summary>Counts transitions; guards the read-model row against older writes.</summary>
    [Id(7)] public int Revision { get; set; }

    /// <summary>Inputs as last handed over (refreshed when the applicant supplements).</summary>
    [Id(8)] public Dictionary<string, string> Inputs { get; set; } = [];

    /// <summary>The deadline as the case last set it: the assignment's, moved later by any 补正 pause.</summary>
    [Id(9)] public DateTimeOffset? DueAt { get; set; }

    [Id(10)] public bool Warning { get; set; }

    [Id(11)] public bool Overdue { get; set; }
}
