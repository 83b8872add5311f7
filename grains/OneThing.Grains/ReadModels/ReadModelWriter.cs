using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;
using OneThing.Grains.FallbackDesk;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.ReadModels;

/// <summary>
/// Writes the read-model rows grains own, and with them the case events they project (<see cref="CaseEventLog"/>).
/// Every read-model row is an idempotent upsert guarded by the writer's revision, so retries and re-projections after
/// a crash converge on the newest state.
/// </summary>
/// <remarks>
/// Rows are group-committed: while one batch is in PostgreSQL, the rows other grains hand in meanwhile queue up and
/// go together in the next one, a single implicit transaction. Each caller still waits until its own rows are
/// committed, so a grain answers only after its read model is written; under load many grains share one commit
/// (and its fsync) instead of paying one each.
/// </remarks>
public sealed class ReadModelWriter : IAsyncDisposable
{
    /// <summary>Keeps one batch's round trip short and its parameters well under PostgreSQL's limit.</summary>
    private const int MaxRowsPerBatch = 256;

    /// <summary>A batch's events share one statement; their ordinals in it must stay below 2^16 (see <see cref="CaseEventLog.Insert"/>).</summary>
    private const int MaxEventsPerBatch = 16_384;

    private readonly NpgsqlDataSource _dataSource;
    private readonly IReadModelFaults _faults;
    private readonly ApplicantIndex _applicantIndex;
    private readonly Channel<PendingRows> _queue = System.Threading.Channels.Channel.CreateUnbounded<PendingRows>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _flusher;

    public ReadModelWriter(NpgsqlDataSource dataSource, IReadModelFaults faults, PrivacyKeys privacy)
    {
        _dataSource = dataSource;
        _faults = faults;
        _applicantIndex = privacy.ApplicantIndex;
        // Off the grain scheduler: the flusher serves every grain of the silo.
        _flusher = Task.Run(FlushAsync);
    }

    /// <summary>Writes <paramref name="rows"/> in one transaction (with other grains' rows) and returns once committed.</summary>
    public Task WriteAsync(ReadModelRows rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return Task.CompletedTask;
        }
        var pending = new PendingRows(rows.Commands, rows.StoredEvents, Activity.Current?.Context ?? default);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(ReadModelWriter), "The silo is shutting down; read-model rows are no longer written.");
        }
        return pending.Committed.Task;
    }

    /// <summary>Starts a set of rows to write together; each row is built at once (and a test fault fires there).</summary>
    public ReadModelRows Rows() => new(this);

    private const string TaskColumns =
        "task_id, case_id, department, matter_code, item_code, status, ready_at, due_at, revision, updated_at, view, overdue, warning";

    private const string TaskUpdate = """
        status = excluded.status, ready_at = excluded.ready_at, due_at = excluded.due_at,
        revision = excluded.revision, updated_at = excluded.updated_at, view = excluded.view,
        overdue = excluded.overdue, warning = excluded.warning
        """;

    private const string OpenTaskRow = $"""
        INSERT INTO onething_department_tasks_open ({TaskColumns})
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11, $12
        WHERE NOT EXISTS (SELECT 1 FROM onething_department_tasks_ended WHERE task_id = $1)
        ON CONFLICT (task_id) DO UPDATE SET {TaskUpdate}
        WHERE onething_department_tasks_open.revision <= excluded.revision
        """;

    private const string EndedTaskRow = $"""
        WITH moved AS (DELETE FROM onething_department_tasks_open WHERE task_id = $1 AND revision <= $9)
        INSERT INTO onething_department_tasks_ended ({TaskColumns})
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11, $12)
        ON CONFLICT (task_id) DO UPDATE SET {TaskUpdate}
        WHERE onething_department_tasks_ended.revision <= excluded.revision
        """;

    internal NpgsqlBatchCommand TaskRow(TaskView task, int revision)
    {
        _faults.BeforeWrite("task", task.TaskId);
        // Open and ended tasks are partitions of one table, each keyed by task id; rows are written to their partition
        // directly (a statement on a plain table, planned as cheaply as before the split). A task that ends moves: its
        // open row goes in the same statement. An open write never lands once the task has ended: tasks do not reopen,
        // so such a write is one that lost a race.
        var command = new NpgsqlBatchCommand(task.Status.IsEnded() ? EndedTaskRow : OpenTaskRow);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.TaskId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.Department });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.MatterCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.Status.ToString() });
        command.Parameters.Add(Timestamp(task.ReadyAt));
        command.Parameters.Add(Timestamp(task.DueAt));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        // A string, though the JSON was UTF-8 first: sent as UTF-8 bytes (byte[] for jsonb) it allocated less, yet the
        // benchmark ran 8-11 % fewer lifecycles per second (eight interleaved runs each way, bench/README.md).
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(task, ViewJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = task.Overdue });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = task.Warning });
        return command;
    }

    /// <summary>The case's row for ops search: flagged overdue (or warned) when the case or any of its tasks is.</summary>
    internal NpgsqlBatchCommand CaseSummaryRow(CaseView view, int revision)
    {
        _faults.BeforeWrite("summary", view.CaseId);
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_case_summaries
                (case_id, item_code, region, status, submitted_at, due_at, completed_at, overdue, warning, departments, revision, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
            ON CONFLICT (case_id) DO UPDATE SET
                status = excluded.status, due_at = excluded.due_at, completed_at = excluded.completed_at,
                overdue = excluded.overdue, warning = excluded.warning, departments = excluded.departments,
                revision = excluded.revision, updated_at = excluded.updated_at
            WHERE onething_case_summaries.revision <= excluded.revision
            """);
        var summary = CaseSummaries.Of(view);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.ItemCode });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)view.Region ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.Status.ToString() });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = view.SubmittedAt.UtcDateTime });
        command.Parameters.Add(Timestamp(view.DueAt));
        command.Parameters.Add(Timestamp(view.CompletedAt));
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = summary.Overdue });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = summary.Warning });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. view.Tasks.Select(t => t.Department).Distinct()] });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        return command;
    }

    internal NpgsqlBatchCommand ApplicantCaseRow(CaseView view, int revision)
    {
        _faults.BeforeWrite("case", view.CaseId);
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_applicant_cases
                (applicant_hash, case_id, item_code, status, submitted_at, due_at, revision, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, now())
            ON CONFLICT (applicant_hash, case_id) DO UPDATE SET
                status = excluded.status, due_at = excluded.due_at, revision = excluded.revision, updated_at = excluded.updated_at
            WHERE onething_applicant_cases.revision <= excluded.revision
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _applicantIndex.KeyOf(view.Applicant.Key) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.Status.ToString() });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = view.SubmittedAt.UtcDateTime });
        command.Parameters.Add(Timestamp(view.DueAt));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        return command;
    }

    /// <summary>The fallback desk's row for an escalated case (办不成事反映窗口): entry id = case id, answer due <paramref name="dueAt"/>.</summary>
    internal NpgsqlBatchCommand EscalationRow(CaseView view, DateTimeOffset dueAt, int revision)
    {
        _faults.BeforeWrite("escalation", view.CaseId);
        var escalation = view.Escalation!;
        return DeskRow(view.CaseId, view, DeskSources.Deadline, escalation.Reason, escalation.At, dueAt,
            escalation.ResolvedAt, escalation.ResolvedBy, escalation.Resolution, revision);
    }

    /// <summary>The fallback desk's row for a case rated 1 or 2 (<see cref="DeskSources.LowRatingEntry"/>).</summary>
    internal NpgsqlBatchCommand LowRatingRow(CaseView view, LowRatingFollowUp followUp, int revision)
    {
        _faults.BeforeWrite("low-rating", view.CaseId);
        return DeskRow(DeskSources.LowRatingEntry(view.CaseId), view, DeskSources.Rating, DeskSources.LowRatingReason, followUp.At,
            followUp.DueAt, followUp.ResolvedAt, followUp.ResolvedBy, followUp.Resolution, revision);
    }

    private static NpgsqlBatchCommand DeskRow(
        string entryId, CaseView view, string source, string reason, DateTimeOffset openedAt, DateTimeOffset dueAt,
        DateTimeOffset? resolvedAt, string? resolvedBy, string? resolution, int revision)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_fallback_desk
                (entry_id, case_id, item_code, source, status, reason, escalated_at, due_at, case_due_at, resolved_at, resolved_by,
                 resolution, revision, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
            ON CONFLICT (entry_id) DO UPDATE SET
                status = excluded.status, due_at = excluded.due_at, case_due_at = excluded.case_due_at,
                resolved_at = excluded.resolved_at, resolved_by = excluded.resolved_by, resolution = excluded.resolution,
                revision = excluded.revision, updated_at = excluded.updated_at
            WHERE onething_fallback_desk.revision <= excluded.revision
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entryId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = source });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = resolvedAt is null ? "open" : "resolved" });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = openedAt.UtcDateTime });
        command.Parameters.Add(Timestamp(dueAt));
        command.Parameters.Add(Timestamp(view.DueAt));
        command.Parameters.Add(Timestamp(resolvedAt));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)resolvedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)resolution ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _flusher.ConfigureAwait(false);
    }

    private async Task FlushAsync()
    {
        var reader = _queue.Reader;
        var batchOf = new List<PendingRows>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var rows = 0;
            var events = new List<StoredEvent>();
            while (rows < MaxRowsPerBatch && events.Count < MaxEventsPerBatch && reader.TryRead(out var next))
            {
                batchOf.Add(next);
                rows += next.Commands.Count;
                events.AddRange(next.Events);
            }
            var started = Stopwatch.GetTimestamp();
            // The commit is a span of the first caller's trace (at low load the only one: HTTP → grain → commit → Npgsql)
            // and linked from every other caller's; nothing is created while no one listens.
            using var span = OneThingMetrics.Activities.HasListeners() ? CommitSpan(batchOf) : null;
            try
            {
                await using var batch = _dataSource.CreateBatch();
                foreach (var pending in batchOf)
                {
                    foreach (var command in pending.Commands)
                    {
                        batch.BatchCommands.Add(command);
                    }
                }
                if (events.Count > 0)
                {
                    batch.BatchCommands.Add(CaseEventLog.Insert(events));
                }
                await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
                // Counted once stored, before any caller hears so: a failed batch counts nothing, its retry counts once.
                OneThingMetrics.Committed(events, batchOf.Count, Stopwatch.GetElapsedTime(started));
                batchOf.ForEach(pending => pending.Committed.TrySetResult());
            }
            catch (Exception error)
            {
                OneThingMetrics.CommitFailed(Stopwatch.GetElapsedTime(started));
                span?.SetStatus(ActivityStatusCode.Error);
                // The whole batch was one transaction: none of it is written, and every grain in it hears so. They hear
                // SQLSTATE, table and constraint only: the server's text can quote a row of any grain in the batch.
                var failure = DatabaseFailures.Redact(error) ?? error;
                batchOf.ForEach(pending => pending.Committed.TrySetException(failure));
            }
            batchOf.Clear();
        }
    }

    private static Activity? CommitSpan(List<PendingRows> batch)
    {
        var parent = batch.Find(pending => pending.Caller != default)?.Caller ?? default;
        var links = batch.Where(pending => pending.Caller != default && pending.Caller != parent).Select(pending => new ActivityLink(pending.Caller));
        var span = OneThingMetrics.Activities.StartActivity("onething.commit", ActivityKind.Internal, parent, links: links);
        span?.SetTag("onething.commit.changes", batch.Count);
        return span;
    }

    private static NpgsqlParameter Timestamp(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.UtcDateTime : DBNull.Value };

    private sealed class PendingRows(IReadOnlyList<NpgsqlBatchCommand> commands, IReadOnlyList<StoredEvent> events, ActivityContext caller)
    {
        /// <summary>The span of the grain call that handed the rows in, if it is traced.</summary>
        public ActivityContext Caller { get; } = caller;

        public IReadOnlyList<NpgsqlBatchCommand> Commands { get; } = commands;

        public IReadOnlyList<StoredEvent> Events { get; } = events;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// What one grain change writes together: its events, and the rows they touch (its tasks' inbox rows, the applicant's
/// row, the fallback desk's).
/// </summary>
public sealed class ReadModelRows
{
    private readonly ReadModelWriter _writer;
    private readonly List<NpgsqlBatchCommand> _commands = [];
    private readonly List<StoredEvent> _events = [];

    internal ReadModelRows(ReadModelWriter writer) => _writer = writer;

    public int Count => _commands.Count + _events.Count;

    internal IReadOnlyList<NpgsqlBatchCommand> Commands => _commands;

    internal IReadOnlyList<StoredEvent> StoredEvents => _events;

    /// <summary>
    /// A case's new events, serialized now; with the case's directory row when they begin the case (its first event).
    /// <paramref name="taskReadyAt"/> says when a matter's task was first Ready, which its completion's metrics measure from.
    /// </summary>
    public ReadModelRows Events(IReadOnlyList<CaseEvent> events, DateTimeOffset submittedAt, string itemCode, string? region,
        Func<string, DateTimeOffset?>? taskReadyAt = null)
    {
        var month = CaseEventAccess.MonthOf(submittedAt);
        foreach (var e in events)
        {
            if (e.Seq == 1)
            {
                _commands.Add(CaseEventLog.Directory(e.CaseId, month, itemCode, region, submittedAt));
            }
            var readyAt = e is { Data: TaskCompleted, MatterCode: { } matter } ? taskReadyAt?.Invoke(matter) : null;
            _events.Add(new StoredEvent(e, month, itemCode, region, CaseEventTypes.CurrentVersion(e.Data), CaseEventTypes.Serialize(e.Data), readyAt));
        }
        return this;
    }

    public ReadModelRows Task(TaskView task, int revision)
    {
        _commands.Add(_writer.TaskRow(task, revision));
        return this;
    }

    public ReadModelRows CaseSummary(CaseView view, int revision)
    {
        _commands.Add(_writer.CaseSummaryRow(view, revision));
        return this;
    }

    public ReadModelRows ApplicantCase(CaseView view, int revision)
    {
        _commands.Add(_writer.ApplicantCaseRow(view, revision));
        return this;
    }

    public ReadModelRows Escalation(CaseView view, DateTimeOffset dueAt, int revision)
    {
        _commands.Add(_writer.EscalationRow(view, dueAt, revision));
        return this;
    }

    public ReadModelRows LowRating(CaseView view, LowRatingFollowUp followUp, int revision)
    {
        _commands.Add(_writer.LowRatingRow(view, followUp, revision));
        return this;
    }

    /// <summary>A statement that must commit with these rows (the deletion of a converted case's old journal).</summary>
    internal ReadModelRows Add(NpgsqlBatchCommand command)
    {
        _commands.Add(command);
        return this;
    }
}

/// <summary>
/// A seam for tests that must prove convergence after a crash between a grain's own write and its read-model
/// write. Production registers <see cref="NoReadModelFaults"/>.
/// </summary>
public interface IReadModelFaults
{
    /// <summary>Called as each read-model row is built, before it is written; throwing here simulates the process dying at that point.</summary>
    void BeforeWrite(string kind, string id);
}

public sealed class NoReadModelFaults : IReadModelFaults
{
    public void BeforeWrite(string kind, string id)
    {
    }
}
