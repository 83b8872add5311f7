using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using Orleans.Concurrency;

namespace OneThing.Grains.Tasks;

/// <summary>
/// Where a department's call on its task lands. The task's state lives in its case, which applies each transition in
/// its own turn and writes the case, the task and their read-model rows at once: one write per department action
/// instead of one per grain, and no window in which a task and its case disagree.
/// </summary>
/// <remarks>
/// It holds nothing, so it is a stateless worker: every silo answers locally, with no directory entry per task, and
/// the only hop that matters is to the case. Each task id is a grain of its own, so the defaults cost per task:
/// Orleans gives every stateless worker grain a timer that trims idle workers (10,000 timers under the benchmark's
/// load, 5 % of the silo's CPU spent firing them), and keeps an idle activation for 15 minutes. One reentrant
/// worker per task is enough to forward calls, there is nothing to trim, and a front door is cheap to recreate.
/// </remarks>
[StatelessWorker(maxLocalWorkers: 1, removeIdleWorkers: false), Reentrant, CollectionAgeLimit(Minutes = 2)]
public sealed class DepartmentTaskGrain : Grain, IDepartmentTaskGrain
{
    public Task<TaskView?> GetAsync() =>
        Owner(out var matterCode) is { } owner ? owner.GetTaskAsync(matterCode) : Task.FromResult<TaskView?>(null);

    public Task<Outcome<TaskView>> AcceptAsync(string department) =>
        ActAsync(new TaskAction(TaskActionKind.Accept, department));

    public Task<Outcome<TaskView>> CompleteAsync(string department, IReadOnlyDictionary<string, string> outputs) =>
        ActAsync(new TaskAction(TaskActionKind.Complete, department, Outputs: outputs));

    public Task<Outcome<TaskView>> RejectAsync(string department, string reason) =>
        ActAsync(new TaskAction(TaskActionKind.Reject, department, Reason: reason));

    public Task<Outcome<TaskView>> RequestSupplementAsync(string department, IReadOnlyList<string> materials, string? note) =>
        ActAsync(new TaskAction(TaskActionKind.RequestSupplement, department, Materials: materials, Note: note));

    private Task<Outcome<TaskView>> ActAsync(TaskAction action) =>
        Owner(out var matterCode) is { } owner
            ? owner.ActOnTaskAsync(matterCode, action)
            : Task.FromResult(Outcome<TaskView>.NotFound("No such task."));

    /// <summary>The case this task belongs to (its id says which); null for an id that names no task.</summary>
    private ICaseGrain? Owner(out string matterCode) =>
        TaskIds.TryParse(this.GetPrimaryKeyString(), out var caseId, out matterCode) ? GrainFactory.Reference<ICaseGrain>(caseId) : null;
}
