using OneThing.Grains.Common;
using Orleans.Concurrency;

namespace OneThing.Grains.Tasks;

/// <summary>
/// One department's part of a case (key: task id). Department calls land here; every transition is written, put in
/// the department's inbox (read model) and reported to the case before the call returns.
/// </summary>
/// <remarks>
/// The case calls its tasks and tasks report to their case, so the case's calls interleave: a withdrawal that
/// cancels a task must not wait for that task's own report to the (busy) case. The grain serialises its state
/// changes itself, and only reports to the case outside that section.
/// </remarks>
[Alias("onething.IDepartmentTaskGrain")]
public interface IDepartmentTaskGrain : IGrainWithStringKey
{
    /// <summary>The task, or null when the case has no such task yet.</summary>
    [Alias("Get"), ReadOnly]
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
    [Alias("MakeReady"), AlwaysInterleave]
    Task<TaskView> MakeReadyAsync(TaskAssignment assignment);

    /// <summary>
    /// From the case: the applicant supplied what was asked; the task returns to its department's Ready inbox with
    /// its inputs refreshed from the supplemented application.
    /// </summary>
    [Alias("Resume"), AlwaysInterleave]
    Task<TaskView> ResumeAsync(IReadOnlyDictionary<string, string> inputs, DateTimeOffset suppliedAt, DateTimeOffset? dueAt);

    /// <summary>From the case: the matter's deadline warning (预警) or overdue (超期) flag, shown in the inbox.</summary>
    [Alias("FlagDeadline"), AlwaysInterleave]
    Task<TaskView> FlagDeadlineAsync(bool warning, bool overdue);

    /// <summary>From the case: the case ended otherwise (withdrawn, rejected). An ended task stays as it is.</summary>
    [Alias("Cancel"), AlwaysInterleave]
    Task<TaskView> CancelAsync(string reason);
}
