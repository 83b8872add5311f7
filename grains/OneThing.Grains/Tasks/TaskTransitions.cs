using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Tasks;

/// <summary>What a department action does to a task: nothing (a repeat), a refusal, or a change to apply.</summary>
public enum TaskDecisionKind
{
    Unchanged = 0,
    Refused = 1,
    Invalid = 2,
    Changed = 3,
}

/// <param name="Error">Why a refused action was refused.</param>
/// <param name="FieldErrors">The fields of an invalid action (outputs that do not match the matter's declaration).</param>
/// <param name="Apply">The change, for <see cref="TaskDecisionKind.Changed"/>.</param>
public sealed record TaskDecision(
    TaskDecisionKind Kind,
    string? Error = null,
    IReadOnlyDictionary<string, string[]>? FieldErrors = null,
    Action<MatterState>? Apply = null);

/// <summary>
/// The rules of a department task, as pure functions of its state: which actions each status allows, what a repeat
/// of an action already taken answers, and what outputs a completion must carry. The case applies the result.
/// </summary>
public static class TaskTransitions
{
    public static TaskDecision Decide(MatterState task, MatterDefinition matter, TaskAction action, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(matter);
        ArgumentNullException.ThrowIfNull(action);
        if (task.Status == DepartmentTaskStatus.Waiting)
        {
            return Refuse($"The task is {task.Status}: the matters it depends on are not complete yet.");
        }
        return action.Kind switch
        {
            TaskActionKind.Accept => Accept(task),
            TaskActionKind.Complete => Complete(task, matter, action.Outputs ?? new Dictionary<string, string>(), now),
            TaskActionKind.Reject => Reject(task, action.Reason ?? "", now),
            TaskActionKind.RequestSupplement => RequestSupplement(task, action.Materials ?? [], action.Note, now),
            _ => Refuse($"Unknown action {action.Kind}."),
        };
    }

    private static TaskDecision Accept(MatterState task) => task.Status switch
    {
        DepartmentTaskStatus.Accepted => Unchanged,
        DepartmentTaskStatus.Ready => Change(t => t.Status = DepartmentTaskStatus.Accepted),
        _ => Refuse($"The task is {task.Status}; only a Ready task can be accepted."),
    };

    private static TaskDecision Complete(MatterState task, MatterDefinition matter, IReadOnlyDictionary<string, string> outputs, DateTimeOffset now)
    {
        if (task.Status == DepartmentTaskStatus.Completed)
        {
            return SameOutputs(task.Outputs, outputs) ? Unchanged : Refuse("The task was already completed with other outputs.");
        }
        if (task.Status is not (DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
        {
            return Refuse($"The task is {task.Status}; only a Ready or Accepted task can be completed.");
        }
        var errors = OutputErrors(matter.Outputs, outputs);
        if (errors.Count > 0)
        {
            return new TaskDecision(TaskDecisionKind.Invalid, "The outputs do not match what the matter declares.", errors);
        }
        var produced = new Dictionary<string, string>(outputs);
        return Change(t =>
        {
            t.Status = DepartmentTaskStatus.Completed;
            t.CompletedAt = now;
            t.Outputs = produced;
        });
    }

    private static TaskDecision Reject(MatterState task, string reason, DateTimeOffset now) => task.Status switch
    {
        DepartmentTaskStatus.Rejected => Unchanged,
        DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted or DepartmentTaskStatus.AwaitingSupplement => Change(t =>
        {
            t.Status = DepartmentTaskStatus.Rejected;
            t.Reason = reason;
            t.CompletedAt = now;
        }),
        _ => Refuse($"The task is {task.Status}; it can no longer be rejected."),
    };

    private static TaskDecision RequestSupplement(MatterState task, IReadOnlyList<string> materials, string? note, DateTimeOffset now)
    {
        if (task.Status == DepartmentTaskStatus.AwaitingSupplement)
        {
            // One request names every missing material at once (一次性告知): a repeat must be the same request.
            return task.Supplement!.Materials.Order().SequenceEqual(materials.Distinct().Order())
                ? Unchanged
                : Refuse("A supplement request is already open; it must name every missing material at once.");
        }
        if (task.Status is not (DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
        {
            return Refuse($"The task is {task.Status}; materials can be requested only for a Ready or Accepted task.");
        }
        var request = new SupplementRequest(materials.Distinct().ToList(), note, now);
        return Change(t =>
        {
            t.Status = DepartmentTaskStatus.AwaitingSupplement;
            t.Supplement = request;
        });
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

    private static readonly TaskDecision Unchanged = new(TaskDecisionKind.Unchanged);

    private static TaskDecision Change(Action<MatterState> apply) => new(TaskDecisionKind.Changed, Apply: apply);

    private static TaskDecision Refuse(string error) => new(TaskDecisionKind.Refused, error);
}
