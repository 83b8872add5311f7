using OneThing.Grains.Common;
using Orleans.Concurrency;

namespace OneThing.Grains.Tasks;

/// <summary>
/// One department's part of a case (key: task id, <c>{caseId}.{matterCode}</c>): where the department's calls land.
/// The task's state is kept, and each transition applied, by its case in the case's own turn, so a task and its case
/// change together in one write and can never disagree (a completion racing a withdrawal is simply ordered).
/// Accepting or completing again with the same data is a no-op that answers the task as it is.
/// </summary>
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
}
