using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using OneThing.Grains.Common;

namespace OneThing.Grains.Cases;

/// <summary>
/// The case journal (<c>onething_case_changes</c>): one row per committed change of a case, keyed by case and
/// revision. A case is its last snapshot (Orleans grain storage, state <c>case</c>) plus the journal rows after the
/// snapshot's revision.
/// </summary>
/// <remarks>
/// <para>A change's row is written in the same transaction as the read-model rows it touched (the silo's group
/// commit, <see cref="ReadModels.ReadModelWriter"/>): a change is stored with its inbox rows or not at all, and it
/// shares that transaction's commit with other cases' changes instead of paying one of its own.</para>
/// <para>The primary key is what keeps one writer per case: two activations of a case (possible for a moment while the
/// cluster disagrees on membership) cannot both store revision N+1; the loser's transaction fails and its activation
/// is dropped, as after any failed write.</para>
/// </remarks>
public sealed class CaseJournal(NpgsqlDataSource dataSource)
{
    private static readonly CaseJournalJson Json = new(new JsonSerializerOptions
    {
        // As the grain storage writes state: Chinese text as it is, so ops read names and timelines in PostgreSQL.
        Encoder = ViewJson.Encoder,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    /// <summary>Stores <paramref name="change"/>; serialized now, so the case may go on changing afterwards.</summary>
    public NpgsqlBatchCommand Append(string caseId, CaseChange change)
    {
        var command = new NpgsqlBatchCommand("INSERT INTO onething_case_changes (case_id, revision, change) VALUES ($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = change.Revision });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Serialize(change), NpgsqlDbType = NpgsqlDbType.Json });
        return command;
    }

    /// <summary>Deletes the changes a snapshot at <paramref name="snapshotRevision"/> holds.</summary>
    public NpgsqlBatchCommand Trim(string caseId, int snapshotRevision)
    {
        var command = new NpgsqlBatchCommand("DELETE FROM onething_case_changes WHERE case_id = $1 AND revision <= $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = snapshotRevision });
        return command;
    }

    /// <summary>The case's changes after <paramref name="snapshotRevision"/>, oldest first.</summary>
    public async Task<List<CaseChange>> ReadAsync(string caseId, int snapshotRevision, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT revision, change FROM onething_case_changes WHERE case_id = $1 AND revision > $2 ORDER BY revision");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = snapshotRevision });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var changes = new List<CaseChange>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var change = JsonSerializer.Deserialize(reader.GetString(1), Json.CaseChange)
                ?? throw new InvalidOperationException($"Case {caseId}: change {reader.GetInt32(0)} is empty.");
            change.Revision = reader.GetInt32(0);
            changes.Add(change);
        }
        return changes;
    }

    public static string Serialize(CaseChange change) => JsonSerializer.Serialize(change, Json.CaseChange);

    /// <summary>The case as JSON, to compare two states or copy one (<see cref="CaseJournalOptions.VerifyChanges"/>).</summary>
    public static string Serialize(CaseState state) => JsonSerializer.Serialize(state, Json.CaseState);

    public static CaseState Copy(CaseState state) => JsonSerializer.Deserialize(Serialize(state), Json.CaseState)!;
}

/// <summary>Settings of section <c>OneThing:Cases</c> that shape how cases are stored.</summary>
public sealed class CaseJournalOptions
{
    public const string SectionName = "OneThing:Cases";

    /// <summary>
    /// After this many changes in the journal a case writes its whole state as its snapshot and the changes before it
    /// are deleted, so an activation replays at most this many rows. An ended case writes its snapshot at once.
    /// </summary>
    public int ChangesPerSnapshot { get; set; } = 32;

    /// <summary>
    /// Before each change is stored, replay it onto the case as last stored and require the result to equal the case
    /// in memory, so that a change which forgot something it moved fails at once instead of losing it at the next
    /// activation. Costs two serializations of the whole case per change: for tests and diagnosis.
    /// </summary>
    public bool VerifyChanges { get; set; }
}

[JsonSerializable(typeof(CaseChange))]
[JsonSerializable(typeof(CaseState))]
internal sealed partial class CaseJournalJson : JsonSerializerContext;
