using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Ops;

namespace OneThing.Grains.Statistics;

/// <summary>How figures are grouped; with <see cref="Department"/> (or a department filter) the unit is the task.</summary>
public enum StatisticsGrouping
{
    Department,
    Item,
    Region,
}

/// <summary>A statistics question: a period of days in China time, a grouping, optional filters.</summary>
public sealed record StatisticsQuery(StatisticsGrouping GroupBy, DateOnly From, DateOnly To, string? Item = null, string? Region = null, string? Department = null)
{
    public StatisticsUnit Unit => GroupBy == StatisticsGrouping.Department || Department is not null ? StatisticsUnit.Task : StatisticsUnit.Case;
}

/// <summary>Per department, now: what <c>GET /api/ops/statistics/departments</c> has always answered.</summary>
public sealed record DepartmentTotals(string Department, long Open, long Completed, long Overdue, long OpenOverdue);

/// <summary>Reads the projected statistics: the months a period covers whole from their month rows, the rest from day rows.</summary>
public sealed class StatisticsReader(NpgsqlDataSource database)
{
    public async Task<StatisticsReport> ReadAsync(StatisticsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var key = query.GroupBy switch
        {
            StatisticsGrouping.Department => "department",
            StatisticsGrouping.Item => "item_code",
            _ => "region",
        };
        await using var command = database.CreateCommand($"""
            SELECT {key}, sum(submitted)::bigint, sum(completed)::bigint, sum(rejected)::bigint, sum(withdrawn)::bigint,
                   sum(open)::bigint, sum(overdue)::bigint, sum(finished)::bigint, sum(on_time)::bigint,
                   sum(working_days), sum(paused_working_days), onething_sum_bins(bins),
                   sum(rated_1)::bigint, sum(rated_2)::bigint, sum(rated_3)::bigint, sum(rated_4)::bigint, sum(rated_5)::bigint
            FROM onething_statistics
            WHERE unit = $1
              AND ((grain = 'm' AND day = ANY($2))
                OR (grain = 'd' AND day BETWEEN $3 AND $4)
                OR (grain = 'd' AND day BETWEEN $8 AND $9))
              AND ($5::text IS NULL OR item_code = $5)
              AND ($6::text IS NULL OR region = $6)
              AND ($7::text IS NULL OR department = $7)
            GROUP BY {key}
            ORDER BY {key}
            """);
        command.Parameters.Add(new NpgsqlParameter<char> { TypedValue = StatisticsProjector.UnitCode(query.Unit), NpgsqlDbType = NpgsqlDbType.Char });
        var months = WholeMonths(query.From, query.To);
        var (before, after) = EdgeDays(query.From, query.To, months);
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = months });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = before.From });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = before.To });
        command.Parameters.Add(Text(query.Item));
        command.Parameters.Add(Text(query.Region));
        command.Parameters.Add(Text(query.Department));
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = after.From });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = after.To });
        var groups = new List<StatisticsGroup>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var groupKey = reader.GetString(0);
            groups.Add(StatisticsFigures.Group(new StatisticsSums(
                groupKey.Length == 0 ? null : groupKey,
                reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                reader.GetInt64(7), reader.GetInt64(8), reader.GetDouble(9), reader.GetDouble(10), reader.GetFieldValue<int[]>(11),
                [reader.GetInt64(12), reader.GetInt64(13), reader.GetInt64(14), reader.GetInt64(15), reader.GetInt64(16)])));
        }
        return new StatisticsReport(query.From, query.To, query.GroupBy.ToString().ToLowerInvariant(), groups);
    }

    /// <summary>
    /// Tasks per department over all time: open now, completed, ever overdue, and open and overdue now (from the unit
    /// states: an ended task has none).
    /// </summary>
    public async Task<IReadOnlyList<DepartmentTotals>> ReadDepartmentTotalsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = database.CreateCommand("""
            SELECT t.department, t.open, t.completed, t.overdue, coalesce(o.open_overdue, 0)
            FROM (SELECT department, sum(open)::bigint AS open, sum(completed)::bigint AS completed, sum(overdue)::bigint AS overdue
                  FROM onething_statistics WHERE grain = 'm' AND unit = 't' GROUP BY department) t
            LEFT JOIN (SELECT department, count(*) AS open_overdue FROM onething_statistics_units
                       WHERE overdue AND matter_code <> '' GROUP BY department) o ON o.department = t.department
            ORDER BY t.department
            """);
        var rows = new List<DepartmentTotals>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DepartmentTotals(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        return rows;
    }

    /// <summary>The first days of the months that lie wholly within [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public static DateOnly[] WholeMonths(DateOnly from, DateOnly to)
    {
        var months = new List<DateOnly>();
        for (var month = new DateOnly(from.Year, from.Month, 1); month <= to; month = month.AddMonths(1))
        {
            if (month >= from && month.AddMonths(1).AddDays(-1) <= to)
            {
                months.Add(month);
            }
        }
        return [.. months];
    }

    /// <summary>
    /// The days of the period outside its whole <paramref name="months"/> (contiguous): before the first and after the
    /// last, each an inclusive range (empty when From &gt; To). Without whole months, the period itself and an empty range.
    /// </summary>
    public static ((DateOnly From, DateOnly To) Before, (DateOnly From, DateOnly To) After) EdgeDays(DateOnly from, DateOnly to, DateOnly[] months)
    {
        ArgumentNullException.ThrowIfNull(months);
        if (months.Length == 0)
        {
            return ((from, to), (to.AddDays(1), to));
        }
        return ((from, months[0].AddDays(-1)), (months[^1].AddMonths(1), to));
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
}
