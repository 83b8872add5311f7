using System.Text.Json;
using Npgsql;
using OneThing.Grains.Events;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Events;

/// <summary>
/// Why a case's read stays flat as years of events pile up: the activation's query reaches one partition, its case's
/// month, and PostgreSQL never runs the others.
/// </summary>
public sealed class CaseReadPruningTests
{
    [Fact]
    public async Task AnActivationsReadScansOnlyItsCasesMonth()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("event_pruning");
        await using var database = NpgsqlDataSource.Create(connectionString);
        await TestDatabase.ScalarAsync(connectionString, "SELECT onething_ensure_event_partitions('2031-01-01', 6)");
        foreach (var (caseId, month) in new[] { ("january-case", new DateOnly(2031, 1, 1)), ("april-case", new DateOnly(2031, 4, 1)) })
        {
            await using (var events = await StoredEvents.BeginAsync(database))
            {
                for (var seq = 1; seq <= 3; seq++)
                {
                    await events.InsertAsync(caseId, seq, month);
                }
                await events.CommitAsync();
            }
            await TestDatabase.ScalarAsync(connectionString,
                "INSERT INTO onething_case_directory (case_id, case_month, item_code, submitted_at) VALUES (@id, @month, 'newborn', @month::timestamptz)",
                ("id", caseId), ("month", month));
        }

        var read = await new CaseEventLog(database).ReadAsync("april-case", 1, CancellationToken.None);
        var scanned = await PartitionsScannedAsync(database, "april-case");

        Assert.Equal([2, 3], read.Select(e => e.Seq));
        Assert.Equal(["onething_case_events_2031_04"], scanned);
    }

    /// <summary>The partitions the read query actually ran on (a pruned one shows as never executed).</summary>
    private static async Task<List<string>> PartitionsScannedAsync(NpgsqlDataSource database, string caseId)
    {
        await using var command = database.CreateCommand($"EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) {CaseEventLog.ReadCaseQuery}");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 1 });
        using var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!);
        var scanned = new List<string>();
        Walk(plan.RootElement[0].GetProperty("Plan"));
        return scanned;

        void Walk(JsonElement node)
        {
            if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString()!.StartsWith("onething_case_events", StringComparison.Ordinal)
                && node.GetProperty("Actual Loops").GetInt64() > 0)
            {
                scanned.Add(relation.GetString()!);
            }
            foreach (var child in node.TryGetProperty("Plans", out var plans) ? plans.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                Walk(child);
            }
        }
    }
}
