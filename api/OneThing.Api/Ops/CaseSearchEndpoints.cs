using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using OneThing.Api.Common;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Ops;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;

namespace OneThing.Api.Ops;

/// <summary>
/// Ops search over every case (<c>GET /api/ops/cases</c>), from the cases' search rows: newest first, a page at a time
/// by keyset, so the hundredth page costs what the first does.
/// </summary>
public static class CaseSearchEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>
    /// Cases by <c>item</c>, <c>region</c>, <c>status</c>, <c>department</c> (it has a task in it), <c>overdue</c> and
    /// <c>warning</c> (the case or one of its tasks), and submission time (<c>submittedFrom</c>/<c>submittedTo</c>: a day
    /// in China time, both included, or an ISO 8601 time); <c>limit</c> per page (50, at most 200); <c>cursor</c>: the
    /// previous page's <c>nextCursor</c>.
    /// </summary>
    public static async Task<Results<Ok<CaseSearchPage>, ValidationProblem>> SearchAsync(
        string? item, string? region, string? status, string? department, string? overdue, string? warning,
        string? submittedFrom, string? submittedTo, string? limit, string? cursor, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (status is not null && !Enum.GetNames<CaseStatus>().Contains(status, StringComparer.Ordinal))
        {
            errors.Add("status", $"One of: {string.Join(", ", Enum.GetNames<CaseStatus>())}.");
        }
        var overdueOnly = Flag(overdue, "overdue", errors);
        var warningOnly = Flag(warning, "warning", errors);
        var from = Time(submittedFrom, "submittedFrom", endOfDay: false, errors);
        var to = Time(submittedTo, "submittedTo", endOfDay: true, errors);
        var count = QueryNumber.Read(limit, "limit", 1, MaxLimit, errors) ?? DefaultLimit;
        var after = Cursor.TryDecode(cursor, "cursor", errors, out var afterAt, out var afterId);
        foreach (var (name, value) in new[] { ("item", item), ("region", region), ("department", department) })
        {
            if (value is { Length: > FieldLimits.Code })
            {
                errors.Add(name, $"At most {FieldLimits.Code} characters.");
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        await using var command = database.CreateCommand("""
            SELECT case_id, item_code, region, status, submitted_at, due_at, completed_at, overdue, warning, departments
            FROM onething_case_summaries
            WHERE ($1::text IS NULL OR item_code = $1)
              AND ($2::text IS NULL OR region = $2)
              AND ($3::text IS NULL OR status = $3)
              AND ($4::text IS NULL OR departments @> ARRAY[$4::text])
              AND ($5::boolean IS NULL OR overdue = $5)
              AND ($6::boolean IS NULL OR warning = $6)
              AND ($7::timestamptz IS NULL OR submitted_at >= $7)
              AND ($8::timestamptz IS NULL OR submitted_at < $8)
              AND ($9::timestamptz IS NULL OR (submitted_at, case_id) < ($9, $10::text))
            ORDER BY submitted_at DESC, case_id DESC
            LIMIT $11
            """);
        command.Parameters.Add(Text(Blank(item)));
        command.Parameters.Add(Text(Blank(region)));
        command.Parameters.Add(Text(status));
        command.Parameters.Add(Text(Blank(department)));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = (object?)overdueOnly ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = (object?)warningOnly ?? DBNull.Value });
        command.Parameters.Add(Timestamp(from));
        command.Parameters.Add(Timestamp(to));
        command.Parameters.Add(Timestamp(after ? afterAt : null));
        command.Parameters.Add(Text(after ? afterId : null));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count + 1 });
        var items = new List<CaseSearchItem>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new CaseSearchItem(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    Enum.Parse<CaseStatus>(reader.GetString(3)), reader.GetFieldValue<DateTimeOffset>(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    reader.GetBoolean(7), reader.GetBoolean(8), reader.GetFieldValue<string[]>(9)));
            }
        }
        string? next = null;
        if (items.Count > count)
        {
            items.RemoveAt(count);
            next = Cursor.Encode(items[^1].SubmittedAt, items[^1].CaseId);
        }
        return TypedResults.Ok(new CaseSearchPage(items, next));
    }

    /// <summary><c>true</c> or <c>false</c>; null when absent.</summary>
    public static bool? Flag(string? text, string name, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        switch (text)
        {
            case null or "":
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                errors.Add(name, "true or false.");
                return null;
        }
    }

    /// <summary>A day (YYYY-MM-DD, China time: its start, or with <paramref name="endOfDay"/> the next day's) or an ISO 8601 time with an offset.</summary>
    private static DateTimeOffset? Time(string? text, string name, bool endOfDay, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), WorkingCalendar.BeijingOffset);
            return endOfDay ? start.AddDays(1) : start;
        }
        if (text.Length > 10 && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) && text.Contains('T', StringComparison.Ordinal))
        {
            return time;
        }
        errors.Add(name, "A day as YYYY-MM-DD (China time) or an ISO 8601 time with its offset.");
        return null;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Timestamp(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.UtcDateTime : DBNull.Value };
}
