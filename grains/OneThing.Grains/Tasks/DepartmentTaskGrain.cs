using Microsoft.Extensions.Logging;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Hosting;
using OneThing.Grains.ReadModels;

namespace OneThing.Grains.Tasks;

public sealed partial class DepartmentTaskGrain(
    [PersistentState("department-task", GrainStorage.Main)] IPersistentState<DepartmentTaskState> state,
    ReadModelWriter readModels,
    TimeProvider clock,
    ILogger<DepartmentTaskGrain> logger) : Grain, IDepartmentTaskGrain
{
    // Case calls interleave with department calls (see IDepartmentTaskGrain); this keeps each state change whole.
    private readonly SemaphoreSlim _transition = new(1, 1);
    private DepartmentTaskState S => state.State;

    private string TaskId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Re-project on activation: if a silo died between this task's write and its inbox row, the row catches up
        // the next time anyone touches the task.
        if (S.Assignment is not null)
        {
            await readModels.UpsertTaskAsync(View(), S.Revision);
        }
    }

    public Task<TaskView?> GetAsync() => Task.FromResult(S.Assignment is null ? null : View());

    public async Task<TaskView> MakeReadyAsync(TaskAssignment assignment)
    {
        await _transition.WaitAsync();
        try
        {
            if (S.Assignment is null || S.Status is DepartmentTaskStatus.Waiting or DepartmentTaskStatus.Ready)
            {
                var changed = S.Assignment != assignment || S.Status != DepartmentTaskStatus.Ready;
                if (changed)
                {
                    S.Assignment = assignment;
                    S.Inputs = new Dictionary<string, string>(assignment.Inputs);
                    S.DueAt = assignment.DueAt;
                    S.Status = DepartmentTaskStatus.Ready;
                    await PersistAsync();
                }
                else
                {
                    await readModels.UpsertTaskAsync(View(), S.Revision);
                }
            }
            return View();
        }
        finally
        {
            _transition.Release();
        }
    }

    public async Task<Outcome<TaskView>> AcceptAsync(string department)
    {
        var outcome = await TransitionAsync(department, task => task.Status switch
        {
            DepartmentTaskStatus.Accepted => Unchanged(),
            DepartmentTaskStatus.Ready => Change(() =>
            {
                S.Status = DepartmentTaskStatus.Accepted;
                S.AcceptedAt ??= clock.GetUtcNow();
            }),
            _ => Refuse($"The task is {task.Status}; only a Ready task can be accepted."),
        });
        return await ReportAsync(outcome);
    }

    public async Task<Outcome<TaskView>> CompleteAsync(string department, IReadOnlyDictionary<string, string> outputs)
    {
        var outcome = await TransitionAsync(department, task =>
        {
            if (task.Status == DepartmentTaskStatus.Completed)
            {
                return SameOutputs(S.Outputs, outputs)
                    ? Unchanged()
                    : Refuse("The task was already completed with other outputs.");
            }
            if (task.Status is not (DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
            {
                return Refuse($"The task is {task.Status}; only a Ready or Accepted task can be completed.");
            }
            var errors = OutputErrors(S.Assignment!.DeclaredOutputs, outputs);
            if (errors.Count > 0)
            {
                return new Decision(Outcome<TaskView>.Invalid(errors), null);
            }
            return Change(() =>
            {
                var now = clock.GetUtcNow();
                S.Status = DepartmentTaskStatus.Completed;
                S.AcceptedAt ??= now;
                S.CompletedAt = now;
                S.Outputs = new Dictionary<string, string>(outputs);
            });
        });
        return await ReportAsync(outcome);
    }

    public async Task<Outcome<TaskView>> RejectAsync(string department, string reason)
    {
        var outcome = await TransitionAsync(department, task => task.Status switch
        {
            DepartmentTaskStatus.Rejected => Unchanged(),
            DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted or DepartmentTaskStatus.AwaitingSupplement => Change(() =>
            {
                S.Status = DepartmentTaskStatus.Rejected;
                S.Reason = reason;
                S.CompletedAt = clock.GetUtcNow();
            }),
            _ => Refuse($"The task is {task.Status}; it can no longer be rejected."),
        });
        return await ReportAsync(outcome);
    }

    public async Task<Outcome<TaskView>> RequestSupplementAsync(string department, IReadOnlyList<string> materials, string? note)
    {
        var outcome = await TransitionAsync(department, task =>
        {
            if (task.Status == DepartmentTaskStatus.AwaitingSupplement)
            {
                // One request names every missing material at once (一次性告知): a repeat must be the same request.
                return S.Supplement!.Materials.Order().SequenceEqual(materials.Order())
                    ? Unchanged()
                    : Refuse("A supplement request is already open; it must name every missing material at once.");
            }
            if (task.Status is not (DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
            {
                return Refuse($"The task is {task.Status}; materials can be requested only for a Ready or Accepted task.");
            }
            return Change(() =>
            {
                S.Status = DepartmentTaskStatus.AwaitingSupplement;
                S.Supplement = new SupplementRequest(materials.Distinct().ToList(), note, clock.GetUtcNow());
            });
        });
        return await ReportAsync(outcome);
    }

    public async Task<TaskView> ResumeAsync(IReadOnlyDictionary<string, string> inputs, DateTimeOffset suppliedAt, DateTimeOffset? dueAt)
    {
        await _transition.WaitAsync();
        try
        {
            if (S.Status == DepartmentTaskStatus.AwaitingSupplement)
            {
                S.Status = DepartmentTaskStatus.Ready;
                S.Supplement = S.Supplement! with { SuppliedAt = suppliedAt };
                S.Inputs = new Dictionary<string, string>(inputs);
                S.DueAt = dueAt;
                await PersistAsync();
            }
            return View();
        }
        finally
        {
            _transition.Release();
        }
    }

    public async Task<TaskView> FlagDeadlineAsync(bool warning, bool overdue)
    {
        await _transition.WaitAsync();
        try
        {
            if (S.Assignment is not null && (S.Warning != warning || S.Overdue != overdue))
            {
                S.Warning = warning;
                S.Overdue = overdue;
                await PersistAsync();
            }
            return View();
        }
        finally
        {
            _transition.Release();
        }
    }

    public async Task<TaskView> CancelAsync(string reason)
    {
        await _transition.WaitAsync();
        try
        {
            if (S.Assignment is not null && !View().IsEnded)
            {
                S.Status = DepartmentTaskStatus.Cancelled;
                S.Reason = reason;
                await PersistAsync();
            }
            return View();
        }
        finally
        {
            _transition.Release();
        }
    }

    private async Task<Outcome<TaskView>> TransitionAsync(string department, Func<TaskView, Decision> decide)
    {
        await _transition.WaitAsync();
        try
        {
            if (S.Assignment is null)
            {
                return await NotYetReadyAsync(department);
            }
            if (S.Assignment.Department != department)
            {
                return Outcome<TaskView>.Forbidden("This task belongs to another department.");
            }

            var decision = decide(View());
            if (decision.Apply is not null)
            {
                decision.Apply();
                await PersistAsync();
                LogTransition(S.Assignment.CaseId, S.Assignment.MatterCode, S.Status);
                return Outcome<TaskView>.Ok(View());
            }
            if (decision.Outcome.Kind == OutcomeKind.Ok)
            {
                // A repeat of a transition already made: make sure its effects landed (inbox row) before answering.
                await readModels.UpsertTaskAsync(View(), S.Revision);
                return Outcome<TaskView>.Ok(View());
            }
            return decision.Outcome;
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>
    /// Reports a department's transition (or its repeat) to the case outside the transition section, so the case can
    /// call back into this task meanwhile. A repeat reports again: the first report may have been lost with a silo.
    /// </summary>
    private async Task<Outcome<TaskView>> ReportAsync(Outcome<TaskView> outcome)
    {
        if (outcome.Kind == OutcomeKind.Ok && outcome.Value is { } view)
        {
            await GrainFactory.GetGrain<ICaseGrain>(view.CaseId).OnTaskChangedAsync(view);
        }
        return outcome;
    }

    private async Task<Outcome<TaskView>> NotYetReadyAsync(string department)
    {
        // No state yet: the matter is Waiting on its dependencies, or there is no such task. Only the case knows which.
        if (!TaskIds.TryParse(TaskId, out var caseId, out var matterCode))
        {
            return Outcome<TaskView>.NotFound("No such task.");
        }
        var view = await GrainFactory.GetGrain<ICaseGrain>(caseId).GetAsync();
        var task = view?.Tasks.FirstOrDefault(t => t.MatterCode == matterCode);
        if (task is null)
        {
            return Outcome<TaskView>.NotFound("No such task.");
        }
        return task.Department != department
            ? Outcome<TaskView>.Forbidden("This task belongs to another department.")
            : Outcome<TaskView>.Conflict($"The task is {task.Status}: the matters it depends on are not complete yet.");
    }

    private async Task PersistAsync()
    {
        S.Revision++;
        try
        {
            await state.WriteStateAsync();
            await readModels.UpsertTaskAsync(View(), S.Revision);
        }
        catch
        {
            // Memory may now be ahead of storage; drop the activation so the next call starts from what is stored.
            DeactivateOnIdle();
            throw;
        }
    }

    // The state's dictionaries are replaced on every change, never mutated, so the [Immutable] view may share them.
    private TaskView View()
    {
        var a = S.Assignment!;
        return new TaskView(
            TaskId, a.CaseId, a.MatterCode, a.MatterName, a.Department, S.Status, a.ReadyAt, S.DueAt ?? a.DueAt, S.CompletedAt,
            S.Outputs, S.Inputs, S.Status == DepartmentTaskStatus.AwaitingSupplement ? S.Supplement : null, S.Reason, a.ItemCode, a.Optional,
            S.Warning, S.Overdue);
    }

    private static Dictionary<string, string[]> OutputErrors(IReadOnlyList<string> declared, IReadOnlyDictionary<string, string> outputs)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var name in declared.Where(name => !outputs.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value)))
        {
            errors[$"outputs.{name}"] = ["This matter must produce this output."];
        }
        foreach (var name in outputs.Keys.Where(name => !declared.Contains(name)))
        {
            errors[$"outputs.{name}"] = ["This matter does not declare this output."];
        }
        return errors;
    }

    private static bool SameOutputs(Dictionary<string, string> stored, IReadOnlyDictionary<string, string> asked) =>
        stored.Count == asked.Count && stored.All(pair => asked.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private static Decision Unchanged() => new(Outcome<TaskView>.Ok(null!), null);

    private static Decision Change(Action apply) => new(Outcome<TaskView>.Ok(null!), apply);

    private static Decision Refuse(string error) => new(Outcome<TaskView>.Conflict(error), null);

    private sealed record Decision(Outcome<TaskView> Outcome, Action? Apply);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Case {CaseId} matter {MatterCode} is now {Status}")]
    private partial void LogTransition(string caseId, string matterCode, DepartmentTaskStatus status);
}
