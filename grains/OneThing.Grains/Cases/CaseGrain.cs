using Microsoft.Extensions.Logging;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Hosting;
using OneThing.Grains.ReadModels;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// Coordinates one application. Order of writes, chosen so that a crash at any point converges on retry: a matter's
/// task (and its inbox row) is written before the case records the matter as Ready, and the case's read-model row
/// before the case's own state. A failed write drops the activation so memory never runs ahead of storage.
/// </summary>
public sealed partial class CaseGrain(
    [PersistentState("case", GrainStorage.Main)] IPersistentState<CaseState> state,
    ItemCatalog catalog,
    WorkingCalendar calendar,
    ReadModelWriter readModels,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Orleans.Hosting.ReminderOptions> reminderOptions,
    ILogger<CaseGrain> logger) : Grain, ICaseGrain
{
    public const string PortalActor = "portal";
    public const string SystemActor = "system";

    /// <summary>容缺受理 without a date from the applicant: the promise runs for 5 working days (cf. 行政许可法 Art 32).</summary>
    private static readonly TimeLimit DefaultPromise = new(WorkingDays: 5);

    private ItemDefinition? _item;

    /// <summary>What this activation last wrote to the applicant's read-model row; null until it wrote once.</summary>
    private (CaseStatus, DateTimeOffset?)? _projectedSummary;

    private CaseState S => state.State;

    private string CaseId => this.GetPrimaryKeyString();

    private bool Exists => S.ItemCode is not null;

    private bool IsEnded => S.Status is CaseStatus.Completed or CaseStatus.Rejected or CaseStatus.Withdrawn;

    private ItemDefinition Item => _item ??= catalog.FindVariant(S.ItemCode!, S.ItemRegion, S.ItemVersion)
        ?? throw new InvalidOperationException(
            $"Case {CaseId} runs {ItemCatalog.Describe(S.ItemCode!, S.ItemRegion, S.ItemVersion)}, which the catalog no longer has.");

    public async Task<Outcome<CaseView>> SubmitAsync(SubmitCase command)
    {
        if (Exists)
        {
            return S.Fingerprint == command.Fingerprint
                ? Outcome<CaseView>.Ok(View())
                : Outcome<CaseView>.Conflict("This Idempotency-Key was already used for a different application.");
        }

        // Exactly the variant and version the API validated the application against; without them (a caller that
        // validated nothing) what applies in the applicant's region now.
        var item = command.ItemVersion is null && command.ItemRegion is null
            ? catalog.Find(command.ItemCode, command.Region)
            : catalog.FindVariant(command.ItemCode, command.ItemRegion, command.ItemVersion);
        if (item is null)
        {
            return Outcome<CaseView>.Invalid("itemCode", $"No item '{command.ItemCode}' in the catalog.");
        }
        var unknownOptional = command.OptionalMatters.Where(code => item.FindMatter(code) is not { Optional: true }).ToList();
        if (unknownOptional.Count > 0)
        {
            return Outcome<CaseView>.Invalid("optionalMatters", $"Not optional matters of {item.Code}: {string.Join(", ", unknownOptional)}.");
        }

        var now = clock.GetUtcNow();
        _item = item;
        S.ItemCode = item.Code;
        S.ItemVersion = item.Version;
        S.ItemRegion = item.Region;
        S.Region = command.Region ?? item.Region;
        S.Channel = command.Channel;
        S.Applicant = command.Applicant;
        S.Form = new Dictionary<string, string>(command.Form);
        S.Materials = [.. command.Materials];
        S.OptionalMatters = [.. command.OptionalMatters.Distinct()];
        S.Delivery = command.Delivery;
        S.Fingerprint = command.Fingerprint;
        S.Status = CaseStatus.InProgress;
        S.SubmittedAt = now;
        S.DueAt = calendar.DueAt(now, item.TimeLimit);
        S.WarningAt = calendar.WarningAt(now, S.DueAt.Value, item.TimeLimit);
        S.DeferredMaterials = (command.DeferredMaterials ?? [])
            .Select(d => d.PromisedBy == default ? d with { PromisedBy = calendar.DueAt(now, DefaultPromise) } : d)
            .ToList();
        S.Matters = item.Matters
            .Where(m => !m.Optional || S.OptionalMatters.Contains(m.Code))
            .Select(m => new MatterState { Code = m.Code, Status = DepartmentTaskStatus.Waiting })
            .ToList();
        Record(now, "Submitted", PortalActor, $"{item.Name} v{item.Version} via {command.Channel}");
        foreach (var deferred in S.DeferredMaterials)
        {
            Record(now, "MaterialDeferred", PortalActor, $"{deferred.Code} promised by {deferred.PromisedBy:yyyy-MM-dd HH:mm zzz} (容缺受理)");
        }

        return await CommitAsync(async () =>
        {
            await DispatchReadyMattersAsync(now);
            return Outcome<CaseView>.Created(View());
        });
    }

    public Task<CaseView?> GetAsync() => Task.FromResult(Exists ? View() : null);

    public async Task OnTaskChangedAsync(TaskView task)
    {
        var matter = Exists ? S.Matters.Find(m => m.Code == task.MatterCode) : null;
        if (matter is null || matter.Status == task.Status)
        {
            return; // unknown, or a repeat of a report already recorded
        }
        if (IsEnded)
        {
            // The case ended while the department acted (a withdrawal racing a completion): note it, change nothing else.
            if (task.IsEnded && matter.Status != task.Status)
            {
                await CommitAsync(() =>
                {
                    Copy(task, matter);
                    Record(clock.GetUtcNow(), $"Task{task.Status}", task.Department, $"{task.MatterName} after the case ended");
                    return Task.FromResult(true);
                });
            }
            return;
        }

        var now = clock.GetUtcNow();
        await CommitAsync(async () =>
        {
            Copy(task, matter);
            switch (task.Status)
            {
                case DepartmentTaskStatus.Accepted:
                    Record(now, "TaskAccepted", task.Department, task.MatterName);
                    break;
                case DepartmentTaskStatus.Completed:
                    foreach (var (name, value) in task.Outputs)
                    {
                        S.Outputs[name] = value;
                    }
                    Record(now, "TaskCompleted", task.Department, task.MatterName);
                    await DispatchReadyMattersAsync(now);
                    if (S.Matters.All(m => m.Status == DepartmentTaskStatus.Completed))
                    {
                        S.Status = CaseStatus.Completed;
                        S.CompletedAt = now;
                        Record(now, "CaseCompleted", SystemActor, "Every matter is complete.");
                    }
                    break;
                case DepartmentTaskStatus.Rejected:
                    Record(now, "TaskRejected", task.Department, $"{task.MatterName}: {task.Reason}");
                    S.Status = CaseStatus.Rejected;
                    S.StatusReason = $"{task.MatterName} was rejected: {task.Reason}";
                    S.CompletedAt = now;
                    await CancelOpenTasksAsync(now, $"Case rejected: {task.MatterName} was rejected.");
                    Record(now, "CaseRejected", task.Department, S.StatusReason);
                    break;
                case DepartmentTaskStatus.AwaitingSupplement:
                    S.Status = CaseStatus.AwaitingSupplement;
                    S.PausedSince ??= task.Supplement?.RequestedAt ?? now; // 补正: the clock stops until the applicant supplies
                    Record(now, "SupplementRequested", task.Department,
                        $"{task.MatterName} needs: {string.Join(", ", task.Supplement?.Materials ?? [])}{(task.Supplement?.Note is { } note ? $" ({note})" : "")}");
                    break;
                default:
                    break;
            }
            return true;
        });
    }

    public async Task<Outcome<CaseView>> SupplyAsync(SupplyMaterials supply)
    {
        if (!Exists)
        {
            return Outcome<CaseView>.NotFound("No such case.");
        }
        var supplied = supply.Materials.Select(m => m.Code).ToHashSet();
        var waiting = S.Matters.Where(m => m.Status == DepartmentTaskStatus.AwaitingSupplement).ToList();
        var requested = waiting.SelectMany(m => m.Supplement?.Materials ?? []).Distinct().ToList();
        var deferred = S.DeferredMaterials.Where(d => d.SuppliedAt is null && supplied.Contains(d.Code)).ToList();
        if (IsEnded || (S.Status != CaseStatus.AwaitingSupplement && deferred.Count == 0))
        {
            return Outcome<CaseView>.Conflict($"The case is {S.Status}; no materials were requested or deferred.");
        }
        var missing = requested.Where(code => !supplied.Contains(code)).ToList();
        var answersRequest = S.Status == CaseStatus.AwaitingSupplement && missing.Count == 0;
        if (S.Status == CaseStatus.AwaitingSupplement && missing.Count > 0 && (deferred.Count == 0 || missing.Count < requested.Count))
        {
            return Outcome<CaseView>.Invalid("materials", $"Still missing: {string.Join(", ", missing)}.");
        }

        var now = clock.GetUtcNow();
        return await CommitAsync(async () =>
        {
            foreach (var material in supply.Materials)
            {
                S.Materials.RemoveAll(m => m.Code == material.Code);
                S.Materials.Add(material);
            }
            foreach (var (name, value) in supply.Form)
            {
                S.Form[name] = value;
            }
            foreach (var promise in deferred)
            {
                S.DeferredMaterials[S.DeferredMaterials.IndexOf(promise)] = promise with { SuppliedAt = now };
                Record(now, "DeferredMaterialSupplied", PortalActor, promise.Code);
            }
            if (answersRequest)
            {
                await ResumeAfterSupplementAsync(waiting, now);
            }
            return Outcome<CaseView>.Ok(View());
        });
    }

    /// <summary>
    /// The applicant supplied what was asked: the stopped clocks start again, each deadline moved later by the
    /// time it was stopped (working time for working-day limits), and the tasks return to their departments.
    /// </summary>
    private async Task ResumeAfterSupplementAsync(List<MatterState> waiting, DateTimeOffset now)
    {
        Record(now, "SupplementProvided", PortalActor, string.Join(", ", waiting.SelectMany(m => m.Supplement?.Materials ?? []).Distinct()));
        if (S.PausedSince is { } since && S.DueAt is { } due)
        {
            S.DueAt = MoveByPause(due, since, now, Item.TimeLimit);
            S.WarningAt = calendar.WarningAt(S.SubmittedAt, S.DueAt.Value, Item.TimeLimit);
            Record(now, "DeadlineMoved", SystemActor, $"Case due {S.DueAt:yyyy-MM-dd HH:mm zzz} after the 补正 pause");
        }
        S.PausedSince = null;

        var resumed = await Task.WhenAll(waiting.Select(matter =>
        {
            var definition = Item.FindMatter(matter.Code)!;
            var dueAt = matter.DueAt is { } matterDue && matter.Supplement is { } request
                ? MoveByPause(matterDue, request.RequestedAt, now, definition.TimeLimit)
                : matter.DueAt;
            matter.WarningAt = dueAt is { } d && matter.ReadyAt is { } ready ? calendar.WarningAt(ready, d, definition.TimeLimit) : null;
            return TaskOf(matter.Code).ResumeAsync(InputsFor(definition), now, dueAt);
        }));
        foreach (var view in resumed)
        {
            Copy(view, S.Matters.Find(m => m.Code == view.MatterCode)!);
            Record(now, "TaskReady", SystemActor, $"{view.MatterName} returned to {view.Department}");
        }
        S.Status = CaseStatus.InProgress;
    }

    private DateTimeOffset MoveByPause(DateTimeOffset due, DateTimeOffset pausedSince, DateTimeOffset resumedAt, TimeLimit limit) =>
        limit.WorkingDays is not null
            ? calendar.AddWorkingTime(due, calendar.WorkingTimeBetween(pausedSince, resumedAt))
            : due + (resumedAt - pausedSince);

    public async Task<Outcome<CaseView>> WithdrawAsync(string? reason)
    {
        if (!Exists)
        {
            return Outcome<CaseView>.NotFound("No such case.");
        }
        if (S.Status == CaseStatus.Withdrawn)
        {
            return Outcome<CaseView>.Ok(View());
        }
        if (IsEnded)
        {
            return Outcome<CaseView>.Conflict($"The case is already {S.Status}.");
        }

        var now = clock.GetUtcNow();
        return await CommitAsync(async () =>
        {
            S.Status = CaseStatus.Withdrawn;
            S.StatusReason = string.IsNullOrWhiteSpace(reason) ? "Withdrawn by the applicant." : reason;
            S.CompletedAt = now;
            await CancelOpenTasksAsync(now, "The applicant withdrew the case.");
            Record(now, "Withdrawn", PortalActor, S.StatusReason);
            return Outcome<CaseView>.Ok(View());
        });
    }

    public async Task<Outcome<CaseView>> EvaluateAsync(int rating, string? comment)
    {
        if (!Exists)
        {
            return Outcome<CaseView>.NotFound("No such case.");
        }
        if (!IsEnded)
        {
            return Outcome<CaseView>.Conflict("A case can be evaluated only after it has ended.");
        }
        if (S.Evaluation is { } earlier)
        {
            return earlier.Rating == rating && earlier.Comment == comment
                ? Outcome<CaseView>.Ok(View())
                : Outcome<CaseView>.Conflict("This case was already evaluated.");
        }

        var now = clock.GetUtcNow();
        return await CommitAsync(() =>
        {
            S.Evaluation = new Evaluation(rating, comment, now);
            Record(now, "Evaluated", PortalActor, $"{rating}/5");
            return Task.FromResult(Outcome<CaseView>.Ok(View()));
        });
    }

    /// <summary>
    /// Makes Ready every Waiting matter whose dependencies are complete, handing it the data it declares. Each task
    /// (and its inbox row) is written before the case records it as Ready.
    /// </summary>
    private async Task DispatchReadyMattersAsync(DateTimeOffset now)
    {
        var included = S.Matters.Select(m => m.Code).ToHashSet();
        var ready = S.Matters
            .Where(m => m.Status == DepartmentTaskStatus.Waiting)
            .Select(m => Item.FindMatter(m.Code)!)
            .Where(definition => definition.DependsOn
                .Where(included.Contains)
                .All(code => S.Matters.Find(m => m.Code == code)!.Status == DepartmentTaskStatus.Completed))
            .ToList();

        var views = await Task.WhenAll(ready.Select(definition => TaskOf(definition.Code).MakeReadyAsync(new TaskAssignment(
            CaseId, Item.Code, definition.Code, definition.Name, definition.Department, definition.Outputs,
            InputsFor(definition), now, calendar.DueAt(now, definition.TimeLimit), definition.Optional))));

        foreach (var view in views)
        {
            var matter = S.Matters.Find(m => m.Code == view.MatterCode)!;
            Copy(view, matter);
            matter.WarningAt = view.DueAt is { } due ? calendar.WarningAt(now, due, Item.FindMatter(matter.Code)!.TimeLimit) : null;
            Record(now, "TaskReady", SystemActor, $"{view.MatterName} → {view.Department}");
        }
    }

    private async Task CancelOpenTasksAsync(DateTimeOffset now, string reason)
    {
        var open = S.Matters.Where(m => m.Status is not (DepartmentTaskStatus.Completed or DepartmentTaskStatus.Rejected or DepartmentTaskStatus.Cancelled)).ToList();
        var views = await Task.WhenAll(open
            .Where(m => m.Status != DepartmentTaskStatus.Waiting)
            .Select(m => TaskOf(m.Code).CancelAsync(reason)));
        foreach (var view in views)
        {
            Copy(view, S.Matters.Find(m => m.Code == view.MatterCode)!);
        }
        foreach (var matter in open.Where(m => m.Status == DepartmentTaskStatus.Waiting))
        {
            matter.Status = DepartmentTaskStatus.Cancelled; // never dispatched: no task grain to tell
            matter.Reason = reason;
        }
        Record(now, "TasksCancelled", SystemActor, $"{open.Count} open task(s) cancelled.");
    }

    /// <summary>The data a matter declares as inputs, from the application and from what earlier matters produced.</summary>
    private Dictionary<string, string> InputsFor(MatterDefinition matter)
    {
        var inputs = new Dictionary<string, string>();
        foreach (var name in matter.Inputs)
        {
            var value = name switch
            {
                "applicant.name" => S.Applicant!.Name,
                "applicant.idNumber" => S.Applicant!.IdNumber,
                "applicant.creditCode" => S.Applicant!.CreditCode,
                "applicant.phone" => S.Applicant!.Phone,
                _ => S.Outputs.TryGetValue(name, out var produced) ? produced : S.Form.GetValueOrDefault(name),
            };
            if (value is not null)
            {
                inputs[name] = value;
            }
        }
        return inputs;
    }

    /// <summary>Runs a change, writes the applicant's read-model row and then the case; on failure drops the activation.</summary>
    private async Task<T> CommitAsync<T>(Func<Task<T>> change)
    {
        try
        {
            var result = await change();
            S.Revision++;
            var view = View();
            // The applicant's row holds only status and due date: most transitions (a task accepted) leave it as is.
            if (_projectedSummary != (S.Status, S.DueAt))
            {
                await readModels.UpsertApplicantCaseAsync(view, S.Revision);
                _projectedSummary = (S.Status, S.DueAt);
            }
            if (S.Escalation is not null)
            {
                await readModels.UpsertEscalationAsync(view, S.Revision);
            }
            // Armed before the state is written: a deadline the stored case holds always has a reminder behind it.
            await ArmReminderAsync(clock.GetUtcNow());
            await state.WriteStateAsync();
            return result;
        }
        catch (Exception error)
        {
            LogCommitFailed(error, CaseId);
            DeactivateOnIdle();
            throw;
        }
    }

    private void Record(DateTimeOffset at, string type, string actor, string? detail) =>
        S.Timeline.Add(new TimelineEntry(at, type, actor, detail));

    private static void Copy(TaskView task, MatterState matter)
    {
        matter.Status = task.Status;
        matter.ReadyAt = task.ReadyAt;
        matter.DueAt = task.DueAt;
        matter.CompletedAt = task.CompletedAt;
        matter.Inputs = new Dictionary<string, string>(task.Inputs);
        matter.Outputs = new Dictionary<string, string>(task.Outputs);
        matter.Supplement = task.Supplement;
        matter.Reason = task.Reason;
        matter.Warning |= task.Warning;
        matter.Overdue |= task.Overdue;
    }

    private IDepartmentTaskGrain TaskOf(string matterCode) =>
        GrainFactory.GetGrain<IDepartmentTaskGrain>(TaskIds.For(CaseId, matterCode));

    /// <summary>
    /// A snapshot of the case. Views are [Immutable]: Orleans serializes them after this turn ends without copying, so
    /// they must not share any collection the grain goes on changing.
    /// </summary>
    private CaseView View()
    {
        var tasks = S.Matters.Select(m =>
        {
            var definition = Item.FindMatter(m.Code)!;
            return new TaskView(TaskIds.For(CaseId, m.Code), CaseId, m.Code, definition.Name, definition.Department, m.Status,
                m.ReadyAt, m.DueAt, m.CompletedAt, new Dictionary<string, string>(m.Outputs), new Dictionary<string, string>(m.Inputs),
                m.Supplement, m.Reason, S.ItemCode!, definition.Optional, m.Warning, m.Overdue);
        }).ToList();
        return new CaseView(CaseId, S.ItemCode!, S.ItemVersion, S.Region, S.Channel, S.Status, S.SubmittedAt, S.DueAt,
            S.CompletedAt, S.Warning, S.Overdue, S.Applicant!, tasks, [.. S.Timeline], new Dictionary<string, string>(S.Outputs),
            new Dictionary<string, string>(S.Form), [.. S.Materials], [.. S.OptionalMatters], S.Delivery, S.StatusReason,
            S.Evaluation, S.Escalation, [.. S.DeferredMaterials], S.ItemRegion);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: a change could not be stored; the activation is dropped and the caller may retry")]
    private partial void LogCommitFailed(Exception error, string caseId);
}
