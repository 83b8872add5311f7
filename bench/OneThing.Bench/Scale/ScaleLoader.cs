using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;

namespace OneThing.Bench.Scale;

/// <summary>
/// Bulk loader for the scale scenario: each case is decided and folded by the real case model (<c>retirement</c>, the
/// shipped catalog and calendar), and its rows are what the write path stores for it, copied in with COPY: its events
/// (data serialized by <see cref="CaseEventTypes"/>, personal values sealed), its directory row, its tasks' inbox rows
/// (the task view as the case grain builds it), its applicant row and its search row, sealed and keyed under the
/// privacy keys the API uses. Left out: the case snapshot (Orleans grain state; an ended case writes one) and the
/// fallback desk's rows of the escalated ones, which no measured route reads. The statistics are then projected by
/// the real projector from these events.
/// </summary>
public sealed class ScaleLoader(NpgsqlDataSource database, ItemDefinition item, WorkingCalendar calendar, PrivacyKeys privacy)
{
    private static readonly string[] Regions = ["beijing", "shanghai", "chongqing", "guangzhou", "chengdu"];

    private readonly PersonalDataProtector _protector = privacy.Protector;

    private long _position;

    /// <summary>Every case is filed by one applicant, as the seed's fixtures do: a valid identity number.</summary>
    private const string IdNumber = "11010519491231002X";

    /// <summary>Loads <paramref name="ended"/> ended cases submitted over the year before <paramref name="now"/> and <paramref name="open"/> open ones from its last 30 days.</summary>
    public async Task LoadAsync(int ended, int open, DateTimeOffset now, Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        const int Batch = 2000;
        var total = ended + open;
        for (var start = 0; start < total; start += Batch)
        {
            var cases = new List<(string Id, CaseState State, List<CaseEvent> Events)>();
            for (var i = start; i < Math.Min(total, start + Batch); i++)
            {
                var isOpen = i >= ended;
                var submitted = isOpen
                    ? now - TimeSpan.FromDays(30) * ((i - ended + 0.5) / Math.Max(1, open))
                    : now - TimeSpan.FromDays(365) * ((i + 0.5) / Math.Max(1, ended));
                cases.Add(Run($"cscale{i:D8}", i, CaseDecisions.StoredPrecision(submitted), isOpen));
            }
            await WriteAsync(cases, cancellationToken);
            progress?.Invoke(Math.Min(total, start + Batch));
        }
    }

    private (string Id, CaseState State, List<CaseEvent> Events) Run(string caseId, int index, DateTimeOffset at, bool open)
    {
        var state = new CaseState();
        var events = new List<CaseEvent>();
        void Do(CaseCommand command, DateTimeOffset when)
        {
            var decision = CaseDecisions.Decide(state, caseId, command, when, item, calendar);
            if (decision.IsRefused)
            {
                throw new InvalidOperationException($"{caseId}: {command.GetType().Name} refused: {decision.Error}");
            }
            foreach (var e in decision.Events)
            {
                state = CaseEvolution.Apply(state, e, item);
                events.Add(e);
            }
        }

        var portal = new EventActor("portal", "bench");
        Do(Application(index), at);
        if (open)
        {
            return (caseId, state, events);
        }
        // Some ran late: every tenth case's first matters are worked a week after submission.
        var delay = index % 10 == 0 ? TimeSpan.FromDays(7) : TimeSpan.FromHours(20);
        var when = at + delay;
        if (index % 10 == 0)
        {
            Do(new CheckDeadlines(), when);
        }
        while (!CaseDecisions.IsEnded(state))
        {
            foreach (var matter in state.Matters.Where(m => m.Status is DepartmentTaskStatus.Ready).Select(m => m.Code).ToList())
            {
                var definition = item.FindMatter(matter)!;
                var department = new EventActor("department", $"bench-{definition.Department}", definition.Department);
                Do(new ActOnTask(matter, new TaskAction(TaskActionKind.Complete, definition.Department,
                    Outputs: definition.Outputs.ToDictionary(o => o, o => $"{o}-{index}")), department), when);
                when += TimeSpan.FromHours(3);
            }
        }
        if (index % 4 == 0)
        {
            Do(new Evaluate(1 + index / 4 % 5, null, portal), when + TimeSpan.FromHours(1));
        }
        return (caseId, state, events);
    }

    private Submit Application(int index)
    {
        var produced = item.Matters.SelectMany(m => m.Outputs).ToHashSet(StringComparer.Ordinal);
        var form = item.Matters.SelectMany(m => m.Inputs)
            .Where(input => !input.StartsWith("applicant.", StringComparison.Ordinal) && !produced.Contains(input))
            .Distinct()
            .ToDictionary(input => input, input => $"{input}-{index}");
        var materials = item.Materials.Where(m => m.Required)
            .Select(m => new MaterialRef(m.Code, $"https://files.example.gov.cn/{index}/{m.Code}.pdf", null)).ToList();
        var applicant = new Applicant("person", "张三", _protector.Protect(IdNumber), null, _protector.Protect("13800138000"));
        return new Submit(new SubmitCase(item.Code, "online", Regions[index % Regions.Length], applicant, form, materials, [], null,
            _protector.Protect($"fingerprint-{index}"), item.Version), new EventActor("portal", "bench"));
    }

    private async Task WriteAsync(List<(string Id, CaseState State, List<CaseEvent> Events)> cases, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY onething_case_events (case_month, case_id, seq, position, type, version, at, actor_role, actor_name, actor_department,
                                       matter_code, department, item_code, region, data) FROM STDIN (FORMAT BINARY)
            """, cancellationToken))
        {
            foreach (var (id, state, events) in cases)
            {
                var month = CaseEventAccess.MonthOf(state.SubmittedAt);
                foreach (var e in events)
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(month, NpgsqlDbType.Date, cancellationToken);
                    await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(e.Seq, NpgsqlDbType.Integer, cancellationToken);
                    await copy.WriteAsync(++_position, NpgsqlDbType.Bigint, cancellationToken);
                    await copy.WriteAsync(e.Type, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(CaseEventTypes.CurrentVersion(e.Data), NpgsqlDbType.Smallint, cancellationToken);
                    await copy.WriteAsync(e.At.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                    await copy.WriteAsync(e.Actor.Role, NpgsqlDbType.Text, cancellationToken);
                    await Nullable(copy, e.Actor.Name, cancellationToken);
                    await Nullable(copy, e.Actor.Department, cancellationToken);
                    await Nullable(copy, e.MatterCode, cancellationToken);
                    await Nullable(copy, e.Department, cancellationToken);
                    await copy.WriteAsync(item.Code, NpgsqlDbType.Text, cancellationToken);
                    await Nullable(copy, state.Region, cancellationToken);
                    await copy.WriteAsync(CaseEventTypes.Serialize(e.Data), NpgsqlDbType.Jsonb, cancellationToken);
                }
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY onething_case_directory (case_id, case_month, item_code, region, submitted_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var (id, state, _) in cases)
            {
                await copy.WriteRowAsync(cancellationToken, id, CaseEventAccess.MonthOf(state.SubmittedAt), item.Code, state.Region!, state.SubmittedAt.UtcDateTime);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY onething_department_tasks (task_id, case_id, department, matter_code, item_code, status, ready_at, due_at, revision,
                                            updated_at, view, overdue, warning) FROM STDIN (FORMAT BINARY)
            """, cancellationToken))
        {
            foreach (var (id, state, _) in cases)
            {
                foreach (var m in state.Matters.Where(m => m.ReadyAt is not null))
                {
                    var definition = item.FindMatter(m.Code)!;
                    var view = new TaskView(TaskIds.For(id, m.Code), id, m.Code, definition.Name, definition.Department, m.Status, m.ReadyAt,
                        m.DueAt, m.CompletedAt, m.Outputs, m.Inputs, null, m.Reason, item.Code, definition.Optional, m.Warning, m.Overdue);
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(view.TaskId, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(definition.Department, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(m.Code, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(item.Code, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(m.Status.ToString(), NpgsqlDbType.Text, cancellationToken);
                    await Time(copy, m.ReadyAt, cancellationToken);
                    await Time(copy, m.DueAt, cancellationToken);
                    await copy.WriteAsync(state.Revision, NpgsqlDbType.Integer, cancellationToken);
                    await copy.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz, cancellationToken);
                    await copy.WriteAsync(JsonSerializer.Serialize(view, ViewJson.Options), NpgsqlDbType.Jsonb, cancellationToken);
                    await copy.WriteAsync(m.Overdue, NpgsqlDbType.Boolean, cancellationToken);
                    await copy.WriteAsync(m.Warning, NpgsqlDbType.Boolean, cancellationToken);
                }
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY onething_case_summaries (case_id, item_code, region, status, submitted_at, due_at, completed_at, overdue, warning,
                                          departments, revision, updated_at) FROM STDIN (FORMAT BINARY)
            """, cancellationToken))
        {
            foreach (var (id, state, _) in cases)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(item.Code, NpgsqlDbType.Text, cancellationToken);
                await Nullable(copy, state.Region, cancellationToken);
                await copy.WriteAsync(state.Status.ToString(), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(state.SubmittedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await Time(copy, state.DueAt, cancellationToken);
                await Time(copy, state.CompletedAt, cancellationToken);
                await copy.WriteAsync(state.Overdue || state.Matters.Any(m => m.Overdue), NpgsqlDbType.Boolean, cancellationToken);
                await copy.WriteAsync(state.Warning || state.Matters.Any(m => m.Warning), NpgsqlDbType.Boolean, cancellationToken);
                await copy.WriteAsync(state.Matters.Select(m => item.FindMatter(m.Code)!.Department).Distinct().ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(state.Revision, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY onething_applicant_cases (applicant_hash, case_id, item_code, status, submitted_at, due_at, revision, updated_at)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken))
        {
            var hash = privacy.ApplicantIndex.KeyOf(IdNumber);
            foreach (var (id, state, _) in cases)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(hash, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(item.Code, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(state.Status.ToString(), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(state.SubmittedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await Time(copy, state.DueAt, cancellationToken);
                await copy.WriteAsync(state.Revision, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static Task Nullable(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task Time(NpgsqlBinaryImporter copy, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } v ? copy.WriteAsync(v.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken) : copy.WriteNullAsync(cancellationToken);
}
