using Npgsql;
using OneThing.Grains.Events;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Events;

/// <summary>
/// The global feed while two silos commit events at once: their group commits finish in any order, and a reader that
/// follows the feed from its checkpoint the whole time must still get every event once, in position order.
/// </summary>
public sealed class FeedUnderTwoSilosTests
{
    private const int Cases = 40;

    [Fact]
    public async Task AReaderFollowingTheFeedWhileTwoSilosCommitNeverSkipsAnEvent()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "feed_two_silos");
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var feed = new CaseEventFeed(dataSource);
        var driver = new CaseDriver(api);

        var read = new List<CaseEventRow>();
        using var writersDone = new CancellationTokenSource();
        var follower = Task.Run(async () =>
        {
            var after = 0L;
            // Follows until the writers are done and one more pass finds nothing new.
            while (true)
            {
                var finished = writersDone.IsCancellationRequested;
                var page = await feed.ReadAsync(after, CaseEventFeed.MaxLimit);
                read.AddRange(page);
                after = page.Count > 0 ? page[^1].Position : after;
                if (finished && page.Count == 0)
                {
                    return;
                }
                // The follower's polling cadence, not a wait for any condition.
                await Task.Delay(page.Count == 0 ? 10 : 0);
            }
        });

        var caseIds = new string[Cases];
        await Parallel.ForEachAsync(Enumerable.Range(0, Cases), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            caseIds[i] = (await driver.SubmitNewAsync(i % 2 == 0 ? "newborn" : "retirement", 4_100_000 + i)).GetProperty("caseId").GetString()!;
            await driver.RunToEndAsync(caseIds[i]);
        });
        var silos = new HashSet<string>();
        foreach (var caseId in caseIds)
        {
            silos.Add((await cluster.SiloHoldingCaseAsync(caseId)).SiloAddress.ToString());
        }
        await writersDone.CancelAsync();
        await follower.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, silos.Count); // both silos committed cases
        var stored = await StoredAsync(dataSource);
        Assert.True(stored.Count > Cases * 10, $"only {stored.Count} events were stored");
        // Every stored event read exactly once, in strictly increasing positions...
        Assert.Equal(stored.Count, read.Count);
        Assert.Equal(stored.OrderBy(e => e), read.Select(e => (e.CaseId, e.Seq)).OrderBy(e => e));
        Assert.All(read.Zip(read.Skip(1)), pair => Assert.True(pair.First.Position < pair.Second.Position,
            $"position {pair.Second.Position} was read after {pair.First.Position}"));
        // ...and each case's events in their own order.
        Assert.All(read.GroupBy(e => e.CaseId), events =>
            Assert.Equal(Enumerable.Range(1, events.Count()), events.Select(e => e.Seq)));
    }

    private static async Task<List<(string CaseId, int Seq)>> StoredAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT case_id, seq FROM onething_case_events");
        await using var reader = await command.ExecuteReaderAsync();
        var stored = new List<(string, int)>();
        while (await reader.ReadAsync())
        {
            stored.Add((reader.GetString(0), reader.GetInt32(1)));
        }
        return stored;
    }
}
