using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases.Model;

/// <summary>Something asked of a case, by <see cref="Actor"/>.</summary>
public abstract record CaseCommand(EventActor Actor);

/// <summary>Files the application; its personal values arrive sealed (the grain seals them before deciding).</summary>
public sealed record Submit(SubmitCase Application, EventActor Actor) : CaseCommand(Actor);

public sealed record ActOnTask(string MatterCode, TaskAction Action, EventActor Actor) : CaseCommand(Actor);

/// <summary>Supplies materials and form values; personal form values arrive sealed.</summary>
public sealed record Supply(SupplyMaterials Materials, EventActor Actor) : CaseCommand(Actor);

public sealed record Withdraw(string? Reason, EventActor Actor) : CaseCommand(Actor);

/// <summary>好差评; a rating of 1 or 2 opens the fallback desk's follow-up, due within <paramref name="FollowUpLimit"/>.</summary>
public sealed record Evaluate(int Rating, string? Comment, EventActor Actor, TimeLimit? FollowUpLimit = null) : CaseCommand(Actor);

public sealed record ResolveEscalation(string ResolvedBy, string Resolution, EventActor Actor) : CaseCommand(Actor);

public sealed record ResolveLowRating(string ResolvedBy, string Resolution, EventActor Actor) : CaseCommand(Actor);

/// <summary>The clock moved: warnings, deadlines and 容缺 promises are due (<see cref="DeadlinePolicy"/>).</summary>
public sealed record CheckDeadlines() : CaseCommand(EventActor.System);

/// <summary>
/// What a command does: the events it causes, nothing (a repeat of what was already done: operations are idempotent),
/// or a refusal that changes nothing.
/// </summary>
public sealed record Decision(
    IReadOnlyList<CaseEvent> Events,
    OutcomeKind? Refusal = null,
    string? Error = null,
    IReadOnlyDictionary<string, string[]>? FieldErrors = null)
{
    public static Decision Unchanged { get; } = new([]);

    public bool IsRefused => Refusal is not null;

    public bool IsUnchanged => Refusal is null && Events.Count == 0;

    public static Decision Refused(OutcomeKind kind, string error, IReadOnlyDictionary<string, string[]>? fieldErrors = null) =>
        new([], kind, error, fieldErrors);

    public static Decision Invalid(string field, string error) =>
        Refused(OutcomeKind.Invalid, "The request breaks the item's rules.", new Dictionary<string, string[]> { [field] = [error] });

    /// <summary>The refusal as the caller hears it.</summary>
    public Outcome<T> ToOutcome<T>() => Refusal switch
    {
        OutcomeKind.Invalid => Outcome<T>.Invalid(FieldErrors!),
        OutcomeKind.NotFound => Outcome<T>.NotFound(Error!),
        OutcomeKind.Forbidden => Outcome<T>.Forbidden(Error!),
        OutcomeKind.Conflict => Outcome<T>.Conflict(Error!),
        _ => throw new InvalidOperationException("Only a refusal has an outcome of its own."),
    };
}

/// <summary>
/// The case's rules (<c>Decide</c>): what each command causes, as events, given the case so far, the time, the
/// definition the case runs and the working-day calendar. Pure: it reads the state and never changes it; the grain
/// stores the events and folds them in with <see cref="CaseEvolution.Apply"/>.
/// </summary>
public static class CaseDecisions
{
    /// <summary>容缺受理 without a date from the applicant: the promise runs for 5 working days (cf. 行政许可法 Art 32).</summary>
    public static readonly TimeLimit DefaultPromise = new(WorkingDays: 5);

    /// <summary>The fallback desk answers a low rating within 5 working days unless configured otherwise.</summary>
    public static readonly TimeLimit DefaultFollowUp = new(WorkingDays: 5);

    /// <summary>Ratings at or below this (1 非常不满意, 2 不满意) are followed up by the fallback desk.</summary>
    public const int LowRating = 2;

    public static Decision Decide(CaseState state, string caseId, CaseCommand command, DateTimeOffset now, ItemDefinition item, WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(calendar);
        var draft = new Draft(state, caseId, StoredPrecision(now), item);
        return command switch
        {
            Submit submit => DecideSubmit(draft, submit, calendar),
            ActOnTask act => DecideTask(draft, act, calendar),
            Supply supply => DecideSupply(draft, supply, calendar),
            Withdraw withdraw => DecideWithdraw(draft, withdraw),
            Evaluate evaluate => DecideEvaluate(draft, evaluate, calendar),
            ResolveEscalation resolve => DecideResolution(draft, resolve),
            ResolveLowRating resolve => DecideLowRatingResolution(draft, resolve),
            CheckDeadlines => DeadlinePolicy.Decide(draft),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };
    }

    private static Decision DecideSubmit(Draft draft, Submit command, WorkingCalendar calendar)
    {
        var (item, now, application) = (draft.Item, draft.Now, command.Application);
        if (draft.State.ItemCode is not null)
        {
            return Decision.Refused(OutcomeKind.Conflict, "The case exists already.");
        }
        var unknownOptional = application.OptionalMatters.Where(code => item.FindMatter(code) is not { Optional: true }).ToList();
        if (unknownOptional.Count > 0)
        {
            return Decision.Invalid("optionalMatters", $"Not optional matters of {item.Code}: {string.Join(", ", unknownOptional)}.");
        }
        var optional = application.OptionalMatters.Distinct().ToList();
        var matters = item.Matters.Where(m => !m.Optional || optional.Contains(m.Code)).Select(m => m.Code).ToList();
        var due = calendar.DueAt(now, item.TimeLimit);
        draft.Emit(command.Actor, new CaseSubmitted(item.Code, item.Version, item.Region, application.Region ?? item.Region,
            application.Channel, due, calendar.WarningAt(now, due, item.TimeLimit), matters, optional,
            application.Materials.Select(m => m.Code).ToList(),
            new SubmittedApplication(application.Applicant, application.Form, application.Materials, application.Delivery, application.Fingerprint)));
        draft.Run(matters);
        foreach (var deferred in application.DeferredMaterials ?? [])
        {
            draft.Emit(command.Actor, new DeferredMaterialPromised(deferred.Code,
                deferred.PromisedBy == default ? calendar.DueAt(now, DefaultPromise) : deferred.PromisedBy));
        }
        Dispatch(draft, calendar);
        return draft.Decision();
    }

    private static Decision DecideTask(Draft draft, ActOnTask command, WorkingCalendar calendar)
    {
        var matter = draft.State.ItemCode is null ? null : draft.State.Matters.Find(m => m.Code == command.MatterCode);
        if (matter is null)
        {
            return Decision.Refused(OutcomeKind.NotFound, "No such task.");
        }
        var definition = draft.Item.FindMatter(matter.Code)!;
        if (definition.Department != command.Action.Department)
        {
            return Decision.Refused(OutcomeKind.Forbidden, "This task belongs to another department.");
        }
        var task = TaskTransitions.Decide(matter, definition, draft.Item, command.Action);
        switch (task.Kind)
        {
            case TaskDecisionKind.Refused:
                return Decision.Refused(OutcomeKind.Conflict, task.Error!);
            case TaskDecisionKind.Invalid:
                return Decision.Refused(OutcomeKind.Invalid, task.Error!, task.FieldErrors);
            case TaskDecisionKind.Unchanged:
                return Decision.Unchanged;
            default:
                break;
        }

        draft.Emit(command.Actor, task.Event!, matter.Code);
        switch (task.Event)
        {
            case TaskCompleted:
                Dispatch(draft, calendar);
                if (draft.Matters.All(code => draft.StatusOf(code) == DepartmentTaskStatus.Completed))
                {
                    draft.Emit(EventActor.System, new CaseCompleted());
                }
                break;
            case TaskRejected:
                CancelOpenTasks(draft, $"Case rejected: {definition.Name} was rejected.");
                draft.Emit(command.Actor, new CaseRejected($"{definition.Name} was rejected: {command.Action.Reason}"));
                break;
            default:
                break;
        }
        return draft.Decision();
    }

    private static Decision DecideSupply(Draft draft, Supply command, WorkingCalendar calendar)
    {
        var s = draft.State;
        if (s.ItemCode is null)
        {
            return Decision.Refused(OutcomeKind.NotFound, "No such case.");
        }
        var supply = command.Materials;
        var supplied = supply.Materials.Select(m => m.Code).ToHashSet(StringComparer.Ordinal);
        var waiting = s.Matters.Where(m => m.Status == DepartmentTaskStatus.AwaitingSupplement).ToList();
        var requested = waiting.SelectMany(m => m.Supplement?.Materials ?? []).Distinct().ToList();
        var deferred = s.DeferredMaterials.Where(d => d.SuppliedAt is null && supplied.Contains(d.Code)).ToList();
        if (IsEnded(s) || (s.Status != CaseStatus.AwaitingSupplement && deferred.Count == 0))
        {
            return Decision.Refused(OutcomeKind.Conflict, $"The case is {s.Status}; no materials were requested or deferred.");
        }
        var missing = requested.Where(code => !supplied.Contains(code)).ToList();
        var answersRequest = s.Status == CaseStatus.AwaitingSupplement && missing.Count == 0;
        if (s.Status == CaseStatus.AwaitingSupplement && missing.Count > 0 && (deferred.Count == 0 || missing.Count < requested.Count))
        {
            return Decision.Invalid("materials", $"Still missing: {string.Join(", ", missing)}.");
        }

        var now = draft.Now;
        draft.Emit(command.Actor, new SupplementProvided([.. supplied], [.. supply.Form.Keys], answersRequest,
            new SuppliedApplication(supply.Materials, supply.Form)));
        foreach (var promise in deferred)
        {
            draft.Emit(command.Actor, new DeferredMaterialDelivered(promise.Code));
        }
        if (!answersRequest)
        {
            return draft.Decision();
        }

        // The stopped clocks start again, each deadline moved later by the time it was stopped (working time for
        // working-day limits), and the tasks return to their departments.
        if (s.PausedSince is { } since && s.DueAt is { } due)
        {
            var moved = DeadlinePolicy.MoveByPause(calendar, due, since, now, draft.Item.TimeLimit);
            draft.Emit(EventActor.System, new DeadlineMoved(moved, calendar.WarningAt(s.SubmittedAt, moved, draft.Item.TimeLimit)));
        }
        foreach (var matter in waiting)
        {
            var definition = draft.Item.FindMatter(matter.Code)!;
            var matterDue = matter.DueAt;
            if (matterDue is { } before && matter.Supplement is { } request)
            {
                matterDue = DeadlinePolicy.MoveByPause(calendar, before, request.RequestedAt, now, definition.TimeLimit);
            }
            var warningAt = matterDue is { } d && matter.ReadyAt is { } ready ? calendar.WarningAt(ready, d, definition.TimeLimit) : (DateTimeOffset?)null;
            if (matterDue is { } movedDue && matterDue != matter.DueAt)
            {
                draft.Emit(EventActor.System, new DeadlineMoved(movedDue, warningAt), matter.Code);
            }
            // Back in the department's Ready inbox, with inputs refreshed from the supplemented application.
            draft.Emit(EventActor.System, new TaskReady(matterDue, warningAt, definition.Inputs, Returned: true), matter.Code);
        }
        return draft.Decision();
    }

    private static Decision DecideWithdraw(Draft draft, Withdraw command)
    {
        var s = draft.State;
        if (s.ItemCode is null)
        {
            return Decision.Refused(OutcomeKind.NotFound, "No such case.");
        }
        if (s.Status == CaseStatus.Withdrawn)
        {
            return Decision.Unchanged;
        }
        if (IsEnded(s))
        {
            return Decision.Refused(OutcomeKind.Conflict, $"The case is already {s.Status}.");
        }
        CancelOpenTasks(draft, "The applicant withdrew the case.");
        draft.Emit(command.Actor, new CaseWithdrawn(string.IsNullOrWhiteSpace(command.Reason) ? "Withdrawn by the applicant." : command.Reason));
        return draft.Decision();
    }

    private static Decision DecideEvaluate(Draft draft, Evaluate command, WorkingCalendar calendar)
    {
        var s = draft.State;
        if (s.ItemCode is null)
        {
            return Decision.Refused(OutcomeKind.NotFound, "No such case.");
        }
        if (!IsEnded(s))
        {
            return Decision.Refused(OutcomeKind.Conflict, "A case can be evaluated only after it has ended.");
        }
        if (s.Evaluation is { } earlier)
        {
            return earlier.Rating == command.Rating && earlier.Comment == command.Comment
                ? Decision.Unchanged
                : Decision.Refused(OutcomeKind.Conflict, "This case was already evaluated.");
        }
        draft.Emit(command.Actor, new CaseEvaluated(command.Rating, command.Comment));
        if (command.Rating <= LowRating)
        {
            draft.Emit(EventActor.System, new LowRatingFollowUpOpened(calendar.DueAt(draft.Now, command.FollowUpLimit ?? DefaultFollowUp)));
        }
        return draft.Decision();
    }

    private static Decision DecideLowRatingResolution(Draft draft, ResolveLowRating command)
    {
        var followUp = draft.State.ItemCode is null ? null : draft.State.LowRatingFollowUp;
        if (followUp is null)
        {
            return Decision.Refused(OutcomeKind.NotFound, "No such low rating at the fallback desk.");
        }
        if (followUp.ResolvedAt is not null)
        {
            return followUp.ResolvedBy == command.ResolvedBy && followUp.Resolution == command.Resolution
                ? Decision.Unchanged
                : Decision.Refused(OutcomeKind.Conflict, "This low rating was already resolved.");
        }
        draft.Emit(command.Actor, new LowRatingResolved(command.ResolvedBy, command.Resolution));
        return draft.Decision();
    }

    private static Decision DecideResolution(Draft draft, ResolveEscalation command)
    {
        var escalation = draft.State.ItemCode is null ? null : draft.State.Escalation;
        if (escalation is null)
        {
            return Decision.Refused(OutcomeKind.NotFound, "No such case at the fallback desk.");
        }
        if (escalation.ResolvedAt is not null)
        {
            return escalation.ResolvedBy == command.ResolvedBy && escalation.Resolution == command.Resolution
                ? Decision.Unchanged
                : Decision.Refused(OutcomeKind.Conflict, "This escalation was already resolved.");
        }
        draft.Emit(command.Actor, new EscalationResolved(command.ResolvedBy, command.Resolution));
        return draft.Decision();
    }

    /// <summary>Makes Ready every Waiting matter whose dependencies are complete, naming the data it declares.</summary>
    private static void Dispatch(Draft draft, WorkingCalendar calendar)
    {
        var included = draft.Matters.ToHashSet(StringComparer.Ordinal);
        foreach (var code in draft.Matters.Where(code => draft.StatusOf(code) == DepartmentTaskStatus.Waiting).ToList())
        {
            var definition = draft.Item.FindMatter(code)!;
            if (!definition.DependsOn.Where(included.Contains).All(dependency => draft.StatusOf(dependency) == DepartmentTaskStatus.Completed))
            {
                continue;
            }
            var due = calendar.DueAt(draft.Now, definition.TimeLimit);
            draft.Emit(EventActor.System, new TaskReady(due, calendar.WarningAt(draft.Now, due, definition.TimeLimit), definition.Inputs), code);
        }
    }

    /// <summary>Cancels every task still open; the caller then ends the case.</summary>
    internal static void CancelOpenTasks(Draft draft, string reason)
    {
        foreach (var code in draft.Matters.Where(code => !IsClosed(draft.StatusOf(code))).ToList())
        {
            draft.Emit(EventActor.System, new TaskCancelled(reason), code);
        }
    }

    /// <summary>
    /// The time to the microsecond, as PostgreSQL stores it: a case folded from stored events must equal the case that
    /// made them, and every time in its state comes from an event's.
    /// </summary>
    public static DateTimeOffset StoredPrecision(DateTimeOffset time) => time.AddTicks(-(time.Ticks % 10));

    public static bool IsEnded(CaseState state) => state.Status is CaseStatus.Completed or CaseStatus.Rejected or CaseStatus.Withdrawn;

    private static bool IsClosed(DepartmentTaskStatus status) =>
        status is DepartmentTaskStatus.Completed or DepartmentTaskStatus.Rejected or DepartmentTaskStatus.Cancelled;
}

/// <summary>
/// The events a decision has made so far, numbered after the case's last, with each task's status as they leave it:
/// a rule that follows another (dispatch after a completion) sees the case as the earlier events will leave it,
/// without changing the state.
/// </summary>
internal sealed class Draft(CaseState state, string caseId, DateTimeOffset now, ItemDefinition item)
{
    private readonly List<CaseEvent> _events = [];
    private readonly Dictionary<string, DepartmentTaskStatus> _statuses = new(StringComparer.Ordinal);
    private List<string>? _matters;

    public CaseState State { get; } = state;

    public DateTimeOffset Now { get; } = now;

    public ItemDefinition Item { get; } = item;

    /// <summary>The matters the case runs, in item order.</summary>
    public IReadOnlyList<string> Matters => _matters ??= State.Matters.Select(m => m.Code).ToList();

    /// <summary>The matters of a case being submitted, which its state does not have yet.</summary>
    public void Run(IReadOnlyList<string> matters)
    {
        _matters = [.. matters];
        foreach (var code in matters)
        {
            _statuses[code] = DepartmentTaskStatus.Waiting;
        }
    }

    public DepartmentTaskStatus StatusOf(string matterCode) =>
        _statuses.TryGetValue(matterCode, out var status) ? status : State.Matters.Find(m => m.Code == matterCode)!.Status;

    public void Emit(EventActor actor, CaseEventData data, string? matterCode = null)
    {
        var department = matterCode is null ? null : Item.FindMatter(matterCode)!.Department;
        _events.Add(new CaseEvent(caseId, State.Seq + _events.Count + 1, Now, actor, data, matterCode, department));
        if (matterCode is not null && StatusAfter(data) is { } status)
        {
            _statuses[matterCode] = status;
        }
    }

    public Decision Decision() => new(_events);

    private static DepartmentTaskStatus? StatusAfter(CaseEventData data) => data switch
    {
        TaskReady => DepartmentTaskStatus.Ready,
        TaskAccepted => DepartmentTaskStatus.Accepted,
        TaskCompleted => DepartmentTaskStatus.Completed,
        TaskRejected => DepartmentTaskStatus.Rejected,
        TaskCancelled => DepartmentTaskStatus.Cancelled,
        SupplementRequested => DepartmentTaskStatus.AwaitingSupplement,
        _ => null,
    };
}
