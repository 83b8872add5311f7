using System.Text.Json;
using Microsoft.Extensions.Logging;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases.Legacy;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;
using OneThing.Grains.Hosting;
using OneThing.Grains.ReadModels;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// The shell around one case's rules (<see cref="CaseDecisions"/>, <see cref="CaseEvolution"/>): it loads the case,
/// decides, appends the events with the read-model rows they touch in one group-committed transaction, folds them in,
/// and keeps the deadline reminder pointing at the next deadline. Now and then, and when the case ends, the whole
/// case is written as its snapshot (Orleans grain storage), so an activation reads the snapshot and only the events
/// after it. A failed write drops the activation, so memory never runs ahead of storage.
/// </summary>
/// <remarks>
/// Identity numbers and phones are held sealed in the state (<see cref="PersonalDataProtector"/>), so the snapshot,
/// the events and the inbox rows store them sealed without any work on the write path; they are opened when a view
/// is built, which happens once per change.
/// </remarks>
public sealed partial class CaseGrain(
    [PersistentState("case", GrainStorage.Main)] IPersistentState<CaseState> state,
    ItemCatalog catalog,
    WorkingCalendar calendar,
    ReadModelWriter readModels,
    CaseEventLog eventLog,
    LegacyCaseJournal legacyJournal,
    PrivacyKeys privacy,
    Microsoft.Extensions.Options.IOptions<CaseSnapshotOptions> snapshotOptions,
    Microsoft.Extensions.Options.IOptions<FallbackDesk.FallbackDeskOptions> deskOptions,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Orleans.Hosting.ReminderOptions> reminderOptions,
    ILogger<CaseGrain> logger) : Grain, ICaseGrain
{
    public const string PortalActor = "portal";
    public const string SystemActor = EventActor.SystemRole;

    /// <summary>The case's definition: resolved once per activation (<see cref="ResolveItemAsync"/>) or by the submission.</summary>
    private ItemDefinition? _item;

    /// <summary>What this activation last wrote to the applicant's read-model row; null until it wrote once.</summary>
    private (CaseStatus, DateTimeOffset?)? _projectedSummary;

    /// <summary>What this activation last wrote to the case's search row; null until it wrote once.</summary>
    private CaseSummaryFlags? _projectedFlags;

    /// <summary>The fallback desk's rows as this activation last wrote them.</summary>
    private Escalation? _projectedEscalation;
    private LowRatingFollowUp? _projectedFollowUp;

    /// <summary>The sequence number of the snapshot in grain storage: the events after it are replayed on activation.</summary>
    private int _snapshotSeq;

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

    private bool IsEnded => CaseDecisions.IsEnded(S);

    /// <summary>Never reads the database: a case that exists resolved its definition when it activated.</summary>
    private ItemDefinition Item => _item ??= catalog.FindVariant(S.ItemCode!, S.ItemRegion, S.ItemVersion) ?? throw MissingItem(S.ItemCode!, S.ItemRegion, S.ItemVersion);

    /// <summary>The names of the case's form fields that hold personal data; with the definition.</summary>
    private IReadOnlySet<string> PersonalFormFields => _personalFormFields ??= PersonalFields.FormFields(Item);

    private IReadOnlySet<string>? _personalFormFields;

    /// <summary>
    /// Finds the case's own variant and version, reading it from the table of published versions when this silo does
    /// not hold it yet (published through another silo since the last refresh), without blocking the activation's thread.
    /// </summary>
    private async Task<ItemDefinition> ResolveItemAsync(string code, string? region, int version, CancellationToken cancellationToken) =>
        _item = await catalog.FindVariantAsync(code, region, version, cancellationToken) ?? throw MissingItem(code, region, version);


    private InvalidOperationException MissingItem(string code, string? region, int version) => new(
        $"Case {CaseId} runs {ItemCatalog.Describe(code, region, version)}, which the catalog does not have.");

    public async Task<Outcome<CaseView>> SubmitAsync(SubmitCase command, EventActor actor)
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
        var personal = PersonalFields.FormFields(item);
        // Sealed before the rules see it: the events and the state store personal values sealed. The fingerprint too: a
        // hash of an application with few personal values is a hash of an identity number the rest lets anyone recompute.
        var sealedApplication = command with
        {
            Applicant = command.Applicant with
            {
                IdNumber = privacy.Protector.ProtectOrNull(command.Applicant.IdNumber),
                Phone = privacy.Protector.ProtectOrNull(command.Applicant.Phone),
            },
            Form = command.Form.ToDictionary(field => field.Key, field => Sealed(personal, field.Key, field.Value), StringComparer.Ordinal),
            Fingerprint = privacy.Protector.Protect(command.Fingerprint),
        };
        var decision = CaseDecisions.Decide(S, CaseId, new Submit(sealedApplication, actor), clock.GetUtcNow(), item, calendar);
        if (decision.IsRefused)
        {
            return decision.ToOutcome<CaseView>();
        }
        _item = item;
        _personalFormFields = personal;
        await CommitAsync(decision);
        return Outcome<CaseView>.Created(View());
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

    public Task<CaseEventAccess?> GetEventAccessAsync(string? department) => Task.FromResult(
        !Exists || (department is not null && !View().Tasks.Any(t => t.Department == department && DepartmentCaseView.WasDispatched(t)))
            ? null
            : new CaseEventAccess(CaseEventAccess.MonthOf(S.SubmittedAt)));

    public async Task<Outcome<TaskView>> ActOnTaskAsync(string matterCode, TaskAction action, EventActor actor)
    {
        var decision = Decide(new ActOnTask(matterCode, action, actor));
        if (decision.IsRefused)
        {
            return decision.ToOutcome<TaskView>();
        }
        var matter = S.Matters.Find(m => m.Code == matterCode)!;
        if (decision.IsUnchanged)
        {
            // A repeat: the change is stored; write its row again in case the first answer was lost with its row.
            var current = TaskView(matter);
            await readModels.WriteAsync(readModels.Rows().Task(StoredRow(current, matter), S.Revision));
            return Outcome<TaskView>.Ok(current);
        }
        await CommitAsync(decision);
        return Outcome<TaskView>.Ok(TaskView(matter));
    }

    public async Task<Outcome<CaseView>> SupplyAsync(SupplyMaterials supply, EventActor actor)
    {
        if (!Exists)
        {
            return Outcome<CaseView>.NotFound("No such case.");
        }
        if (SupplyValidation.Normalize(Item, supply, out var errors) is not { } normalized)
        {
            return Outcome<CaseView>.Invalid(errors);
        }
        var sealedSupply = normalized with
        {
            Form = normalized.Form.ToDictionary(field => field.Key, field => Sealed(PersonalFormFields, field.Key, field.Value), StringComparer.Ordinal),
        };
        return await DecideAndCommitAsync(new Supply(sealedSupply, actor));
    }

    public Task<Outcome<CaseView>> WithdrawAsync(string? reason, EventActor actor) => DecideAndCommitAsync(new Withdraw(reason, actor));

    public Task<Outcome<CaseView>> EvaluateAsync(int rating, string? comment, EventActor actor) =>
        DecideAndCommitAsync(new Evaluate(rating, comment, actor, deskOptions.Value.Limit));

    public Task<Outcome<CaseView>> ResolveLowRatingAsync(string resolvedBy, string resolution, EventActor actor) =>
        DecideAndCommitAsync(new ResolveLowRating(resolvedBy, resolution, actor));

    /// <summary>Decides a command about the case as a whole and answers the case as it is afterwards.</summary>
    private async Task<Outcome<CaseView>> DecideAndCommitAsync(CaseCommand command)
    {
        var decision = Decide(command);
        if (decision.IsRefused)
        {
            return decision.ToOutcome<CaseView>();
        }
        await CommitAsync(decision);
        return Outcome<CaseView>.Ok(View());
    }

    /// <summary>The rules on the case as it is now; a case that does not exist has no definition to decide with.</summary>
    private Decision Decide(CaseCommand command) => Exists
        ? CaseDecisions.Decide(S, CaseId, command, clock.GetUtcNow(), Item, calendar)
        : Decision.Refused(OutcomeKind.NotFound, command is ActOnTask ? "No such task." : "No such case.");

    /// <summary>
    /// Stores a decision's events: folds them in, arms the reminder for the next deadline, and writes the events with
    /// the rows they touched (the touched tasks' inbox rows, the applicant's row when status or due date moved, the
    /// fallback desk's row) in one transaction; then the snapshot when one is due. On failure drops the activation.
    /// </summary>
    private async Task CommitAsync(Decision decision)
    {
        if (decision.Events.Count == 0)
        {
            return;
        }
        try
        {
            var touched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in decision.Events)
            {
                Fold(e);
                if (e.MatterCode is { } code)
                {
                    touched.Add(code);
                }
            }
            // Armed before the events are stored: a deadline the stored case holds always has a reminder behind it.
            await ArmReminderAsync(clock.GetUtcNow());
            await WriteAsync(decision.Events, touched);
            if (IsEnded || S.Seq - _snapshotSeq >= snapshotOptions.Value.ChangesPerSnapshot)
            {
                await WriteSnapshotAsync();
            }
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
    }

    /// <summary>Folds one event into the state and forgets what it made stale.</summary>
    private void Fold(CaseEvent e)
    {
        state.State = CaseEvolution.Apply(S, e, Item);
        ForgetViews();
        if (e.MatterCode is { } code)
        {
            _taskViews.Remove(code);
        }
        if (e.Data is CaseSubmitted or SupplementProvided or CaseImported)
        {
            ForgetOpenedApplication();
        }
    }

    /// <summary>The whole case into grain storage, where ops read it and an activation starts from it.</summary>
    private async Task WriteSnapshotAsync()
    {
        await state.WriteStateAsync();
        _snapshotSeq = S.Seq;
    }

    /// <summary>
    /// Reads the events after the snapshot Orleans loaded and folds them in, so the case is as last acknowledged; a case
    /// stored before events existed is converted first. The first call of every activation, before anything reads the state.
    /// </summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (Exists && S.Seq == 0)
        {
            await ConvertLegacyCaseAsync(cancellationToken);
            return;
        }
        _snapshotSeq = S.Seq;
        var events = await eventLog.ReadAsync(CaseId, S.Seq, cancellationToken);
        if (events.Count == 0)
        {
            return;
        }
        if (!Exists)
        {
            var submitted = events[0].Data as CaseSubmitted
                ?? throw new InvalidOperationException($"Case {CaseId}: its first event is {events[0].Type}, not {nameof(CaseSubmitted)}.");
            await ResolveItemAsync(submitted.ItemCode, submitted.ItemRegion, submitted.ItemVersion, cancellationToken);
        }
        else
        {
            await ResolveItemAsync(S.ItemCode!, S.ItemRegion, S.ItemVersion, cancellationToken);
        }
        foreach (var e in events)
        {
            Fold(e);
        }
    }

    /// <summary>
    /// A case an earlier release stored as a snapshot and a change journal: the journal replayed onto the snapshot, and
    /// the result stored as the case's first event (<see cref="CaseImported"/>) in the transaction that deletes its
    /// journal rows.
    /// </summary>
    private async Task ConvertLegacyCaseAsync(CancellationToken cancellationToken)
    {
        foreach (var change in await legacyJournal.ReadAsync(CaseId, S.Revision, cancellationToken))
        {
            if (change.Revision != S.Revision + 1)
            {
                throw new InvalidOperationException($"Case {CaseId}: the journal goes from revision {S.Revision} to {change.Revision}.");
            }
            state.State = change.ApplyTo(S);
        }
        await ResolveItemAsync(S.ItemCode!, S.ItemRegion, S.ItemVersion, cancellationToken);
        var imported = new CaseEvent(CaseId, 1, CaseDecisions.StoredPrecision(clock.GetUtcNow()), EventActor.System, new CaseImported(S.Revision, CaseStateJson.ToElement(S)));
        Fold(imported);
        var rows = readModels.Rows().Events([imported], S.SubmittedAt, S.ItemCode!, S.Region).Add(LegacyCaseJournal.Delete(CaseId));
        await readModels.WriteAsync(rows);
        await WriteSnapshotAsync();
    }

    /// <summary>Writes the events with the rows that differ from what this activation last wrote.</summary>
    private Task WriteAsync(IReadOnlyList<CaseEvent> events, IReadOnlySet<string> touchedMatters) =>
        WriteReadModelsAsync(all: false, touchedMatters,
            readModels.Rows().Events(events, S.SubmittedAt, S.ItemCode!, S.Region, matter => S.Matters.Find(m => m.Code == matter)?.ReadyAt));

    /// <summary>Writes every read-model row of the case (on activation), or those of the touched matters and what moved.</summary>
    private async Task WriteReadModelsAsync(bool all, IReadOnlySet<string>? touchedMatters = null, ReadModelRows? rows = null)
    {
        rows ??= readModels.Rows();
        var view = View();
        foreach (var task in view.Tasks)
        {
            // Matters cancelled before they were ever dispatched never had an inbox row.
            if (task.ReadyAt is not null && (all || touchedMatters!.Contains(task.MatterCode)))
            {
                rows.Task(StoredRow(task, S.Matters.Find(m => m.Code == task.MatterCode)!), S.Revision);
            }
        }
        var summary = (S.Status, S.DueAt);
        if (all || _projectedSummary != summary)
        {
            rows.ApplicantCase(view, S.Revision);
        }
        var flags = CaseSummaries.Of(view);
        if (all || _projectedFlags != flags)
        {
            rows.CaseSummary(view, S.Revision);
        }
        if (S.Escalation is not null && (all || !ReferenceEquals(_projectedEscalation, S.Escalation)))
        {
            rows.Escalation(view, calendar.DueAt(S.Escalation.At, deskOptions.Value.Limit), S.Revision);
        }
        if (S.LowRatingFollowUp is not null && (all || !ReferenceEquals(_projectedFollowUp, S.LowRatingFollowUp)))
        {
            rows.LowRating(view, S.LowRatingFollowUp, S.Revision);
        }
        await readModels.WriteAsync(rows);
        _projectedSummary = summary;
        _projectedFlags = flags;
        _projectedEscalation = S.Escalation;
        _projectedFollowUp = S.LowRatingFollowUp;
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

    /// <summary>A form value as the state holds it: sealed when the field holds personal data.</summary>
    private string Sealed(IReadOnlySet<string> personal, string field, string value) =>
        personal.Contains(field) ? privacy.Protector.Protect(value) : value;

    /// <summary>A task as its inbox row stores it: the view, with the matter's inputs as the state holds them (sealed).</summary>
    private static TaskView StoredRow(TaskView view, MatterState matter) => view with { Inputs = matter.Inputs };

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
}

/// <summary>Settings of section <c>OneThing:Cases</c> that shape how cases are stored.</summary>
public sealed class CaseSnapshotOptions
{
    public const string SectionName = "OneThing:Cases";

    /// <summary>
    /// After this many events since its last snapshot a case writes its whole state as a new one, so an activation
    /// folds in at most this many events. An ended case writes its snapshot at once. (The name is from the change
    /// journal events replaced; the key stays.)
    /// </summary>
    public int ChangesPerSnapshot { get; set; } = 32;
}
