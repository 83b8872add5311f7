using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Cases;
using OneThing.Grains.Events;

namespace OneThing.Grains.Webhooks;

/// <summary>A delivery to make: the event as the feed serves it, how often it was tried and since when it waits.</summary>
internal sealed record DueDelivery(CaseEventRow Event, DateOnly CaseMonth, int Attempts, DateTimeOffset QueuedAt);

/// <summary>How one attempt ended: <see cref="DeliveryStatuses"/>, and when to try again while pending.
/// <paramref name="Attempted"/> is false for a notice merged into another: it was settled without being sent itself.</summary>
internal sealed record AttemptResult(long Position, string Status, DateTimeOffset NextAttemptAt, int? HttpStatus, string? Error, bool Attempted = true);

/// <summary>An event read from the feed that goes into the outbox: its post failed, or it waits behind one that did.</summary>
internal sealed record ParkedDelivery(DueDelivery Delivery, AttemptResult? Attempt, DateTimeOffset DueAt);

/// <summary>Where a sender stands: its checkpoint (null when the subscription is gone), the cases of its partition with
/// pending rows, and when the earliest of those falls due.</summary>
internal sealed record PartitionState(long? Checkpoint, HashSet<string> Waiting, DateTimeOffset? NextDue);

/// <summary>One line of a subscription's deliveries, from an outbox row or, for a delivery that needed no row, from the feed.</summary>
public sealed record DeliveryRecord(
    long Position, string CaseId, int Seq, string Type, string Status, int Attempts, DateTimeOffset QueuedAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? LastAttemptAt, int? LastStatus, string? LastError, DateTimeOffset? CompletedAt);

/// <summary>
/// The delivery state of subscriptions. The event log is the outbox: the sender of each (subscription, partition) reads
/// the matching events of its partition after its checkpoint (<c>onething_webhook_checkpoints</c>, migration 0018) and
/// posts them; <c>onething_webhook_deliveries</c> (migration 0014) holds only what could not go at once (a failed post,
/// the later events of its case, a notice waiting for its round) and is retried from there in order per case.
/// </summary>
public sealed class WebhookOutbox(NpgsqlDataSource database)
{
    /// <summary>
    /// The partition of a case (alias <c>e</c>) among <c>@partitions</c>: fixed for a subscription's life, so a case's
    /// events and rows always belong to the same sender.
    /// </summary>
    private const string PartitionOfEvent = "((hashtext(e.case_id) & 2147483647) % @partitions)";

    /// <summary>
    /// Whether event <c>e</c> is one the subscription wants. A department-scoped subscription gets its matters' events, and
    /// the case-level events of cases where it was handed a task before them: to other departments a case does not
    /// exist. A notice subscription hears of a case's first Overdue only: the applicant is told once that the case went
    /// to the desk.
    /// </summary>
    private const string Matches = """
        (@types::text[] IS NULL OR e.type = ANY(@types))
          AND (@items::text[] IS NULL OR e.item_code = ANY(@items))
          AND (@departments::text[] IS NULL OR e.department = ANY(@departments)
               OR (e.department IS NULL AND EXISTS (
                   SELECT 1 FROM onething_case_events t
                   WHERE t.case_month = e.case_month AND t.case_id = e.case_id AND t.seq < e.seq
                     AND t.type = 'TaskReady' AND t.department = ANY(@departments))))
          AND NOT (@notice AND e.type = 'Overdue' AND EXISTS (
                   SELECT 1 FROM onething_case_events o
                   WHERE o.case_month = e.case_month AND o.case_id = e.case_id AND o.seq < e.seq AND o.type = 'Overdue'))
        """;

    /// <summary>
    /// Event <c>e</c> as the feed serves it, a department-scoped subscription's without other actors' free text, as the
    /// department reads it; then its case month.
    /// </summary>
    private const string EventColumns = $"""
        e.position, e.case_id, e.item_code, e.region, e.seq, e.type, e.at, e.actor_role, e.actor_name,
        e.actor_department, e.matter_code, e.department,
        (CASE WHEN @departments::text[] IS NOT NULL AND e.department IS NULL AND NOT (coalesce(e.actor_department, '') = ANY(@departments))
              THEN e.data - '{CaseEventTypes.PrivateMember}' - 'reason' - 'comment' - 'resolution' - 'resolvedBy'
              ELSE e.data - '{CaseEventTypes.PrivateMember}' END)::text,
        e.case_month
        """;

    internal async Task<long> HorizonAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(SubscriptionStore.HorizonQuery);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The partition's matching events after <paramref name="after"/> and at or below <paramref name="horizon"/> (read
    /// earlier, so every transaction below it has ended), in feed order, at most <paramref name="limit"/>.
    /// </summary>
    internal async Task<List<DueDelivery>> ReadFeedAsync(SubscriptionRecord subscription, int partition, long after, long horizon, int limit,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            SELECT {EventColumns}
            FROM onething_case_events e
            WHERE e.position > @after AND e.position <= @horizon AND {PartitionOfEvent} = @partition
              AND {Matches}
            ORDER BY e.position
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter<long>("after", after));
        command.Parameters.Add(new NpgsqlParameter<long>("horizon", horizon));
        command.Parameters.Add(new NpgsqlParameter<int>("partition", partition));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        AddFilter(command, subscription);
        var rows = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DueDelivery(ReadEvent(reader), reader.GetFieldValue<DateOnly>(13), 0, now));
        }
        return rows;
    }

    /// <summary>
    /// Writes <paramref name="parked"/> into the outbox and moves the partition's checkpoint from <paramref name="from"/> to
    /// <paramref name="to"/>, in one transaction. False, with nothing written, when the checkpoint is no longer at
    /// <paramref name="from"/> (a replay moved it, another activation moved first, or the subscription was deleted).
    /// </summary>
    internal async Task<bool> ParkAndMoveAsync(Guid subscriptionId, int partition, long from, long to, IReadOnlyList<ParkedDelivery> parked,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One statement: the rows go in only if the checkpoint moved.
        await using var command = database.CreateCommand("""
            WITH moved AS (
                UPDATE onething_webhook_checkpoints SET position = $4
                WHERE subscription_id = $1 AND partition = $2 AND position = $3
                RETURNING 1),
            parked AS (
                INSERT INTO onething_webhook_deliveries
                    (subscription_id, position, case_month, case_id, seq, type, partition, status, attempts, created_at, next_attempt_at,
                     last_attempt_at, last_status, last_error, completed_at)
                SELECT $1, q.position, q.case_month, q.case_id, q.seq, q.type, $2, q.status, q.attempts, $5, q.due,
                       CASE WHEN q.attempts > 0 THEN $5 END, q.http, q.error, CASE WHEN q.status <> 'pending' THEN $5 END
                FROM unnest($6::bigint[], $7::date[], $8::text[], $9::integer[], $10::text[], $11::text[], $12::integer[],
                            $13::timestamptz[], $14::integer[], $15::text[])
                     AS q(position, case_month, case_id, seq, type, status, attempts, due, http, error)
                WHERE EXISTS (SELECT 1 FROM moved)
                ON CONFLICT (subscription_id, position) DO NOTHING)
            SELECT count(*)::integer FROM moved
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. parked.Select(p => p.Delivery.Event.Position)] });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. parked.Select(p => p.Delivery.CaseMonth)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. parked.Select(p => p.Delivery.Event.CaseId)] });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. parked.Select(p => p.Delivery.Event.Seq)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. parked.Select(p => p.Delivery.Event.Type)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. parked.Select(p => p.Attempt?.Status ?? DeliveryStatuses.Pending)] });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. parked.Select(p => p.Attempt is { Attempted: true } ? 1 : 0)] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. parked.Select(p => p.DueAt.UtcDateTime)] });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = parked.Select(p => (object?)p.Attempt?.HttpStatus ?? DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = parked.Select(p => (object?)p.Attempt?.Error ?? DBNull.Value).ToArray() });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    /// <summary>The partition's checkpoint, its cases with pending rows, and when the first of those cases falls due.</summary>
    internal async Task<PartitionState> LoadPartitionAsync(Guid subscriptionId, int partition, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        var checkpoint = new NpgsqlBatchCommand("SELECT position FROM onething_webhook_checkpoints WHERE subscription_id = $1 AND partition = $2");
        // A case's rows go when its first pending row does: that one says when the case is next due.
        var waiting = new NpgsqlBatchCommand("""
            SELECT DISTINCT ON (case_id) case_id, next_attempt_at FROM onething_webhook_deliveries
            WHERE subscription_id = $1 AND partition = $2 AND status = 'pending'
            ORDER BY case_id, position
            """);
        foreach (var command in new[] { checkpoint, waiting })
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)partition });
            batch.BatchCommands.Add(command);
        }
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        long? position = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : null;
        await reader.NextResultAsync(cancellationToken);
        var cases = new HashSet<string>(StringComparer.Ordinal);
        DateTimeOffset? nextDue = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            cases.Add(reader.GetString(0));
            var due = reader.GetFieldValue<DateTimeOffset>(1);
            nextDue = nextDue is { } earlier && earlier <= due ? earlier : due;
        }
        return new PartitionState(position, cases, nextDue);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> due rows of one partition, oldest first, leaving out every row behind a pending
    /// row of the same case that is not due yet: a case's events go out in order.
    /// </summary>
    internal async Task<List<DueDelivery>> DueAsync(Guid subscriptionId, int partition, string[]? departments, DateTimeOffset now, int limit,
        CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            SELECT {EventColumns}, d.attempts, d.created_at
            FROM onething_webhook_deliveries d
            JOIN onething_case_events e ON e.case_month = d.case_month AND e.case_id = d.case_id AND e.seq = d.seq
            WHERE d.subscription_id = @id AND d.partition = @partition AND d.status = 'pending' AND d.next_attempt_at <= @now
              AND NOT EXISTS (
                  SELECT 1 FROM onething_webhook_deliveries b
                  WHERE b.subscription_id = d.subscription_id AND b.case_id = d.case_id AND b.status = 'pending'
                    AND b.position < d.position AND b.next_attempt_at > @now)
            ORDER BY d.position
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", subscriptionId));
        command.Parameters.Add(new NpgsqlParameter<short>("partition", (short)partition));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", now.UtcDateTime));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(TextArray("departments", departments));
        var rows = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DueDelivery(ReadEvent(reader), reader.GetFieldValue<DateOnly>(13), reader.GetInt32(14), reader.GetFieldValue<DateTimeOffset>(15)));
        }
        return rows;
    }

    /// <summary>
    /// The case's other pending 补正 requests for this subscription made up to <paramref name="roundCloses"/>: the rest of
    /// the round the row at <paramref name="afterPosition"/> opened, to be told in its one notice.
    /// </summary>
    internal async Task<List<(long Position, string Data)>> RestOfRoundAsync(Guid subscriptionId, DateOnly caseMonth, string caseId, long afterPosition,
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
    internal async Task<int> RetryNowAsync(Guid subscriptionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            UPDATE onething_webhook_deliveries SET next_attempt_at = $2
            WHERE subscription_id = $1 AND status = 'pending' AND attempts > 0 AND next_attempt_at > $2
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a round's attempts in one statement.</summary>
    internal async Task RecordAsync(Guid subscriptionId, DateTimeOffset at, IReadOnlyList<AttemptResult> results, CancellationToken cancellationToken)
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
    /// Makes every matching event from <paramref name="fromPosition"/> on go out again, in one transaction: drops the
    /// subscription's outbox rows from there (delivered, failed or pending), and puts every partition's checkpoint and
    /// the start of the feed-as-outbox back to just before it. Returns how many matching events that puts in front of
    /// the senders again.
    /// </summary>
    internal async Task<int> ReplayAsync(SubscriptionRecord subscription, long fromPosition, CancellationToken cancellationToken)
    {
        // One batch, so one implicit transaction that no await of the grain holds open. The checkpoints are locked first,
        // so a sender's move in between waits, then finds them moved and reloads.
        await using var batch = database.CreateBatch();
        var lockCheckpoints = new NpgsqlBatchCommand("""
            SELECT max(position) FROM (SELECT position FROM onething_webhook_checkpoints WHERE subscription_id = @id FOR UPDATE) c
            """);
        var count = new NpgsqlBatchCommand($"""
            SELECT count(*)::integer FROM onething_case_events e
            WHERE e.position >= @from
              AND e.position <= (SELECT max(position) FROM onething_webhook_checkpoints WHERE subscription_id = @id)
              AND {Matches}
            """);
        var drop = new NpgsqlBatchCommand("DELETE FROM onething_webhook_deliveries WHERE subscription_id = @id AND position >= @from");
        var rewind = new NpgsqlBatchCommand("""
            UPDATE onething_webhook_checkpoints SET position = LEAST(position, @from - 1) WHERE subscription_id = @id
            """);
        var start = new NpgsqlBatchCommand("""
            UPDATE onething_subscriptions SET fed_position = LEAST(fed_position, @from - 1) WHERE subscription_id = @id
            """);
        foreach (var command in new[] { lockCheckpoints, count, drop, rewind, start })
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", subscription.Id));
            command.Parameters.Add(new NpgsqlParameter<long>("from", fromPosition));
            batch.BatchCommands.Add(command);
        }
        AddFilter(count.Parameters, subscription);
        int events;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            events = reader.GetInt32(0);
        }
        return events;
    }

    /// <summary>
    /// The subscription's deliveries after <paramref name="after"/> in feed order, of one status or all. Rows of the
    /// outbox as they are; besides them, every matching event after the start and at or below its partition's checkpoint
    /// that has no row was delivered at its first attempt and is listed as such (queued at the event's time, attempts
    /// 1, no attempt details: nothing was written for it). Pending lists the outbox's rows only: an event above its
    /// partition's checkpoint has not been read yet.
    /// </summary>
    public async Task<List<DeliveryRecord>> ListAsync(Guid subscriptionId, string? status, long after, int limit, CancellationToken cancellationToken)
    {
        var subscription = await new SubscriptionStore(database).FindAsync(subscriptionId, cancellationToken);
        if (subscription is null)
        {
            return [];
        }
        await using var command = database.CreateCommand($"""
            (SELECT d.position, d.case_id, d.seq, d.type, d.status, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at,
                    d.last_status, d.last_error, d.completed_at
             FROM onething_webhook_deliveries d
             WHERE d.subscription_id = @id AND (@status::text IS NULL OR d.status = @status) AND d.position > @after
             ORDER BY d.position
             LIMIT @limit)
            UNION ALL
            (SELECT e.position, e.case_id, e.seq, e.type, 'delivered', 1, e.at, NULL, NULL, NULL, NULL, NULL
             FROM onething_case_events e
             JOIN onething_webhook_checkpoints c ON c.subscription_id = @id AND c.partition = {PartitionOfEvent}
             WHERE coalesce(@status::text, 'delivered') = 'delivered'
               AND e.position > GREATEST(@after, @start)
               AND e.position <= (SELECT max(position) FROM onething_webhook_checkpoints WHERE subscription_id = @id)
               AND e.position <= c.position
               AND {Matches}
               AND NOT EXISTS (SELECT 1 FROM onething_webhook_deliveries d WHERE d.subscription_id = @id AND d.position = e.position)
             ORDER BY e.position
             LIMIT @limit)
            ORDER BY 1
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", subscriptionId));
        command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = (object?)status ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<long>("after", after));
        command.Parameters.Add(new NpgsqlParameter<long>("start", subscription.FedPosition));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        AddFilter(command, subscription);
        var items = new List<DeliveryRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var rowStatus = reader.GetString(4);
            items.Add(new DeliveryRecord(
                reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), rowStatus, reader.GetInt32(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                rowStatus == DeliveryStatuses.Pending ? reader.GetFieldValue<DateTimeOffset>(7) : null,
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetInt32(9),
                reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }
        return items;
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

    /// <summary>The event of <see cref="EventColumns"/>.</summary>
    private static CaseEventRow ReadEvent(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), Nullable(reader, 3), reader.GetInt32(4),
        reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), Nullable(reader, 8),
        Nullable(reader, 9), Nullable(reader, 10), Nullable(reader, 11), reader.GetString(12));

    /// <summary>The parameters of <see cref="Matches"/>, <see cref="EventColumns"/> and <see cref="PartitionOfEvent"/>.</summary>
    private static void AddFilter(NpgsqlCommand command, SubscriptionRecord subscription) => AddFilter(command.Parameters, subscription);

    private static void AddFilter(NpgsqlParameterCollection parameters, SubscriptionRecord subscription)
    {
        var types = subscription.Kind == SubscriptionKinds.ApplicantNotice
            ? (subscription.AllEvents ? ApplicantNotices.EventTypes : subscription.EventTypes.Intersect(ApplicantNotices.EventTypes).ToArray())
            : (subscription.AllEvents ? null : subscription.EventTypes);
        parameters.Add(TextArray("types", types));
        parameters.Add(TextArray("items", subscription.ItemCodes));
        parameters.Add(TextArray("departments", subscription.Departments));
        parameters.Add(new NpgsqlParameter<bool>("notice", subscription.Kind == SubscriptionKinds.ApplicantNotice));
        parameters.Add(new NpgsqlParameter<int>("partitions", subscription.Partitions));
    }

    private static NpgsqlParameter TextArray(string name, IReadOnlyList<string>? values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)values?.ToArray() ?? DBNull.Value };

    private static string? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
