using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;

namespace OneThing.Grains.Publishing;

/// <summary>What a <see cref="CalendarYearStore.PutAsync"/> did.</summary>
public enum CalendarYearWrite
{
    /// <summary>No year had been published for this year before.</summary>
    Created = 0,

    /// <summary>A published year was replaced by different dates.</summary>
    Replaced = 1,

    /// <summary>The published year already had these dates; nothing was written.</summary>
    Unchanged = 2,
}

/// <summary>A row of <c>onething_calendar_years</c>.</summary>
public sealed record CalendarYearRow(CalendarYear Year, DateTimeOffset UpdatedAt);

/// <summary>The calendar years ops published (<c>onething_calendar_years</c>); each overrides the year's built-in file.</summary>
public sealed class CalendarYearStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Stores the year, replacing a different published one. Dates are stored sorted and without repeats, so the
    /// same notice sent again compares equal and leaves <c>updated_at</c> (which the refresh follows) alone.
    /// </summary>
    public async Task<CalendarYearWrite> PutAsync(CalendarYear year, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(year);
        // xmax is 0 on a row this statement inserted; an unchanged year matches the WHERE of no update and returns nothing.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO onething_calendar_years AS stored (year, holidays, working_weekends, updated_at)
            VALUES ($1, $2, $3, clock_timestamp())
            ON CONFLICT (year) DO UPDATE SET
                holidays = excluded.holidays, working_weekends = excluded.working_weekends, updated_at = excluded.updated_at
            WHERE (stored.holidays, stored.working_weekends) IS DISTINCT FROM (excluded.holidays, excluded.working_weekends)
            RETURNING xmax = 0
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = year.Year });
        command.Parameters.Add(Dates(year.Holidays));
        command.Parameters.Add(Dates(year.WorkingWeekends));
        return await command.ExecuteScalarAsync(cancellationToken) switch
        {
            true => CalendarYearWrite.Created,
            false => CalendarYearWrite.Replaced,
            _ => CalendarYearWrite.Unchanged,
        };
    }

    public async Task<CalendarYear?> FindAsync(int year, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT year, holidays, working_weekends, updated_at FROM onething_calendar_years WHERE year = $1");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = year });
        var rows = await ReadRowsAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0].Year;
    }

    /// <summary>Years updated after <paramref name="after"/> (every year when null), oldest update first.</summary>
    public async Task<IReadOnlyList<CalendarYearRow>> ReadAsync(DateTimeOffset? after, CancellationToken cancellationToken = default)
    {
        // Two texts rather than "$1 IS NULL OR ...": a prepared generic plan for that could not use the index.
        await using var command = dataSource.CreateCommand(after is null
            ? "SELECT year, holidays, working_weekends, updated_at FROM onething_calendar_years ORDER BY updated_at, year"
            : "SELECT year, holidays, working_weekends, updated_at FROM onething_calendar_years WHERE updated_at > $1 ORDER BY updated_at, year");
        if (after is { } value)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = value.ToUniversalTime() });
        }
        return await ReadRowsAsync(command, cancellationToken);
    }

    private static async Task<List<CalendarYearRow>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<CalendarYearRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CalendarYearRow(
                new CalendarYear(reader.GetInt32(0), reader.GetFieldValue<DateOnly[]>(1), reader.GetFieldValue<DateOnly[]>(2)),
                reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return rows;
    }

    private static NpgsqlParameter<DateOnly[]> Dates(IEnumerable<DateOnly> dates) =>
        new() { TypedValue = [.. dates.Distinct().Order()], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date };
}
