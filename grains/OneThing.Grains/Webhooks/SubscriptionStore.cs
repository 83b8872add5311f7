using Npgsql;
using NpgsqlTypes;

namespace OneThing.Grains.Webhooks;

/// <summary>A subscription's row (<c>onething_subscriptions</c>, migration 0014), secrets still sealed.</summary>
internal sealed record SubscriptionRecord(
    Guid Id,
    string Kind,
    string Url,
    string[] EventTypes,
    string[]? ItemCodes,
    string[]? Departments,
    string? OwnerDepartment,
    string CreatedBy,
    string? Description,
    string SealedSecret,
    string? SealedPreviousSecret,
    DateTimeOffset? PreviousSecretUntil,
    int Partitions,
    string Fingerprint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeletedAt,
    long FedPosition)
{
    public bool AllEvents => EventTypes is ["*"];

    public SubscriptionView View() => new(
        Id, Kind, Url, EventTypes, ItemCodes, Departments, OwnerDepartment, CreatedBy, Description, CreatedAt,
        PreviousSecretUntil, FedPosition);
}

/// <summary>Reads and writes subscription rows; the grain owning a subscription is the only writer of its row.</summary>
internal sealed class SubscriptionStore(NpgsqlDataSource database)
{
    private const string Columns = """
        subscription_id, kind, url, event_types, item_codes, departments, owner_department, created_by, description, secret,
        previous_secret, previous_secret_until, partitions, fingerprint, created_at, deleted_at, fed_position
        """;

    /// <summary>
    /// The feed's safe end now: every event below it is committed and visible (see <see cref="Events.CaseEventFeed"/>).
    /// A new subscription starts here, so it receives the events of transactions still running when it was created.
    /// </summary>
    public const string HorizonQuery = "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16) - 1";

    public async Task<SubscriptionRecord?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand($"SELECT {Columns} FROM onething_subscriptions WHERE subscription_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Inserts the row and its partitions' checkpoints at the feed's current end, in one statement; null when a row with
    /// this id exists already.
    /// </summary>
    public async Task<SubscriptionRecord?> InsertAsync(SubscriptionRecord record, CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand($"""
            WITH s AS (
                INSERT INTO onething_subscriptions ({Columns})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, $11, $12, $13, NULL, ({HorizonQuery}))
                ON CONFLICT (subscription_id) DO NOTHING
                RETURNING subscription_id, partitions, fed_position),
            c AS (
                INSERT INTO onething_webhook_checkpoints (subscription_id, partition, position)
                SELECT s.subscription_id, p.partition, s.fed_position FROM s, generate_series(0, s.partitions - 1) AS p(partition))
            SELECT fed_position FROM s
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.Kind });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.Url });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = record.EventTypes });
        command.Parameters.Add(TextArray(record.ItemCodes));
        command.Parameters.Add(TextArray(record.Departments));
        command.Parameters.Add(Text(record.OwnerDepartment));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.CreatedBy });
        command.Parameters.Add(Text(record.Description));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.SealedSecret });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)record.Partitions });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.Fingerprint });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = record.CreatedAt.UtcDateTime });
        var fed = await command.ExecuteScalarAsync(cancellationToken);
        return fed is long position ? record with { FedPosition = position } : null;
    }

    public async Task UpdateSecretsAsync(SubscriptionRecord record, CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand("""
            UPDATE onething_subscriptions SET secret = $2, previous_secret = $3, previous_secret_until = $4
            WHERE subscription_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.SealedSecret });
        command.Parameters.Add(Text(record.SealedPreviousSecret));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)record.PreviousSecretUntil?.UtcDateTime ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Where the subscription's senders stand: the lowest checkpoint of its partitions (every matching event at or below it
    /// was delivered or is in the outbox); null when it has none.
    /// </summary>
    public async Task<long?> PositionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand("SELECT min(position) FROM onething_webhook_checkpoints WHERE subscription_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        return await command.ExecuteScalarAsync(cancellationToken) as long?;
    }

    /// <summary>
    /// Marks the subscription deleted and drops its checkpoints and outbox: nothing of it is sent or listed any more. The
    /// checkpoints go first, so a sender moving one at the same time finishes before its rows are dropped, or finds it gone.
    /// </summary>
    public async Task DeleteAsync(Guid id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        // One batch: one implicit transaction, which no await of the grain holds open.
        await using var batch = database.CreateBatch();
        var mark = new NpgsqlBatchCommand("UPDATE onething_subscriptions SET deleted_at = $2 WHERE subscription_id = $1 AND deleted_at IS NULL");
        mark.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        mark.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = at.UtcDateTime });
        var checkpoints = new NpgsqlBatchCommand("DELETE FROM onething_webhook_checkpoints WHERE subscription_id = $1");
        checkpoints.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        var drop = new NpgsqlBatchCommand("DELETE FROM onething_webhook_deliveries WHERE subscription_id = $1");
        drop.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        batch.BatchCommands.Add(mark);
        batch.BatchCommands.Add(checkpoints);
        batch.BatchCommands.Add(drop);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The ids of every subscription not deleted: what each silo keeps awake.</summary>
    public async Task<List<Guid>> ActiveIdsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand("SELECT subscription_id FROM onething_subscriptions WHERE deleted_at IS NULL");
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    private static SubscriptionRecord Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetFieldValue<string[]>(3),
        r.IsDBNull(4) ? null : r.GetFieldValue<string[]>(4), r.IsDBNull(5) ? null : r.GetFieldValue<string[]>(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetString(9),
        r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.GetInt16(12),
        r.GetString(13), r.GetFieldValue<DateTimeOffset>(14), r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15),
        r.GetInt64(16));

    internal static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    internal static NpgsqlParameter TextArray(IReadOnlyList<string>? values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)values?.ToArray() ?? DBNull.Value };
}
