using System.Text.Json;
using Microsoft.Extensions.Logging;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Hosting;
using OneThing.Grains.ReadModels;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// Coordinates one application and keeps its department tasks. Every change to the case or one of its tasks is one
/// transaction: a row in the case journal saying what moved (<see cref="CaseChange"/>), with the read-model rows it
/// touched (the tasks' inbox rows, the applicant's row), group-committed with other cases' changes. Now and then, and
/// when the case ends, the whole case is written as its snapshot (Orleans grain storage); an activation reads the
/// snapshot and replays the journal after it. A failed write drops the activation, so memory never runs ahead of storage.
/// </summary>
/// <remarks>
/// Identity numbers and phones are held sealed in the state (<see cref="PersonalDataProtector"/>), so the snapshot,
/// the journal rows and the inbox rows store them sealed without any work on the write path; they are opened when a
/// view is built, which happens once per change.
/// </remarks>
public sealed partial class CaseGrain(
    [PersistentState("case", GrainStorage.Main)] IPersistentState<CaseState> state,
    ItemCatalog catalog,
    WorkingCalendar calendar,
    ReadModelWriter readModels,
    CaseJournal journal,
    PrivacyKeys privacy,
    Microsoft.Extensions.Options.IOptions<CaseJournalOptions> journalOptions,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Orleans.Hosting.ReminderOptions> reminderOptions,
    ILogger<CaseGrain> logger) : Grain, ICaseGrain
{
    public const string PortalActor = "portal";
    public const string SystemActor = "system";

    /// <summary>容缺受理 without a date from the applicant: the promise runs for 5 working days (cf. 行政许可法 Art 32).</summary>
    private static readonly TimeLimit DefaultPromise = new(WorkingDays: 5);

    /// <summary>The case's definition: resolved once per activation (<see cref="ResolveItemAsync"/>) or by the submission.</summary>
    private ItemDefinition? _item;

    /// <summary>What this activation last wrote to the applicant's read-model row; null until it wrote once.</summary>
    private (CaseStatus, DateTimeOffset?)? _projectedSummary;

    /// <summary>The fallback desk's row as this activation last wrote it.</summary>
    private Escalation? _projectedEscalation;

    /// <summary>Tasks changed by the change being committed: their inbox rows, and the matters in its journal row, go with it.</summary>
    private readonly HashSet<string> _changedTasks = new(StringComparer.Ordinal);

    /// <summary>Outputs departments produced in the change being committed.</summary>
    private readonly HashSet<string> _producedOutputs = new(StringComparer.Ordinal);

    /// <summary>The change being committed rewrites the application itself: its journal row holds the whole case.</summary>
    private bool _rewritesWhole;

    /// <summary>Timeline entries already in stored changes or the snapshot.</summary>
    private int _storedTimeline;

    /// <summary>The revision of the snapshot in grain storage: the journal holds every change after it.</summary>
    private int _snapshotRevision;

    /// <summary>The case as last stored, kept only to verify each change (<see cref="CaseJournalOptions.VerifyChanges"/>).</summary>
    private CaseState? _lastStored;

    /// <summary>The view of the current state, and its JSON: status polling is the commonest call, and most polls see no change.</summary>
    private CaseView? _view;
    private CaseDocument? _document;

    /// <summary>The applicant and the form with their personal values opened: they change only with the application itself.</summary>
    private Applicant? _openedApplicant;
    private Dictionary<string, string>? _openedForm;

    /// <summary>
    /// Each matter's view, kept until the matter is touched: a change moves one or two of a case's tasks, and
    /// rebuilding all of them (with copies of their inputs and outputs) on every change was a tenth of the silo's garbage.
    /// </summary>
    private readonly Dictionary<string, TaskView> _taskViews = new(StringComparer.Ordinal);

    private CaseState S => state.State;

    private string CaseId => this.GetPrimaryKeyString();

    private bool Exists => S.ItemCode is not null;

    private bool IsEnded => S.Status is CaseStatus.Completed or CaseStatus.Rejected or CaseStatus.Withdrawn;

    /// <summary>Never reads the database: a case that exists resolved its definition when it activated.</summary>
    private ItemDefinition Item => _item ??= catalog.FindVariant(S.ItemCode!, S.ItemRegion, S.ItemVersion) ?? throw MissingItem();

    /// <summary>The names of the case's form fields that hold personal data; with the definition.</summary>
    private IReadOnlySet<string> PersonalFormFields => _personalFormFields ??= PersonalFields.FormFields(Item);

    private IReadOnlySet<string>? _personalFormFields;

    /// <summary>
    /// Finds the case's own variant and version, reading it from the table of published versions when this silo does
    /// not hold it yet (published through another silo since the last refresh), without blocking the activation's thread.
    /// </summary>
    private async Task ResolveItemAsync(CancellationToken cancellationToken) =>
        _item = await catalog.FindVariantAsync(S.ItemCode!, S.ItemRegion, S.ItemVersion, cancellationToken) ?? throw MissingItem();

    private InvalidOperationException MissingItem() => new(
        $"Case {CaseId} runs {ItemCatalog.Describe(S.ItemCode!, S.ItemRegion, S.ItemVersion)}, which the catalog does not have.");

    public async Task<Outcome<CaseView>> SubmitAsync(SubmitCase command)
    {
        if (Exists)
        {
            return privacy.Protector.Unprotect(S.Fingerprint) == command.Fingerprint
                ? Outcome<CaseView>.Ok(View())
                : Outcome<CaseView>.Conflict("This Idempotency-Key was already used for a different application.");
        }

        // Exactly the variant and version the API validated the application against; without them (a caller that
        // validated nothing) what applies in the applicant's region now.
        var item = command.ItemVersion is null && command.ItemRegion is null
            ? await catalog.FindAsync(command.ItemCode, command.Region)
            : await catalog.FindVariantAsync(command.ItemCode, command.ItemRegion, command.ItemVersion);
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
        _personalFormFields = null;
        ForgetOpenedApplication();
        S.ItemCode = item.Code;
        S.ItemVersion = item.Version;
        S.ItemRegion = item.Region;
        S.Region = command.Region ?? item.Region;
        S.Channel = command.Channel;
        S.Applicant = command.Applicant with
        {
            IdNumber = privacy.Protector.ProtectOrNull(command.Applicant.IdNumber),
            Phone = privacy.Protector.ProtectOrNull(command.Applicant.Phone),
        };
        S.Form = command.Form.ToDictionary(field => field.Key, field => Sealed(field.Key, field.Value), StringComparer.Ordinal);
        S.Materials = [.. command.Materials];
        S.OptionalMatters = [.. command.OptionalMatters.Distinct()];
        S.Delivery = command.Delivery;
        // Sealed too: a hash of the application, which for an application with few personal values is a hash of an
        // identity number that the rest of the stored case lets anyone recompute.
        S.Fingerprint = privacy.Protector.Protect(command.Fingerprint);
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
        _rewritesWhole = true;
        Record(now, "Submitted", PortalActor, $"{item.Name} v{item.Version} via {command.Channel}");
        foreach (var deferred in S.DeferredMaterials)
        {
            Record(now, "MaterialDeferred", PortalActor, $"{deferred.Code} promised by {deferred.PromisedBy:yyyy-MM-dd HH:mm zzz} (容缺受理)");
        }

        return await CommitAsync(() =>
        {
            DispatchReadyMatters(now);
            return Task.FromResult(Outcome<CaseView>.Created(View()));
        });
    }

    public Task<CaseView?> GetAsync() => Task.FromResult(Exists ? View() : null);

    public Task<CaseDocument?> GetDocumentAsync() => Task.FromResult(Exists ? Document() : null);

    public Task<CaseDocument?> GetDocumentAsync(int knownRevision)
    {
        if (!Exists)
        {
            return Task.FromResult<CaseDocument?>(null);
        }
        var document = Document();
        return Task.FromResult<CaseDocument?>(document.Revision == knownRevision ? document with { Utf8Json = [] } : document);
    }

    private CaseDocument Document() => _document ??= new CaseDocument(
        JsonSerializer.SerializeToUtf8Bytes(View(), ViewJson.Options),
        View().Tasks.Select(t => t.Department).Distinct().ToList(),
        S.Revision);

    public Task<TaskView?> GetTaskAsync(string matterCode) =>
        Task.FromResult(Exists ? View().Tasks.FirstOrDefault(t => t.MatterCode == matterCode) : null);

    public async Task<Outcome<TaskView>> ActOnTaskAsync(string matterCode, TaskAction action)
    {
        var matter = Exists ? S.Matters.Find(m => m.Code == matterCode) : null;
        if (matter is null)
        {
            return Outcome<TaskView>.NotFound("No such task.");
        }
        var definition = Item.FindMatter(matterCode)!;
        if (definition.Department != action.Department)
        {
            return Outcome<TaskView>.Forbidden("This task belongs to another department.");
        }

        var now = clock.GetUtcNow();
        var decision = TaskTransitions.Decide(matter, definition, action, now);
        switch (decision.Kind)
        {
            case TaskDecisionKind.Refused:
                return Outcome<TaskView>.Conflict(decision.Error!);
            case TaskDecisionKind.Invalid:
                return Outcome<TaskView>.Invalid(decision.FieldErrors!);
            case TaskDecisionKind.Unchanged:
                // A repeat: the change is stored; write its row again in case the first answer was lost with its row.
                var current = TaskView(matter);
                await readModels.WriteAsync(readModels.Rows().Task(StoredRow(current, matter), S.Revision));
                return Outcome<TaskView>.Ok(current);
            default:
                break;
        }

        return await CommitAsync(() =>
        {
            decision.Apply!(matter);
            Touch(matter);
            switch (matter.Status)
            {
                case DepartmentTaskStatus.Accepted:
                    Record(now, "TaskAccepted", definition.Department, definition.Name);
                    break;
                case DepartmentTaskStatus.Completed:
                    foreach (var (name, value) in matter.Outputs)
                    {
                        S.Outputs[name] = value;
                        _producedOutputs.Add(name);
                    }
                    Record(now, "TaskCompleted", definition.Department, definition.Name);
                    DispatchReadyMatters(now);
                    if (S.Matters.All(m => m.Status == DepartmentTaskStatus.Completed))
                    {
                        S.Status = CaseStatus.Completed;
                        S.CompletedAt = now;
                        Record(now, "CaseCompleted", SystemActor, "Every matter is complete.");
                    }
                    break;
                case DepartmentTaskStatus.Rejected:
                    Record(now, "TaskRejected", definition.Department, $"{definition.Name}: {matter.Reason}");
                    S.Status = CaseStatus.Rejected;
                    S.StatusReason = $"{definition.Name} was rejected: {matter.Reason}";
                    S.CompletedAt = now;
                    CancelOpenTasks(now, $"Case rejected: {definition.Name} was rejected.");
                    Record(now, "CaseRejected", definition.Department, S.StatusReason);
                    break;
                case DepartmentTaskStatus.AwaitingSupplement:
                    S.Status = CaseStatus.AwaitingSupplement;
                    var request = matter.Supplement!;
                    S.PausedSince ??= request.RequestedAt; // 补正: the clock stops until the applicant supplies
                    Record(now, "SupplementRequested", definition.Department,
                        $"{definition.Name} needs: {string.Join(", ", request.Materials)}{(request.Note is { } note ? $" ({note})" : "")}");
                    break;
                default:
                    break;
            }
            return Task.FromResult(Outcome<TaskView>.Ok(TaskView(matter)));
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
        return await CommitAsync(() =>
        {
            _rewritesWhole = true;
            ForgetOpenedApplication();
            foreach (var material in supply.Materials)
            {
                S.Materials.RemoveAll(m => m.Code == material.Code);
                S.Materials.Add(material);
            }
            foreach (var (name, value) in supply.Form)
            {
                S.Form[name] = Sealed(name, value);
            }
            foreach (var promise in deferred)
            {
                S.DeferredMaterials[S.DeferredMaterials.IndexOf(promise)] = promise with { SuppliedAt = now };
                Record(now, "DeferredMaterialSupplied", PortalActor, promise.Code);
            }
            if (answersRequest)
            {
                ResumeAfterSupplement(waiting, now);
            }
            return Task.FromResult(Outcome<CaseView>.Ok(View()));
        });
    }

    /// <summary>
    /// The applicant supplied what was asked: the stopped clocks start again, each deadline moved later by the
    /// time it was stopped (working time for working-day limits), and the tasks return to their departments.
    /// </summary>
    private void ResumeAfterSupplement(List<MatterState> waiting, DateTimeOffset now)
    {
        Record(now, "SupplementProvided", PortalActor, string.Join(", ", waiting.SelectMany(m => m.Supplement?.Materials ?? []).Distinct()));
        if (S.PausedSince is { } since && S.DueAt is { } due)
        {
            S.DueAt = MoveByPause(due, since, now, Item.TimeLimit);
            S.WarningAt = calendar.WarningAt(S.SubmittedAt, S.DueAt.Value, Item.TimeLimit);
            Record(now, "DeadlineMoved", SystemActor, $"Case due {S.DueAt:yyyy-MM-dd HH:mm zzz} after the 补正 pause");
        }
        S.PausedSince = null;

        foreach (var matter in waiting)
        {
            var definition = Item.FindMatter(matter.Code)!;
            if (matter.DueAt is { } matterDue && matter.Supplement is { } request)
            {
                matter.DueAt = MoveByPause(matterDue, request.RequestedAt, now, definition.TimeLimit);
                matter.Supplement = request with { SuppliedAt = now };
            }
            matter.WarningAt = matter.DueAt is { } d && matter.ReadyAt is { } ready ? calendar.WarningAt(ready, d, definition.TimeLimit) : null;
            // Back in the department's Ready inbox, with inputs refreshed from the supplemented application.
            matter.Status = DepartmentTaskStatus.Ready;
            matter.Inputs = InputsFor(definition);
            Touch(matter);
            Record(now, "TaskReady", SystemActor, $"{definition.Name} returned to {definition.Department}");
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
        return await CommitAsync(() =>
        {
            S.Status = CaseStatus.Withdrawn;
            S.StatusReason = string.IsNullOrWhiteSpace(reason) ? "Withdrawn by the applicant." : reason;
            S.CompletedAt = now;
            CancelOpenTasks(now, "The applicant withdrew the case.");
            Record(now, "Withdrawn", PortalActor, S.StatusReason);
            return Task.FromResult(Outcome<CaseView>.Ok(View()));
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

    /// <summary>Makes Ready every Waiting matter whose dependencies are complete, handing it the data it declares.</summary>
    private void DispatchReadyMatters(DateTimeOffset now)
    {
        var included = S.Matters.Select(m => m.Code).ToHashSet();
        var ready = S.Matters
            .Where(m => m.Status == DepartmentTaskStatus.Waiting)
            .Where(m => Item.FindMatter(m.Code)!.DependsOn
                .Where(included.Contains)
                .All(code => S.Matters.Find(d => d.Code == code)!.Status == DepartmentTaskStatus.Completed))
            .ToList();
        foreach (var matter in ready)
        {
            var definition = Item.FindMatter(matter.Code)!;
            matter.Status = DepartmentTaskStatus.Ready;
            matter.ReadyAt = now;
            matter.DueAt = calendar.DueAt(now, definition.TimeLimit);
            matter.WarningAt = matter.DueAt is { } due ? calendar.WarningAt(now, due, definition.TimeLimit) : null;
            matter.Inputs = InputsFor(definition);
            Touch(matter);
            Record(now, "TaskReady", SystemActor, $"{definition.Name} → {definition.Department}");
        }
    }

    private void CancelOpenTasks(DateTimeOffset now, string reason)
    {
        var open = S.Matters.Where(m => m.Status is not (DepartmentTaskStatus.Completed or DepartmentTaskStatus.Rejected or DepartmentTaskStatus.Cancelled)).ToList();
        foreach (var matter in open)
        {
            matter.Status = DepartmentTaskStatus.Cancelled;
            matter.Reason = reason;
            // A matter never dispatched (Waiting) has no inbox row, which the read-model writer knows; its view changes.
            Touch(matter);
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

    /// <summary>
    /// Runs a change and stores it: in one transaction its journal row and the rows it touched (changed tasks' inbox
    /// rows, the applicant's row when status or due date moved, the fallback desk's row); then the snapshot when one is
    /// due. On failure drops the activation.
    /// </summary>
    private async Task<T> CommitAsync<T>(Func<Task<T>> change)
    {
        try
        {
            ForgetViews();
            var result = await change();
            ForgetViews();
            S.Revision++;
            // Armed before the change is stored: a deadline the stored case holds always has a reminder behind it.
            await ArmReminderAsync(clock.GetUtcNow());
            var stored = _rewritesWhole ? CaseChange.Rewrite(S) : CaseChange.Progress(S, _changedTasks, _storedTimeline, _producedOutputs);
            VerifyReplay(stored);
            await WriteReadModelsAsync(all: false, stored);
            _storedTimeline = S.Timeline.Count;
            if (IsEnded || S.Revision - _snapshotRevision >= journalOptions.Value.ChangesPerSnapshot)
            {
                await WriteSnapshotAsync();
            }
            return result;
        }
        catch (Exception error)
        {
            var redacted = DatabaseFailures.Redact(error);
            CommitFailureLog.Write(logger, CaseId, redacted ?? error);
            ForgetViews();
            ForgetOpenedApplication();
            _taskViews.Clear();
            DeactivateOnIdle();
            if (redacted is not null && redacted != error)
            {
                throw redacted; // e.g. a grain-state write: the caller hears SQLSTATE, table and constraint only
            }
            throw;
        }
        finally
        {
            _changedTasks.Clear();
            _producedOutputs.Clear();
            _rewritesWhole = false;
        }
    }

    /// <summary>
    /// The whole case into grain storage, where ops read it and an activation starts from it; the journal rows it holds
    /// are deleted afterwards, in a later batch (rows left behind are skipped on replay and go with the next snapshot).
    /// </summary>
    private async Task WriteSnapshotAsync()
    {
        await state.WriteStateAsync();
        _snapshotRevision = S.Revision;
        // The change and its snapshot are stored: a trim that fails (or a silo shutting down) must not fail the call.
        Task trim;
        try
        {
            trim = readModels.WriteAsync(readModels.Rows().Add(journal.Trim(CaseId, S.Revision)));
        }
        catch (ObjectDisposedException error)
        {
            trim = Task.FromException(error);
        }
        _ = trim.ContinueWith(failed => LogTrimFailed(failed.Exception!, CaseId), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Reads the journal after the snapshot Orleans loaded and replays it, so the case is as last acknowledged.
    /// The first call of every activation, before anything reads the state.
    /// </summary>
    private async Task ReplayJournalAsync(CancellationToken cancellationToken)
    {
        _snapshotRevision = S.Revision;
        foreach (var change in await journal.ReadAsync(CaseId, S.Revision, cancellationToken))
        {
            if (change.Revision != S.Revision + 1)
            {
                throw new InvalidOperationException($"Case {CaseId}: the journal goes from revision {S.Revision} to {change.Revision}.");
            }
            state.State = change.ApplyTo(S);
        }
        _storedTimeline = S.Timeline.Count;
        _lastStored = journalOptions.Value.VerifyChanges ? CaseJournal.Copy(S) : null;
    }

    /// <summary>With <see cref="CaseJournalOptions.VerifyChanges"/>: the change replayed onto the case as last stored must give the case in memory.</summary>
    private void VerifyReplay(CaseChange change)
    {
        if (_lastStored is null)
        {
            return;
        }
        var replayed = CaseJournal.Serialize(change.ApplyTo(CaseJournal.Copy(_lastStored)));
        var current = CaseJournal.Serialize(S);
        if (replayed != current)
        {
            throw new InvalidOperationException(
                $"Case {CaseId}: change {S.Revision} does not replay to the case in memory.\nreplayed: {replayed}\nin memory: {current}");
        }
        _lastStored = CaseJournal.Copy(S);
    }

    /// <summary>
    /// Writes the rows that differ from what this activation last wrote, or every row (on activation), with the
    /// change's journal row when there is one.
    /// </summary>
    private async Task WriteReadModelsAsync(bool all, CaseChange? change = null)
    {
        var rows = readModels.Rows();
        if (change is not null)
        {
            rows.Add(journal.Append(CaseId, change));
        }
        var view = View();
        foreach (var task in view.Tasks)
        {
            // Matters cancelled before they were ever dispatched never had an inbox row.
            if (task.ReadyAt is not null && (all || _changedTasks.Contains(task.MatterCode)))
            {
                rows.Task(StoredRow(task, S.Matters.Find(m => m.Code == task.MatterCode)!), S.Revision);
            }
        }
        var summary = (S.Status, S.DueAt);
        if (all || _projectedSummary != summary)
        {
            rows.ApplicantCase(view, S.Revision);
        }
        if (S.Escalation is not null && (all || !ReferenceEquals(_projectedEscalation, S.Escalation)))
        {
            rows.Escalation(view, S.Revision);
        }
        await readModels.WriteAsync(rows);
        _projectedSummary = summary;
        _projectedEscalation = S.Escalation;
    }

    private void ForgetViews()
    {
        _view = null;
        _document = null;
        _departmentDocuments.Clear();
    }

    private void ForgetOpenedApplication()
    {
        _openedApplicant = null;
        _openedForm = null;
    }

    /// <summary>
    /// Marks a matter changed by the change being committed, once the change has moved it: its inbox row is written
    /// and its view rebuilt on the next read.
    /// </summary>
    private void Touch(MatterState matter)
    {
        _changedTasks.Add(matter.Code);
        _taskViews.Remove(matter.Code);
    }

    /// <summary>A form value as the state holds it: sealed when the field holds personal data.</summary>
    private string Sealed(string field, string value) =>
        PersonalFormFields.Contains(field) ? privacy.Protector.Protect(value) : value;

    /// <summary>A task as its inbox row stores it: the view, with the matter's inputs as the state holds them (sealed).</summary>
    private static TaskView StoredRow(TaskView view, MatterState matter) => view with { Inputs = matter.Inputs };

    private void Record(DateTimeOffset at, string type, string actor, string? detail) =>
        S.Timeline.Add(new TimelineEntry(at, type, actor, detail));

    private TaskView TaskView(MatterState m)
    {
        if (!_taskViews.TryGetValue(m.Code, out var view))
        {
            _taskViews[m.Code] = view = BuildTaskView(m);
        }
        return view;
    }

    private TaskView BuildTaskView(MatterState m)
    {
        var definition = Item.FindMatter(m.Code)!;
        return new TaskView(TaskIds.For(CaseId, m.Code), CaseId, m.Code, definition.Name, definition.Department, m.Status,
            m.ReadyAt, m.DueAt, m.CompletedAt, new Dictionary<string, string>(m.Outputs), Opened(m.Inputs, PersonalFields.IsPersonalInput),
            m.Status == DepartmentTaskStatus.AwaitingSupplement ? m.Supplement : null, m.Reason, S.ItemCode!, definition.Optional,
            m.Warning, m.Overdue);
    }

    /// <summary>
    /// A snapshot of the case, built once per change. Views are [Immutable]: Orleans serializes them after this turn
    /// ends without copying, so they must not share any collection the grain goes on changing.
    /// </summary>
    private CaseView View() => _view ??= new CaseView(CaseId, S.ItemCode!, S.ItemVersion, S.Region, S.Channel, S.Status,
        S.SubmittedAt, S.DueAt, S.CompletedAt, S.Warning, S.Overdue, OpenedApplicant(), S.Matters.Select(TaskView).ToList(),
        [.. S.Timeline], new Dictionary<string, string>(S.Outputs), new Dictionary<string, string>(OpenedForm()), [.. S.Materials],
        [.. S.OptionalMatters], S.Delivery, S.StatusReason, S.Evaluation, S.Escalation, [.. S.DeferredMaterials], S.ItemRegion);

    private Applicant OpenedApplicant() => _openedApplicant ??= S.Applicant! with
    {
        IdNumber = privacy.Protector.UnprotectOrNull(S.Applicant!.IdNumber),
        Phone = privacy.Protector.UnprotectOrNull(S.Applicant!.Phone),
    };

    private Dictionary<string, string> OpenedForm() => _openedForm ??= Opened(S.Form, (name, personal) => personal.Contains(name));

    /// <summary>A copy of <paramref name="values"/> with the personal ones opened.</summary>
    private Dictionary<string, string> Opened(Dictionary<string, string> values, Func<string, IReadOnlySet<string>, bool> isPersonal)
    {
        var opened = new Dictionary<string, string>(values);
        foreach (var (name, value) in values)
        {
            if (PersonalDataProtector.IsProtected(value) && isPersonal(name, PersonalFormFields))
            {
                opened[name] = privacy.Protector.Unprotect(value);
            }
        }
        return opened;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: journal rows its snapshot holds were not deleted; the next snapshot deletes them")]
    private partial void LogTrimFailed(Exception error, string caseId);
}
