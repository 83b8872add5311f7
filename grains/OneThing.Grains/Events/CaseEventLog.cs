using Npgsql;
using NpgsqlTypes;

namespace OneThing.Grains.Events;

/// <summary>
/// The case events table (<c>onething_case_events</c>, migration 0013): appended in the group commit with the
/// read-model rows the events touch, read per case when a case activates.
/// </summary>
public sealed class CaseEventLog(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// One statement for all events of a group commit: each event's position is the transaction's id shifted left 16
    /// bits plus its ordinal in the statement, which keeps a case's events in order and makes the global feed gap-safe
    /// (migration 0013 says why). A commit holds at most a few thousand events, far below 65,536.
    /// </summary>
    internal static NpgsqlBatchCommand Insert(IReadOnlyList<StoredEvent> events)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_case_events
                (case_month, case_id, seq, position, type, version, at, actor_role, actor_name, actor_department,
                 matter_code, department, item_code, region, data)
            SELECT e.case_month, e.case_id, e.seq, (pg_current_xact_id()::text::bigint << 16) + e.ordinal, e.type, e.version,
                   e.at, e.actor_role, e.actor_name, e.actor_department, e.matter_code, e.department, e.item_code, e.region, e.data
            FROM unnest($1::date[], $2::text[], $3::integer[], $4::text[], $5::smallint[], $6::timestamptz[], $7::text[],
                        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[])
                 WITH ORDINALITY AS e(case_month, case_id, seq, type, version, at, actor_role, actor_name, actor_department,
                                      matter_code, department, item_code, region, data, ordinal)
            """);
        Add(command, events, e => e.CaseMonth);
        Add(command, events, e => e.Event.CaseId);
        Add(command, events, e => e.Event.Seq);
        Add(command, events, e => e.Event.Type);
        Add(command, events, e => e.Version);
        Add(command, events, e => e.Event.At.UtcDateTime);
        Add(command, events, e => e.Event.Actor.Role);
        Add(command, events, e => e.Event.Actor.Name);
        Add(command, events, e => e.Event.Actor.Department);
        Add(command, events, e => e.Event.MatterCode);
        Add(command, events, e => e.Event.Department);
        Add(command, events, e => e.ItemCode);
        Add(command, events, e => e.Region);
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
            Value = events.Select(e => e.Data).ToArray(),
        });
        return command;
    }

    /// <summary>Where a case's events are: written with its first events, read by an activation without a snapshot.</summary>
    internal static NpgsqlBatchCommand Directory(string caseId, DateOnly caseMonth, string itemCode, string? region, DateTimeOffset submittedAt)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_case_directory (case_id, case_month, item_code, region, submitted_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (case_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = caseMonth });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = itemCode });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)region ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = submittedAt.UtcDateTime });
        return command;
    }

    /// <summary>
    /// A case's events after seq $2, found through its directory row: PostgreSQL prunes every partition but the case's
    /// month while it runs, so the read is one index range whatever the table holds.
    /// </summary>
    public const string ReadCaseQuery = """
        SELECT seq, type, version, at, actor_role, actor_name, actor_department, matter_code, department, data::text
        FROM onething_case_events
        WHERE case_month = (SELECT case_month FROM onething_case_directory WHERE case_id = $1)
          AND case_id = $1 AND seq > $2
        ORDER BY seq
        """;

    /// <summary>The case's events after <paramref name="afterSeq"/>, oldest first, found through its directory row.</summary>
    public async Task<List<CaseEvent>> ReadAsync(string caseId, int afterSeq, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadCaseQuery);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = afterSeq });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<CaseEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var data = CaseEventTypes.Deserialize(reader.GetString(1), reader.GetInt16(2), reader.GetString(9));
            events.Add(new CaseEvent(caseId, reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(3),
                new EventActor(reader.GetString(4), NullableText(reader, 5), NullableText(reader, 6)),
                data, NullableText(reader, 7), NullableText(reader, 8)));
        }
        return events;
    }

    private static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void Add<T>(NpgsqlBatchCommand command, IReadOnlyList<StoredEvent> events, Func<StoredEvent, T> value) =>
        command.Parameters.Add(new NpgsqlParameter<T[]> { TypedValue = events.Select(value).ToArray() });
}

/// <summary>
/// An event as its row stores it: serialized when handed to the writer, with the case's partition month, item and
/// region; for a completed task, when the task was first Ready (for metrics only, not stored).
/// </summary>
internal sealed record StoredEvent(CaseEvent Event, DateOnly CaseMonth, string ItemCode, string? Region, short Version, string Data, DateTimeOffset? TaskReadyAt = null);
