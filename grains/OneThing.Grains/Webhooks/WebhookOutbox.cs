using Npgsql;
using NpgsqlTypes;
using OneThing.Grains.Events;

namespace OneThing.Grains.Webhooks;

/// <summary>An event the feed holds for a subscription, before it is queued.</summary>
internal sealed record FedEvent(long Position, DateOnly CaseMonth, string CaseId, int Seq, string Type, DateTimeOffset At, int Partition);

/// <summary>A queued delivery that is due, with the event it carries as the feed serves it.</summary>
internal sealed record DueDelivery(CaseEventRow Event, DateOnly CaseMonth, int Attempts, DateTimeOffset QueuedAt);

/// <summary>How one attempt ended: <see cref="DeliveryStatuses"/>, and when to try again while pending.
/// <paramref name="Attempted"/> is false for a notice merged into another: it was settled without being sent itself.</summary>
internal sealed record AttemptResult(long Position, string Status, DateTimeOffset NextAttemptAt, int? HttpStatus, string? Error, bool Attempted = true);

/// <summary>
/// The outbox of subscriptions (<c>onething_webhook_deliveries</c>, migration 0014): the feeder queues matching events
/// into it with its checkpoint in one transaction; senders take their partition's due rows in order per case.
/// </summary>
internal sealed class WebhookOutbox(NpgsqlDataSource database)
{
    /// <summary>
    /// Matching events after the subscription's checkpoint and below <c>$2</c> (a horizon read earlier, so every
    /// transaction below it has ended). A department-scoped subscription gets its matters' events, and the case-level
    /// events of cases where it was handed a task before them: to other departments a case does not exist. A notice
    /// subscription hears of a case's first Overdue only: the applicant is told once that the case went to the desk.
    /// </summary>
    private const string FeedQuery = """
        SELECT e.position, e.case_month, e.case_id, e.seq, e.type, e.at, ((hashtext(e.case_id) & 2147483647) % $7)::integer
        FROM onething_case_events e
        WHERE e.position > $1 AND e.position < $2
          AND ($3::text[] IS NULL OR e.type = ANY($3))
          AND ($4::text[] IS NULL OR e.item_code = ANY($4))
          AND ($5::text[] IS NULL OR e.department = ANY($5)
               OR (e.department IS NULL AND EXISTS (
                   SELECT 1 FROM onething_case_events t
                   WHERE t.case_month = e.case_month AND t.case_id = e.case_id AND t.seq < e.seq
                     AND t.type = 'TaskReady' AND t.department = ANY($5))))
          AND NOT ($6 AND e.type = 'Overdue' AND EXISTS (
                   SELECT 1 FROM onething_case_events o
                   WHERE o.case_month = e.case_month AND o.case_id = e.case_id AND o.seq < e.seq AND o.type = 'Overdue'))
        ORDER BY e.position
        LIMIT $8
        """;

    public async Task<long> HorizonAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(SubscriptionStore.HorizonQuery);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<List<FedEvent>> ReadFeedAsync(SubscriptionRecord subscription, long after, long horizon, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FeedQuery);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = horizon + 1 });
        var types = subscription.Kind == SubscriptionKinds.ApplicantNotice
            ? (subscription.AllEvents ? ApplicantNotices.EventTypes : subscription.EventTypes.Intersect(ApplicantNotices.EventTypes).ToArray())
            : (subscription.AllEvents ? null : subscription.EventTypes);
        command.Parameters.Add(SubscriptionStore.TextArray(types));
        command.Parameters.Add(SubscriptionStore.TextArray(subscription.ItemCodes));
        command.Parameters.Add(SubscriptionStore.TextArray(subscription.Departments));
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = subscription.Kind == SubscriptionKinds.ApplicantNotice });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = subscription.Partitions });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var rows = new List<FedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new FedEvent(reader.GetInt64(0), reader.GetFieldValue<DateOnly>(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6)));
        }
        return rows;
    }

    /// <summary>
    /// Queues <paramref name="events"/> (each due at its <paramref name="dueAt"/>) and moves the checkpoint from
    /// <paramref name="from"/> to <paramref name="to"/>, in one transaction. False, with nothing written, when the checkpoint
    /// is no longer at <paramref name="from"/> (a replay moved it, or another activation fed first).
    /// </summary>
    public async Task<bool> QueueAsync(Guid subscriptionId, long from, long to, IReadOnlyList<FedEvent> events,
        IReadOnlyList<DateTimeOffset> dueAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var move = new NpgsqlBatchCommand("UPDATE onething_subscriptions SET fed_position = $3 WHERE subscription_id = $1 AND fed_position = $2 AND deleted_at IS NULL");
        move.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        move.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
        move.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to });
        batch.BatchCommands.Add(move);
        if (events.Count > 0)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO onething_webhook_deliveries
                    (subscription_id, position, case_month, case_id, seq, type, partition, status, created_at, next_attempt_at)
                SELECT $1, q.position, q.case_month, q.case_id, q.seq, q.type, q.partition, 'pending', $2, q.due
                FROM unnest($3::bigint[], $4::date[], $5::text[], $6::integer[], $7::text[], $8::smallint[], $9::timestamptz[])
                     AS q(position, case_month, case_id, seq, type, partition, due)
                ON CONFLICT (subscription_id, position) DO NOTHING
                """);
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => e.Position)] });
            insert.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. events.Select(e => e.CaseMonth)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.CaseId)] });
            insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. events.Select(e => e.Seq)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Type)] });
            insert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. events.Select(e => (short)e.Partition)] });
            insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. dueAt.Select(d => d.UtcDateTime)] });
            batch.BatchCommands.Add(insert);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (move.RecordsAffected != 1)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> due rows of one partition, oldest first, leaving out every row behind a pending
    /// row of the same case that is not due yet: a case's events go out in order. The event comes back as the feed
    /// serves it, a department-scoped subscription's without other actors' free text, as the department reads it.
    /// </summary>
    public async Task<List<DueDelivery>> DueAsync(Guid subscriptionId, int partition, string[]? departments, DateTimeOffset now, int limit,
        CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            SELECT e.position, e.case_id, e.item_code, e.region, e.seq, e.type, e.at, e.actor_role, e.actor_name,
                   e.actor_department, e.matter_code, e.department,
                   (CASE WHEN $5::text[] IS NOT NULL AND e.department IS NULL AND NOT (coalesce(e.actor_department, '') = ANY($5))
                         THEN e.data - '{CaseEventTypes.PrivateMember}' - 'reason' - 'comment' - 'resolution' - 'resolvedBy'
                         ELSE e.data - '{CaseEventTypes.PrivateMember}' END)::text,
                   d.case_month, d.attempts, d.created_at
            FROM onething_webhook_deliveries d
            JOIN onething_case_events e ON e.case_month = d.case_month AND e.case_id = d.case_id AND e.seq = d.seq
            WHERE d.subscription_id = $1 AND d.partition = $2 AND d.status = 'pending' AND d.next_attempt_at <= $3
              AND NOT EXISTS (
                  SELECT 1 FROM onething_webhook_deliveries b
                  WHERE b.subscription_id = d.subscription_id AND b.case_id = d.case_id AND b.status = 'pending'
                    AND b.position < d.position AND b.next_attempt_at > $3)
            ORDER BY d.position
            LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)partition });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(SubscriptionStore.TextArray(departments));
        var rows = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new CaseEventRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), Nullable(reader, 3), reader.GetInt32(4),
                reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), Nullable(reader, 8),
                Nullable(reader, 9), Nullable(reader, 10), Nullable(reader, 11), reader.GetString(12));
            rows.Add(new DueDelivery(row, reader.GetFieldValue<DateOnly>(13), reader.GetInt32(14), reader.GetFieldValue<DateTimeOffset>(15)));
        }
        return rows;
    }

    /// <summary>
    /// The case's other pending 补正 requests for this subscription made up to <paramref name="roundCloses"/>: the rest of
    /// the round the row at <paramref name="afterPosition"/> opened, to be told in its one notice.
    /// </summary>
    public async Task<List<(long Position, string Data)>> RestOfRoundAsync(Guid subscriptionId, DateOnly caseMonth, string caseId, long afterPosition,
        DateTimeOffset roundCloses, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            SELECT d.position, (e.data - '{CaseEventTypes.PrivateMember}')::text
            FROM onething_webhook_deliveries d
            JOIN onething_case_events e ON e.case_month = d.case_month AND e.case_id = d.case_id AND e.seq = d.seq
            WHERE d.subscription_id = $1 AND d.case_id = $3 AND d.status = 'pending' AND d.position > $4
              AND d.type = 'SupplementRequested' AND e.case_month = $2 AND e.at <= $5
            ORDER BY d.position
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = caseMonth });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterPosition });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = roundCloses.UtcDateTime });
        var rows = new List<(long, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        return rows;
    }

    /// <summary>
    /// Makes every pending row of the subscription that waits out a backoff due now: the receiver answered again, so
    /// what failed while it was away need not wait up to an hour for its next turn. Returns how many rows it moved.
    /// </summary>
    public async Task<int> RetryNowAsync(Guid subscriptionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            UPDATE onething_webhook_deliveries SET next_attempt_at = $2
            WHERE subscription_id = $1 AND status = 'pending' AND attempts > 0 AND next_attempt_at > $2
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>When the partition's next pending row falls due; null when it has none.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(Guid subscriptionId, int partition, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT min(next_attempt_at) FROM onething_webhook_deliveries
            WHERE subscription_id = $1 AND partition = $2 AND status = 'pending'
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)partition });
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    /// <summary>Records a round's attempts in one statement.</summary>
    public async Task RecordAsync(Guid subscriptionId, DateTimeOffset at, IReadOnlyList<AttemptResult> results, CancellationToken cancellationToken)
    {
        if (results.Count == 0)
        {
            return;
        }
        await using var command = database.CreateCommand("""
            UPDATE onething_webhook_deliveries d
            SET status = r.status, attempts = d.attempts + r.counted, last_attempt_at = CASE WHEN r.counted = 1 THEN $2 ELSE d.last_attempt_at END,
                next_attempt_at = r.next, last_status = r.http, last_error = r.error,
                completed_at = CASE WHEN r.status = 'pending' THEN NULL ELSE $2 END
            FROM unnest($3::bigint[], $4::text[], $5::timestamptz[], $6::integer[], $7::text[], $8::integer[])
                 AS r(position, status, next, http, error, counted)
            WHERE d.subscription_id = $1 AND d.position = r.position AND d.status = 'pending'
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = at.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. results.Select(r => r.Position)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. results.Select(r => r.Status)] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. results.Select(r => r.NextAttemptAt.UtcDateTime)] });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = results.Select(r => (object?)r.HttpStatus ?? DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = results.Select(r => (object?)r.Error ?? DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. results.Select(r => r.Attempted ? 1 : 0)] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Puts the checkpoint back to just before <paramref name="fromPosition"/> and makes every row from there pending and
    /// due again, in one transaction; the feeder then queues the matching events the outbox did not hold.
    /// </summary>
    public async Task<int> ReplayAsync(Guid subscriptionId, long fromPosition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var requeue = new NpgsqlBatchCommand("""
            UPDATE onething_webhook_deliveries
            SET status = 'pending', attempts = 0, created_at = $3, next_attempt_at = $3, completed_at = NULL, last_error = NULL, last_status = NULL
            WHERE subscription_id = $1 AND position >= $2
            """);
        requeue.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        requeue.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromPosition });
        requeue.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        var rewind = new NpgsqlBatchCommand("""
            UPDATE onething_subscriptions SET fed_position = LEAST(fed_position, $2 - 1) WHERE subscription_id = $1
            """);
        rewind.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        rewind.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromPosition });
        batch.BatchCommands.Add(requeue);
        batch.BatchCommands.Add(rewind);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return requeue.RecordsAffected;
    }

    /// <summary>Deletes delivered rows completed before <paramref name="before"/>, a bounded number at a time.</summary>
    public async Task<int> PruneDeliveredAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            DELETE FROM onething_webhook_deliveries d
            USING (SELECT subscription_id, position FROM onething_webhook_deliveries
                   WHERE status = 'delivered' AND completed_at < $1 LIMIT 10000) old
            WHERE d.subscription_id = old.subscription_id AND d.position = old.position
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = before.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
