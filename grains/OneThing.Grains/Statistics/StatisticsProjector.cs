using Npgsql;
using NpgsqlTypes;
using OneThing.Grains.Calendar;
using OneThing.Grains.Events;

namespace OneThing.Grains.Statistics;

/// <summary>
/// Moves the statistics projection along the global event feed: one batch after the checkpoint, its figures, the unit
/// states and the new checkpoint in one transaction, so each event counts exactly once. One projector at a time: a
/// transaction-scoped advisory lock, which the others find taken and skip.
/// </summary>
public sealed class StatisticsProjector(NpgsqlDataSource database, CaseEventFeed feed, WorkingCalendar calendar)
{
    public const string CheckpointName = "statistics";

    /// <summary>Events one transaction projects.</summary>
    public const int BatchSize = CaseEventFeed.MaxLimit;

    private const long LockKey = 0x0E71_1A6C_0015;

    /// <summary>
    /// Projects the next batch: the number of events projected, 0 when the feed had none, null when another projector
    /// holds the lock.
    /// </summary>
    public async Task<int?> ProjectNextAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await TryLockAsync(connection, transaction, cancellationToken))
        {
            return null;
        }
        long checkpoint;
        await using (var read = new NpgsqlCommand("SELECT position FROM onething_projection_checkpoints WHERE name = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CheckpointName });
            checkpoint = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
        }
        var events = await feed.ReadAsync(checkpoint, BatchSize, cancellationToken);
        if (events.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }

        var projection = new StatisticsProjection(calendar,
            await LoadUnitsAsync(connection, transaction, events.Select(e => e.CaseId).Distinct().ToArray(), cancellationToken));
        foreach (var e in events)
        {
            projection.Apply(e);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (bucket, delta) in projection.Deltas)
        {
            batch.BatchCommands.Add(AddCommand('d', bucket, bucket.Day, delta));
            batch.BatchCommands.Add(AddCommand('m', bucket, new DateOnly(bucket.Day.Year, bucket.Day.Month, 1), delta));
        }
        if (projection.Units.Count > 0)
        {
            batch.BatchCommands.Add(UpsertUnits(projection.Units.Values.ToList()));
        }
        if (projection.Removed.Count > 0)
        {
            var removed = projection.Removed.ToList();
            var delete = new NpgsqlBatchCommand("""
                DELETE FROM onething_statistics_units u USING unnest($1::text[], $2::text[]) AS r(case_id, matter_code)
                WHERE u.case_id = r.case_id AND u.matter_code = r.matter_code
                """);
            delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = removed.Select(r => r.CaseId).ToArray() });
            delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = removed.Select(r => r.MatterCode).ToArray() });
            batch.BatchCommands.Add(delete);
        }
        var move = new NpgsqlBatchCommand("UPDATE onething_projection_checkpoints SET position = $2 WHERE name = $1");
        move.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CheckpointName });
        move.Parameters.Add(new NpgsqlParameter<long> { TypedValue = events[^1].Position });
        batch.BatchCommands.Add(move);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return events.Count;
    }

    /// <summary>
    /// Projects batches until the feed has nothing more; while a silo's projector holds the lock it waits for its turn.
    /// The events this call projected.
    /// </summary>
    public async Task<long> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        while (true)
        {
            switch (await ProjectNextAsync(cancellationToken))
            {
                case 0:
                    return total;
                case int count:
                    total += count;
                    break;
                default:
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                    break;
            }
        }
    }

    /// <summary>Forgets every figure and unit state and moves the checkpoint back to the start, under the projector's lock.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var locking = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
        {
            await locking.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var reset = new NpgsqlCommand("""
            TRUNCATE onething_statistics, onething_statistics_units;
            UPDATE onething_projection_checkpoints SET position = 0 WHERE name = 'statistics';
            """, connection, transaction))
        {
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The last feed position whose effects the statistics hold.</summary>
    public async Task<long> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand("SELECT position FROM onething_projection_checkpoints WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CheckpointName });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var locking = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({LockKey})", connection, transaction);
        return (bool)(await locking.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<List<StatisticsUnitState>> LoadUnitsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] caseIds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT case_id, matter_code, department, item_code, region, started_at, due_at, paused_since, paused, overdue, ended, departments
            FROM onething_statistics_units WHERE case_id = ANY($1)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = caseIds });
        var units = new List<StatisticsUnitState>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var departments = reader.GetString(11);
            units.Add(new StatisticsUnitState
            {
                CaseId = reader.GetString(0),
                MatterCode = reader.GetString(1),
                Department = reader.GetString(2),
                ItemCode = reader.GetString(3),
                Region = reader.GetString(4),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(5),
                DueAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                PausedSince = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                Paused = reader.GetFieldValue<TimeSpan>(8),
                Overdue = reader.GetBoolean(9),
                Ended = reader.GetBoolean(10),
                Departments = departments.Length == 0 ? [] : [.. departments.Split(',')],
            });
        }
        return units;
    }

    private static NpgsqlBatchCommand UpsertUnits(IReadOnlyList<StatisticsUnitState> units)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_statistics_units AS u
                (case_id, matter_code, department, item_code, region, started_at, due_at, paused_since, paused, overdue, ended, departments)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                                 $8::timestamptz[], $9::interval[], $10::boolean[], $11::boolean[], $12::text[])
            ON CONFLICT (case_id, matter_code) DO UPDATE SET
                due_at = excluded.due_at, paused_since = excluded.paused_since, paused = excluded.paused,
                overdue = excluded.overdue, ended = excluded.ended, departments = excluded.departments
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = units.Select(u => u.CaseId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = units.Select(u => u.MatterCode).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = units.Select(u => u.Department).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = units.Select(u => u.ItemCode).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = units.Select(u => u.Region).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = units.Select(u => u.StartedAt.UtcDateTime).ToArray() });
        command.Parameters.Add(Times(units.Select(u => u.DueAt)));
        command.Parameters.Add(Times(units.Select(u => u.PausedSince)));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan[]> { TypedValue = units.Select(u => u.Paused).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = units.Select(u => u.Overdue).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = units.Select(u => u.Ended).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = units.Select(u => string.Join(',', u.Departments)).ToArray() });
        return command;
    }

    private static NpgsqlParameter Times(IEnumerable<DateTimeOffset?> values) => new()
    {
        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        Value = values.Select(v => v is { } t ? (object)t.UtcDateTime : DBNull.Value).ToArray(),
    };

    /// <summary>Adds a delta to a day's or a month's row.</summary>
    internal static NpgsqlBatchCommand AddCommand(char grain, StatisticsBucket bucket, DateOnly day, StatisticsDelta delta)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO onething_statistics AS s
                (grain, unit, day, item_code, region, department, submitted, completed, rejected, withdrawn, open, overdue,
                 finished, on_time, working_days, paused_working_days, bins, rated_1, rated_2, rated_3, rated_4, rated_5)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
            ON CONFLICT (grain, unit, day, item_code, region, department) DO UPDATE SET
                submitted = s.submitted + excluded.submitted, completed = s.completed + excluded.completed,
                rejected = s.rejected + excluded.rejected, withdrawn = s.withdrawn + excluded.withdrawn,
                open = s.open + excluded.open, overdue = s.overdue + excluded.overdue,
                finished = s.finished + excluded.finished, on_time = s.on_time + excluded.on_time,
                working_days = s.working_days + excluded.working_days,
                paused_working_days = s.paused_working_days + excluded.paused_working_days,
                bins = onething_add_bins(s.bins, excluded.bins),
                rated_1 = s.rated_1 + excluded.rated_1, rated_2 = s.rated_2 + excluded.rated_2, rated_3 = s.rated_3 + excluded.rated_3,
                rated_4 = s.rated_4 + excluded.rated_4, rated_5 = s.rated_5 + excluded.rated_5
            """);
        command.Parameters.Add(new NpgsqlParameter<char> { TypedValue = grain, NpgsqlDbType = NpgsqlDbType.Char });
        command.Parameters.Add(new NpgsqlParameter<char> { TypedValue = UnitCode(bucket.Unit), NpgsqlDbType = NpgsqlDbType.Char });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket.ItemCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket.Region });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket.Department });
        foreach (var count in new[] { delta.Submitted, delta.Completed, delta.Rejected, delta.Withdrawn, delta.Open, delta.Overdue, delta.Finished, delta.OnTime })
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = count });
        }
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = delta.WorkingDays });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = delta.PausedWorkingDays });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = delta.Bins });
        foreach (var rated in delta.Ratings)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rated });
        }
        return command;
    }

    public static char UnitCode(StatisticsUnit unit) => unit == StatisticsUnit.Case ? 'c' : 't';
}
