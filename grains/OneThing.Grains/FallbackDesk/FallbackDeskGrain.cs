using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Cases;
using OneThing.Contracts.FallbackDesk;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Common;
using Orleans.Concurrency;

namespace OneThing.Grains.FallbackDesk;

[StatelessWorker]
public sealed class FallbackDeskGrain(
    NpgsqlDataSource database, WorkingCalendar calendar, PrivacyKeys privacy, IOptions<FallbackDeskOptions> options, TimeProvider clock)
    : Grain, IFallbackDeskGrain
{
    public async Task<Outcome<DeskEntry>> OpenAsync(DeskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = CaseDecisions.StoredPrecision(clock.GetUtcNow());
        var applicant = request.Applicant with
        {
            IdNumber = privacy.Protector.ProtectOrNull(request.Applicant.IdNumber),
            Phone = privacy.Protector.ProtectOrNull(request.Applicant.Phone),
        };
        var applicantHash = privacy.ApplicantIndex.KeyOf(request.Applicant.Key);
        await using (var insert = database.CreateCommand("""
            INSERT INTO onething_fallback_desk
                (entry_id, case_id, item_code, source, status, reason, escalated_at, due_at, description, applicant, applicant_hash,
                 revision, updated_at)
            VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, 0, now())
            ON CONFLICT (entry_id) DO NOTHING
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = request.EntryId });
            insert.Parameters.Add(Text(request.CaseId));
            insert.Parameters.Add(Text(request.ItemCode));
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeskSources.Applicant });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeskSources.ApplicantReason });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = calendar.DueAt(now, options.Value.Limit).UtcDateTime });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = request.Description });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(applicant, ViewJson.Options) });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicantHash });
            if (await insert.ExecuteNonQueryAsync() == 1)
            {
                return Outcome<DeskEntry>.Created((await GetAsync(request.EntryId))!);
            }
        }
        // The id was used: a retry of the same request answers the entry, another request under it is refused.
        var (entry, hash) = await ReadAsync(request.EntryId);
        return entry is not null && hash == applicantHash && entry.Description == request.Description && entry.CaseId == request.CaseId
            ? Outcome<DeskEntry>.Ok(entry)
            : Outcome<DeskEntry>.Conflict("This Idempotency-Key was already used for a different request.");
    }

    public async Task<Outcome<DeskEntry>> ResolveAsync(string entryId, string resolvedBy, string resolution)
    {
        await using (var update = database.CreateCommand("""
            UPDATE onething_fallback_desk
            SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = $3, revision = revision + 1, updated_at = now()
            WHERE entry_id = $1 AND source = 'applicant' AND status = 'open'
            """))
        {
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entryId });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = resolvedBy });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = resolution });
            await update.ExecuteNonQueryAsync();
        }
        var (entry, _) = await ReadAsync(entryId);
        if (entry is null || entry.Source != DeskSources.Applicant)
        {
            return Outcome<DeskEntry>.NotFound("No such entry at the fallback desk.");
        }
        return entry.ResolvedBy == resolvedBy && entry.Resolution == resolution
            ? Outcome<DeskEntry>.Ok(entry)
            : Outcome<DeskEntry>.Conflict("This entry was already resolved.");
    }

    public async Task<DeskEntry?> GetAsync(string entryId) => (await ReadAsync(entryId)).Entry;

    private async Task<(DeskEntry? Entry, string? ApplicantHash)> ReadAsync(string entryId)
    {
        await using var command = database.CreateCommand($"SELECT {DeskRows.Columns}, applicant_hash FROM onething_fallback_desk WHERE entry_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entryId });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return (null, null);
        }
        return (DeskRows.Read(reader, clock.GetUtcNow(), privacy.Protector), reader.IsDBNull(DeskRows.ColumnCount) ? null : reader.GetString(DeskRows.ColumnCount));
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
}

/// <summary>The fallback desk's rows as entries: one column list and one reader for the grain and the API's list.</summary>
public static class DeskRows
{
    public const string Columns = """
        entry_id, case_id, item_code, source, status, reason, escalated_at, due_at, case_due_at, resolved_at, resolved_by,
        resolution, description, applicant
        """;

    public const int ColumnCount = 14;

    /// <summary>The entry at the reader's row, its applicant's sealed values opened; overdue when still open at <paramref name="now"/> past its due time.</summary>
    public static DeskEntry Read(NpgsqlDataReader reader, DateTimeOffset now, PersonalDataProtector protector)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(protector);
        var status = reader.GetString(4);
        var dueAt = Time(reader, 7);
        Applicant? applicant = null;
        if (!reader.IsDBNull(13) && JsonSerializer.Deserialize<Applicant>(reader.GetString(13), ViewJson.Options) is { } stored)
        {
            applicant = stored with { IdNumber = protector.UnprotectOrNull(stored.IdNumber), Phone = protector.UnprotectOrNull(stored.Phone) };
        }
        return new DeskEntry(
            reader.GetString(0), Text(reader, 1), Text(reader, 2), reader.GetString(3), status, reader.GetString(5),
            reader.GetFieldValue<DateTimeOffset>(6), dueAt, status == "open" && dueAt is { } due && now > due, Time(reader, 8),
            Time(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12), applicant);
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
