using OneThing.Grains.Common;

namespace OneThing.Grains.Tasks;

/// <summary>
/// One department's part of a case (key: task id). Department calls land here; every transition is written, put in
/// the department's inbox (read model) and reported to the case before the call returns.
/// </summary>
[Alias("onething.IDepartmentTaskGrain")]
public interface IDepartmentTaskGrain : IGrainWithStringKey
{
    /// <summary>The task, or null when the case has no such task yet.</summary>
    [Alias("Get")]
    Task<TaskView?> GetAsync();

    [Alias("Accept")]
    Task<Outcome<TaskView>> AcceptAsync(string department);

    [Alias("Complete")]
    Task<Outcome<TaskView>> CompleteAsync(string department, IReadOnlyDictionary<string, string> outputs);

    [Alias("Reject")]
    Task<Outcome<TaskView>> RejectAsync(string department, string reason);

    [Alias("RequestSupplement")]
    Task<Outcome<TaskView>> RequestSupplementAsync(string department, IReadOnlyList<string> materials, string? note);

    /// <summary>From the case: the matter's dependencies are complete. Idempotent.</summary>
    [Alias("MakeReady")]
    Task<TaskView> MakeReadyAsync(TaskAssignment assignment);

    /// <summary>From the case: the applicant supplied what was asked; the task returns to its department.</summary>
    [Alias("Resume")]
    Task<TaskView> ResumeAsync(DateTimeOffset suppliedAt);

    /// <summary>From the case: the case ended otherwise (withdrawn, rejected). An ended task stays as it is.</summary>
    [Alias("Cancel")]
    Task<TaskView> CancelAsync(string reason);
}
