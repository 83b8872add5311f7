using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;

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
/// <param name="Event">What happened to the task, for <see cref="TaskDecisionKind.Changed"/>.</param>
public sealed record TaskDecision(
    TaskDecisionKind Kind,
    string? Error = null,
    IReadOnlyDictionary<string, string[]>? FieldErrors = null,
    CaseEventData? Event = null);

/// <summary>
/// The rules of a department task, as pure functions of its state: which actions each status allows, what a repeat
/// of an action already taken answers, what outputs a completion must carry and which materials a department may ask
/// for. The result is the task's event; the case decides what follows from it.
/// </summary>
public static class TaskTransitions
{
    public static TaskDecision Decide(MatterState task, MatterDefinition matter, ItemDefinition item, TaskAction action)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(matter);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(action);
        if (task.Status == DepartmentTaskStatus.Waiting)
        {
            return Refuse($"The task is {task.Status}: the matters it depends on are not complete yet.");
        }
        return action.Kind switch
        {
            TaskActionKind.Accept => Accept(task),
            TaskActionKind.Complete => Complete(task, matter, action.Outputs ?? new Dictionary<string, string>()),
            TaskActionKind.Reject => Reject(task, action.Reason ?? ""),
            TaskActionKind.RequestSupplement => RequestSupplement(task, item, action.Materials ?? [], action.Note),
            _ => Refuse($"Unknown action {action.Kind}."),
        };
    }

    private static TaskDecision Accept(MatterState task) => task.Status switch
    {
        DepartmentTaskStatus.Accepted => Unchanged,
        DepartmentTaskStatus.Ready => Change(new TaskAccepted()),
        _ => Refuse($"The task is {task.Status}; only a Ready task can be accepted."),
    };

    private static TaskDecision Complete(MatterState task, MatterDefinition matter, IReadOnlyDictionary<string, string> outputs)
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
        return Change(new TaskCompleted(new Dictionary<string, string>(outputs, StringComparer.Ordinal)));
    }

    private static TaskDecision Reject(MatterState task, string reason) => task.Status switch
    {
        DepartmentTaskStatus.Rejected => Unchanged,
        DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted or DepartmentTaskStatus.AwaitingSupplement => Change(new TaskRejected(reason)),
        _ => Refuse($"The task is {task.Status}; it can no longer be rejected."),
    };

    private static TaskDecision RequestSupplement(MatterState task, ItemDefinition item, IReadOnlyList<string> materials, string? note)
    {
        var unknown = materials.Where(code => item.Materials.All(m => m.Code != code)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            return new TaskDecision(TaskDecisionKind.Invalid, "Not materials of this item.", new Dictionary<string, string[]>
            {
                ["materials"] = unknown.Select(code => $"'{code}' is not a material of {item.Code}.").ToArray(),
            });
        }
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
        return Change(new SupplementRequested(materials.Distinct().ToList(), note));
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

    private static TaskDecision Change(CaseEventData happened) => new(TaskDecisionKind.Changed, Event: happened);

    private static TaskDecision Refuse(string error) => new(TaskDecisionKind.Refused, error);
}
