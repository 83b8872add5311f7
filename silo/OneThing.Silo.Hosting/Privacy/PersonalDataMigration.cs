using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Publishing;

namespace OneThing.Silo.Hosting.Privacy;

/// <summary>
/// <c>OneThing.Silo protect-existing</c>: brings stored rows under the current privacy keys. Identity numbers and phones
/// stored in clear (before encryption) or under a retired data key are sealed under the current one in case snapshots,
/// case events (what the applicant submitted: their <c>application</c> member), journal rows, inbox rows and applicants'
/// own fallback-desk requests; applicant index rows (and the desk requests' keys) are re-keyed with the current index key, recomputed from each
/// case's applicant. Idempotent: rows already current are not written. Run it with the silos stopped, since a running
/// case would later write back what it holds in memory.
/// </summary>
public sealed class PersonalDataMigration(NpgsqlDataSource dataSource, PrivacyKeys keys, ItemCatalog catalog)
{
    /// <summary>The grain type of case grains in <c>orleansstorage</c>.</summary>
    public const string CaseGrainType = "case";

    private const int PageSize = 500;

    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    private static readonly JsonSerializerOptions Writing = new() { Encoder = ViewJson.Encoder };

    /// <summary>What each case's rows need: which form fields are personal, and the applicant's index key.</summary>
    private readonly Dictionary<string, CaseFacts> _cases = new(StringComparer.Ordinal);

    private readonly Dictionary<(string, string?, int), IReadOnlySet<string>> _personalFormFields = [];

    /// <summary>An ItemCatalog that also reads versions published at run time, as the silo's does.</summary>
    public static ItemCatalog CatalogFor(NpgsqlDataSource dataSource, string catalogDirectory)
    {
        var catalog = ItemCatalog.LoadFromDirectory(catalogDirectory);
        var published = new PublishedItemStore(dataSource);
        catalog.LoadMissingVersionsFrom(published.FindAsync);
        return catalog;
    }

    public async Task<PersonalDataMigrationResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var snapshots = await RewriteSnapshotsAsync(cancellationToken);
        var changes = await RewriteJournalAsync(cancellationToken);
        var events = await RewriteEventsAsync(cancellationToken);
        var tasks = await RewriteInboxAsync(cancellationToken);
        var applicants = await RekeyApplicantsAsync(cancellationToken);
        var secrets = await ResealSubscriptionSecretsAsync(cancellationToken);
        var desk = await RewriteDeskApplicantsAsync(cancellationToken);
        return new PersonalDataMigrationResult(snapshots, changes, tasks, applicants, events, secrets, desk);
    }

    /// <summary>
    /// An applicant's own request to the fallback desk stores the applicant as the case does (identity number and phone
    /// sealed) with the applicant index's key of them: both brought under the current keys.
    /// </summary>
    private Task<int> RewriteDeskApplicantsAsync(CancellationToken cancellationToken) =>
        RewritePagesAsync(
            """
            SELECT entry_id, applicant, applicant_hash FROM onething_fallback_desk
            WHERE applicant IS NOT NULL AND entry_id > $1 ORDER BY entry_id LIMIT $2
            """,
            [""], row => [row.EntryId],
            reader => (EntryId: reader.GetString(0), Json: reader.GetString(1), Hash: reader.IsDBNull(2) ? null : reader.GetString(2)),
            (row, _) =>
            {
                var applicant = JsonNode.Parse(row.Json, CaseInsensitive)!.AsObject();
                var changed = Reseal(applicant, "IdNumber") | Reseal(applicant, "Phone");
                var enterprise = (string?)applicant["Kind"] == "enterprise";
                var identifier = enterprise ? (string?)applicant["CreditCode"] : (string?)applicant["IdNumber"];
                var hash = keys.ApplicantIndex.KeyOf(keys.Protector.Unprotect(identifier ?? ""));
                if (!changed && hash == row.Hash)
                {
                    return Task.FromResult<NpgsqlBatchCommand?>(null);
                }
                var update = new NpgsqlBatchCommand("UPDATE onething_fallback_desk SET applicant = $1, applicant_hash = $2 WHERE entry_id = $3");
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicant.ToJsonString(Writing) });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = hash });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.EntryId });
                return Task.FromResult<NpgsqlBatchCommand?>(update);
            },
            cancellationToken);

    /// <summary>Webhook signing secrets are sealed with the same data key: resealed under the current one.</summary>
    private async Task<int> ResealSubscriptionSecretsAsync(CancellationToken cancellationToken)
    {
        var stale = new List<(Guid Id, string Secret, string? Previous)>();
        await using (var select = dataSource.CreateCommand("SELECT subscription_id, secret, previous_secret FROM onething_subscriptions"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (secret, previous) = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
                if (!keys.Protector.IsCurrent(secret) || !keys.Protector.IsCurrent(previous))
                {
                    stale.Add((reader.GetGuid(0), secret, previous));
                }
            }
        }
        foreach (var (id, secret, previous) in stale)
        {
            await using var update = dataSource.CreateCommand("UPDATE onething_subscriptions SET secret = $2, previous_secret = $3 WHERE subscription_id = $1");
            update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Reseal(secret) });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = previous is null ? DBNull.Value : Reseal(previous) });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        return stale.Count;

        string Reseal(string value) => keys.Protector.Protect(keys.Protector.Unprotect(value));
    }

    private Task<int> RewriteSnapshotsAsync(CancellationToken cancellationToken) =>
        RewritePagesAsync(
            $"""
            SELECT serviceid, grainidextensionstring, convert_from(payloadbinary, 'UTF8')
            FROM orleansstorage
            WHERE graintypestring = '{CaseGrainType}' AND payloadbinary IS NOT NULL AND grainidextensionstring > $1
            ORDER BY grainidextensionstring
            LIMIT $2
            """,
            [""], row => [row.CaseId],
            reader => (ServiceId: reader.GetString(0), CaseId: reader.GetString(1), Json: reader.GetString(2)),
            async (row, token) =>
            {
                var state = JsonNode.Parse(row.Json, CaseInsensitive)!.AsObject();
                if (!await ResealCaseAsync(row.CaseId, state, token))
                {
                    return null;
                }
                var update = new NpgsqlBatchCommand("""
                    UPDATE orleansstorage SET payloadbinary = $1
                    WHERE graintypestring = $2 AND grainidextensionstring = $3 AND serviceid = $4
                    """);
                update.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Encoding.UTF8.GetBytes(state.ToJsonString(Writing)) });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaseGrainType });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.CaseId });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.ServiceId });
                return update;
            },
            cancellationToken);

    private Task<int> RewriteJournalAsync(CancellationToken cancellationToken) =>
        RewritePagesAsync(
            """
            SELECT case_id, revision, change::text FROM onething_case_changes
            WHERE (case_id, revision) > ($1, $2)
            ORDER BY case_id, revision
            LIMIT $3
            """,
            ["", 0], row => [row.CaseId, row.Revision],
            reader => (CaseId: reader.GetString(0), Revision: reader.GetInt32(1), Json: reader.GetString(2)),
            async (row, token) =>
            {
                var change = JsonNode.Parse(row.Json, CaseInsensitive)!.AsObject();
                // The first change of a case, and one that rewrote the application, hold the whole case.
                var changed = change["Whole"] is JsonObject whole
                    ? await ResealCaseAsync(row.CaseId, whole, token)
                    : ResealMatters(change["Matters"], PersonalFormFieldsOf(row.CaseId));
                if (!changed)
                {
                    return null;
                }
                var update = new NpgsqlBatchCommand("UPDATE onething_case_changes SET change = $1 WHERE case_id = $2 AND revision = $3");
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = change.ToJsonString(Writing), NpgsqlDbType = NpgsqlDbType.Json });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.CaseId });
                update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.Revision });
                return update;
            },
            cancellationToken);

    /// <summary>
    /// The events that hold what the applicant submitted: the submission (its application, like a whole case's), a
    /// supplement (its form values) and a converted case (its whole state). A case's submission comes first in key
    /// order, so its facts are known for its later events.
    /// </summary>
    private Task<int> RewriteEventsAsync(CancellationToken cancellationToken) =>
        RewritePagesAsync(
            """
            SELECT case_month, case_id, seq, type, data::text FROM onething_case_events
            WHERE (case_month, case_id, seq) > ($1, $2, $3) AND data ? 'application'
            ORDER BY case_month, case_id, seq
            LIMIT $4
            """,
            [DateOnly.MinValue, "", 0], row => [row.CaseMonth, row.CaseId, row.Seq],
            reader => (CaseMonth: reader.GetFieldValue<DateOnly>(0), CaseId: reader.GetString(1), Seq: reader.GetInt32(2), Type: reader.GetString(3), Json: reader.GetString(4)),
            async (row, token) =>
            {
                var data = JsonNode.Parse(row.Json, CaseInsensitive)!.AsObject();
                if (data[CaseEventTypes.PrivateMember] is not JsonObject application)
                {
                    return null;
                }
                var changed = row.Type switch
                {
                    nameof(CaseSubmitted) => await ResealCaseAsync(row.CaseId, application, token, itemOf: data),
                    nameof(CaseImported) => await ResealCaseAsync(row.CaseId, application, token),
                    _ => application["Form"] is JsonObject form && ResealForm(form, PersonalFormFieldsOf(row.CaseId)),
                };
                if (!changed)
                {
                    return null;
                }
                var update = new NpgsqlBatchCommand("UPDATE onething_case_events SET data = $1 WHERE case_month = $2 AND case_id = $3 AND seq = $4");
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = data.ToJsonString(Writing), NpgsqlDbType = NpgsqlDbType.Jsonb });
                update.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = row.CaseMonth });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.CaseId });
                update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.Seq });
                return update;
            },
            cancellationToken);

    private Task<int> RewriteInboxAsync(CancellationToken cancellationToken) =>
        RewritePagesAsync(
            """
            SELECT task_id, case_id, view::text FROM onething_department_tasks
            WHERE task_id > $1 ORDER BY task_id LIMIT $2
            """,
            [""], row => [row.TaskId],
            reader => (TaskId: reader.GetString(0), CaseId: reader.GetString(1), Json: reader.GetString(2)),
            (row, _) =>
            {
                var view = JsonNode.Parse(row.Json, CaseInsensitive)!.AsObject();
                if (view["inputs"] is not JsonObject inputs || !ResealInputs(inputs, PersonalFormFieldsOf(row.CaseId)))
                {
                    return Task.FromResult<NpgsqlBatchCommand?>(null);
                }
                var update = new NpgsqlBatchCommand("UPDATE onething_department_tasks SET view = $1 WHERE task_id = $2");
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = view.ToJsonString(Writing), NpgsqlDbType = NpgsqlDbType.Jsonb });
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.TaskId });
                return Task.FromResult<NpgsqlBatchCommand?>(update);
            },
            cancellationToken);

    /// <summary>
    /// Walks a table in key order a page at a time (keyset paging: the query's last parameter is the page size, the ones
    /// before it the key after which the page starts), and writes each page's rewrites as one batch.
    /// </summary>
    private async Task<int> RewritePagesAsync<TRow>(
        string pageQuery, object[] firstKey, Func<TRow, object[]> keyOf, Func<NpgsqlDataReader, TRow> read,
        Func<TRow, CancellationToken, Task<NpgsqlBatchCommand?>> rewrite, CancellationToken cancellationToken)
    {
        var rewritten = 0;
        var after = firstKey;
        while (true)
        {
            var page = new List<TRow>();
            await using (var query = dataSource.CreateCommand(pageQuery))
            {
                foreach (var value in after)
                {
                    query.Parameters.Add(new NpgsqlParameter { Value = value });
                }
                query.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize });
                await using var reader = await query.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(read(reader));
                }
            }
            if (page.Count == 0)
            {
                return rewritten;
            }
            await using var batch = dataSource.CreateBatch();
            foreach (var row in page)
            {
                if (await rewrite(row, cancellationToken) is { } update)
                {
                    batch.BatchCommands.Add(update);
                }
            }
            rewritten += await ExecuteAsync(batch, cancellationToken);
            after = keyOf(page[^1]);
        }
    }

    /// <summary>
    /// Every case's applicant row under the current index key; a row already under it is left alone. A case activated
    /// since the key changed already wrote its row under the new key: the old row is then deleted.
    /// </summary>
    private async Task<int> RekeyApplicantsAsync(CancellationToken cancellationToken)
    {
        var rekeyed = 0;
        foreach (var chunk in _cases.Where(c => c.Value.ApplicantIndexKey is not null).Chunk(PageSize))
        {
            await using var batch = dataSource.CreateBatch();
            foreach (var (caseId, facts) in chunk)
            {
                var dropStale = new NpgsqlBatchCommand("""
                    DELETE FROM onething_applicant_cases
                    WHERE case_id = $2 AND applicant_hash <> $1
                      AND EXISTS (SELECT 1 FROM onething_applicant_cases WHERE case_id = $2 AND applicant_hash = $1)
                    """);
                var update = new NpgsqlBatchCommand(
                    "UPDATE onething_applicant_cases SET applicant_hash = $1 WHERE case_id = $2 AND applicant_hash <> $1");
                foreach (var command in new[] { dropStale, update })
                {
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = facts.ApplicantIndexKey! });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
                    batch.BatchCommands.Add(command);
                }
            }
            rekeyed += await ExecuteAsync(batch, cancellationToken);
        }
        return rekeyed;
    }

    /// <summary>
    /// Seals a whole case's personal values (the applicant's, the personal form fields', the matters' inputs, and the
    /// application's fingerprint, a hash of them) under the current key and drops the applicant's <c>Key</c> that older snapshots stored in clear; learns the case's facts.
    /// </summary>
    /// <param name="itemOf">Where the case's item code, region and version are, when not in <paramref name="state"/> itself.</param>
    private async Task<bool> ResealCaseAsync(string caseId, JsonObject state, CancellationToken cancellationToken, JsonObject? itemOf = null)
    {
        var personalForm = await PersonalFormFieldsAsync(itemOf ?? state, cancellationToken);
        var changed = false;
        string? applicantKey = null;
        if (state["Applicant"] is JsonObject applicant)
        {
            changed |= applicant.Remove("Key");
            changed |= Reseal(applicant, "IdNumber");
            changed |= Reseal(applicant, "Phone");
            var enterprise = (string?)applicant["Kind"] == "enterprise";
            var identifier = enterprise ? (string?)applicant["CreditCode"] : (string?)applicant["IdNumber"];
            applicantKey = keys.ApplicantIndex.KeyOf(keys.Protector.Unprotect(identifier ?? ""));
        }
        if (state["Form"] is JsonObject form)
        {
            changed |= ResealForm(form, personalForm);
        }
        changed |= ResealMatters(state["Matters"], personalForm);
        changed |= Reseal(state, "Fingerprint");
        _cases[caseId] = new CaseFacts(personalForm, applicantKey ?? (_cases.TryGetValue(caseId, out var known) ? known.ApplicantIndexKey : null));
        return changed;
    }

    private bool ResealForm(JsonObject form, IReadOnlySet<string> personalForm)
    {
        var changed = false;
        foreach (var name in form.Select(field => field.Key).Where(personalForm.Contains).ToList())
        {
            changed |= Reseal(form, name);
        }
        return changed;
    }

    private bool ResealMatters(JsonNode? matters, IReadOnlySet<string> personalForm)
    {
        var changed = false;
        foreach (var matter in matters as JsonArray ?? [])
        {
            if (matter?["Inputs"] is JsonObject inputs)
            {
                changed |= ResealInputs(inputs, personalForm);
            }
        }
        return changed;
    }

    private bool ResealInputs(JsonObject inputs, IReadOnlySet<string> personalForm)
    {
        var changed = false;
        foreach (var name in inputs.Select(input => input.Key).Where(name => PersonalFields.IsPersonalInput(name, personalForm)).ToList())
        {
            changed |= Reseal(inputs, name);
        }
        return changed;
    }

    /// <summary>Seals one string property under the current key unless it already is; true when it changed.</summary>
    private bool Reseal(JsonObject owner, string property)
    {
        if (owner[property] is not JsonValue value || !value.TryGetValue<string>(out var stored) || keys.Protector.IsCurrent(stored))
        {
            return false;
        }
        owner[property] = keys.Protector.Reprotect(stored);
        return true;
    }

    private async Task<IReadOnlySet<string>> PersonalFormFieldsAsync(JsonObject state, CancellationToken cancellationToken)
    {
        var code = (string?)state["ItemCode"];
        var region = (string?)state["ItemRegion"];
        var version = (int?)state["ItemVersion"] ?? 0;
        if (code is null)
        {
            return new HashSet<string>();
        }
        if (!_personalFormFields.TryGetValue((code, region, version), out var fields))
        {
            var item = await catalog.FindVariantAsync(code, region, version, cancellationToken)
                ?? throw new InvalidOperationException(
                    $"A stored case runs {ItemCatalog.Describe(code, region, version)}, which neither the catalog nor the published versions hold.");
            _personalFormFields[(code, region, version)] = fields = PersonalFields.FormFields(item);
        }
        return fields;
    }

    /// <summary>A case whose whole state was not seen (none should exist): only the applicant's own inputs are known to be personal.</summary>
    private IReadOnlySet<string> PersonalFormFieldsOf(string caseId) =>
        _cases.TryGetValue(caseId, out var facts) ? facts.PersonalFormFields : new HashSet<string>();

    private static async Task<int> ExecuteAsync(NpgsqlBatch batch, CancellationToken cancellationToken) =>
        batch.BatchCommands.Count == 0 ? 0 : await batch.ExecuteNonQueryAsync(cancellationToken);

    private sealed record CaseFacts(IReadOnlySet<string> PersonalFormFields, string? ApplicantIndexKey);
}

/// <summary>Rows <see cref="PersonalDataMigration"/> rewrote, per table.</summary>
public sealed record PersonalDataMigrationResult(
    int Snapshots, int JournalRows, int InboxRows, int ApplicantRows, int EventRows, int SubscriptionSecrets = 0, int DeskApplicants = 0);
