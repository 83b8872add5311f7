using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using OneThing.Grains.Common;

namespace OneThing.Grains.Cases.Legacy;

/// <summary>
/// The change journal (<c>onething_case_changes</c>) that stored cases before events existed: read once per such case,
/// when it first activates, to convert it into its first event (<see cref="Events.CaseImported"/>); the rows are deleted
/// in the transaction that stores that event. Nothing writes this table any more.
/// </summary>
public sealed class LegacyCaseJournal(NpgsqlDataSource dataSource)
{
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
            var change = JsonSerializer.Deserialize(reader.GetString(1), CaseStateJson.Context.CaseChange)
                ?? throw new InvalidOperationException($"Case {caseId}: change {reader.GetInt32(0)} is empty.");
            change.Revision = reader.GetInt32(0);
            changes.Add(change);
        }
        return changes;
    }

    /// <summary>Deletes the case's journal rows: its converted state holds them.</summary>
    public static NpgsqlBatchCommand Delete(string caseId)
    {
        var command = new NpgsqlBatchCommand("DELETE FROM onething_case_changes WHERE case_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        return command;
    }
}

/// <summary>The JSON of a whole case as the journal and an imported case's first event hold it.</summary>
public static class CaseStateJson
{
    internal static CaseStateJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        // As the grain storage writes state: Chinese text as it is, so ops read names and timelines in PostgreSQL.
        Encoder = ViewJson.Encoder,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public static JsonSerializerOptions Options => Context.Options;

    public static JsonElement ToElement(CaseState state) => JsonSerializer.SerializeToElement(state, Context.CaseState);
}

[JsonSerializable(typeof(CaseChange))]
[JsonSerializable(typeof(CaseState))]
internal sealed partial class CaseStateJsonContext : JsonSerializerContext;
