using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.ReadModels;

/// <summary>
/// Writes the read-model rows grains own. Every write is an idempotent upsert guarded by the writer's revision,
/// so retries and re-projections after a crash converge on the newest state.
/// </summary>
public sealed class ReadModelWriter(NpgsqlDataSource dataSource, IReadModelFaults faults)
{
    public async Task UpsertTaskAsync(TaskView task, int revision)
    {
        faults.BeforeWrite("task", task.TaskId);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO onething_department_tasks
                (task_id, case_id, department, matter_code, item_code, status, ready_at, due_at, revision, updated_at, view)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10)
            ON CONFLICT (task_id) DO UPDATE SET
                status = excluded.status, ready_at = excluded.ready_at, due_at = excluded.due_at,
                revision = excluded.revision, updated_at = excluded.updated_at, view = excluded.view
            WHERE onething_department_tasks.revision <= excluded.revision
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.TaskId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.Department });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.MatterCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task.Status.ToString() });
        command.Parameters.Add(Timestamp(task.ReadyAt));
        command.Parameters.Add(Timestamp(task.DueAt));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(task, ViewJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync();
    }

    public async Task UpsertApplicantCaseAsync(CaseView view, int revision)
    {
        faults.BeforeWrite("case", view.CaseId);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO onething_applicant_cases
                (applicant_hash, case_id, item_code, status, submitted_at, due_at, revision, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, now())
            ON CONFLICT (applicant_hash, case_id) DO UPDATE SET
                status = excluded.status, due_at = excluded.due_at, revision = excluded.revision, updated_at = excluded.updated_at
            WHERE onething_applicant_cases.revision <= excluded.revision
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApplicantKeys.Hash(view.Applicant.Key) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.Status.ToString() });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = view.SubmittedAt.UtcDateTime });
        command.Parameters.Add(Timestamp(view.DueAt));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The fallback desk's row for an escalated case (办不成事反映窗口).</summary>
    public async Task UpsertEscalationAsync(CaseView view, int revision)
    {
        faults.BeforeWrite("escalation", view.CaseId);
        var escalation = view.Escalation!;
        await using var command = dataSource.CreateCommand("""
            INSERT INTO onething_fallback_desk
                (case_id, item_code, status, reason, escalated_at, due_at, resolved_at, resolved_by, resolution, revision, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
            ON CONFLICT (case_id) DO UPDATE SET
                status = excluded.status, due_at = excluded.due_at, resolved_at = excluded.resolved_at,
                resolved_by = excluded.resolved_by, resolution = excluded.resolution,
                revision = excluded.revision, updated_at = excluded.updated_at
            WHERE onething_fallback_desk.revision <= excluded.revision
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.CaseId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = escalation.ResolvedAt is null ? "open" : "resolved" });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = escalation.Reason });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = escalation.At.UtcDateTime });
        command.Parameters.Add(Timestamp(view.DueAt));
        command.Parameters.Add(Timestamp(escalation.ResolvedAt));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)escalation.ResolvedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)escalation.Resolution ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = revision });
        await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter Timestamp(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.UtcDateTime : DBNull.Value };
}

/// <summary>
/// A seam for tests that must prove convergence after a crash between a grain's own write and its read-model
/// write. Production registers <see cref="NoReadModelFaults"/>.
/// </summary>
public interface IReadModelFaults
{
    /// <summary>Called before each read-model write; throwing here simulates the process dying at that point.</summary>
    void BeforeWrite(string kind, string id);
}

public sealed class NoReadModelFaults : IReadModelFaults
{
    public void BeforeWrite(string kind, string id)
    {
    }
}
