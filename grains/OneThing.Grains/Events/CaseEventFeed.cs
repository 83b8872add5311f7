using Npgsql;

namespace OneThing.Grains.Events;

/// <summary>
/// One stored event as it may be served: its <see cref="Data"/> is the stored JSON without the
/// <see cref="CaseEventTypes.PrivateMember"/> member, as PostgreSQL wrote it.
/// </summary>
/// <param name="Department">The department owning <paramref name="MatterCode"/>; null for a case-level event.</param>
public sealed record CaseEventRow(
    long Position,
    string CaseId,
    string ItemCode,
    string? Region,
    int Seq,
    string Type,
    DateTimeOffset At,
    string ActorRole,
    string? ActorName,
    string? ActorDepartment,
    string? MatterCode,
    string? Department,
    string Data)
{
    public string? TaskId => MatterCode is null ? null : Tasks.TaskIds.For(CaseId, MatterCode);
}

/// <summary>
/// Reads stored case events for those outside the case: one case's events in order, and the global feed every
/// consumer (the API's ops route, webhooks, statistics) follows from its own checkpoint.
/// </summary>
/// <remarks>
/// The feed is gap-safe: it returns only positions below <c>xmin &lt;&lt; 16</c> of the reading statement's snapshot.
/// A position is its writer's transaction id shifted left by 16, and every transaction with an id below the snapshot's
/// xmin has ended, so no row can later commit with a position under one already returned. An ordering by a sequence
/// or a timestamp would not hold: their values are taken before commit, and transactions commit out of order. The
/// price is latency: a long transaction anywhere in the database holds the feed back until it ends.
/// </remarks>
public sealed class CaseEventFeed(NpgsqlDataSource database)
{
    /// <summary>The most rows one read returns.</summary>
    public const int MaxLimit = 1000;

    private const string Columns = $"""
        position, case_id, item_code, region, seq, type, at, actor_role, actor_name, actor_department,
        matter_code, department, (data - '{CaseEventTypes.PrivateMember}')::text
        """;

    /// <summary>
    /// As <see cref="Columns"/>, for a department's read ($4): a case-level event another actor caused loses its free
    /// text too (the applicant's withdrawal reason, the evaluation's comment, another department's reason for a
    /// rejection, the fallback desk's resolution), as the department's view of the case leaves them out.
    /// </summary>
    private const string DepartmentColumns = $"""
        position, case_id, item_code, region, seq, type, at, actor_role, actor_name, actor_department,
        matter_code, department,
        (CASE WHEN $4::text IS NOT NULL AND department IS NULL AND actor_department IS DISTINCT FROM $4
              THEN data - '{CaseEventTypes.PrivateMember}' - 'reason' - 'comment' - 'resolution' - 'resolvedBy'
              ELSE data - '{CaseEventTypes.PrivateMember}' END)::text
        """;

    /// <summary>
    /// Events after <paramref name="after"/> (a position; 0 from the start) in position order, at most
    /// <paramref name="limit"/>; a caller continues from the last one's position. Fewer than the limit, even none, does
    /// not mean the end: newer transactions' events appear once every older transaction has ended.
    /// </summary>
    public async Task<IReadOnlyList<CaseEventRow>> ReadAsync(long after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        await using var command = database.CreateCommand($"""
            SELECT {Columns}
            FROM onething_case_events
            WHERE position > $1
              AND position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)
            ORDER BY position
            LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>
    /// One case's events after sequence number <paramref name="afterSeq"/>, oldest first, at most
    /// <paramref name="limit"/>; with <paramref name="department"/>, only the case's own events (without other actors'
    /// free text) and that department's.
    /// <paramref name="caseMonth"/> (from the case, <see cref="CaseEventAccess"/>) confines the read to one partition.
    /// </summary>
    public async Task<IReadOnlyList<CaseEventRow>> ReadCaseAsync(
        DateOnly caseMonth, string caseId, int afterSeq, int limit, string? department, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(caseId);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        await using var command = database.CreateCommand($"""
            SELECT {DepartmentColumns}
            FROM onething_case_events
            WHERE case_month = $1 AND case_id = $2 AND seq > $3
              AND ($4::text IS NULL OR department IS NULL OR department = $4)
            ORDER BY seq
            LIMIT $5
            """);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = caseMonth });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = afterSeq });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)department ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadRowsAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<CaseEventRow>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<CaseEventRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CaseEventRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), NullableString(reader, 3), reader.GetInt32(4),
                reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), NullableString(reader, 8),
                NullableString(reader, 9), NullableString(reader, 10), NullableString(reader, 11), reader.GetString(12)));
        }
        return rows;
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
