using System.Text.Json;
using Npgsql;
using OneThing.Grains.Events;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Events;

/// <summary>The global feed on the database alone: concurrent writers, a transaction held open, one reader following.</summary>
public sealed class CaseEventFeedTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AReaderFollowingTheFeedSeesEveryCommittedEventOnceAndNeverGoesBack()
    {
        await using var database = NpgsqlDataSource.Create(await TestDatabase.CreateMigratedAsync("event_feed"));
        var reader = new FeedFollower(new CaseEventFeed(database));

        // One writer takes its transaction id first and holds the transaction open, inserted and not committed.
        var held = await StoredEvents.BeginAsync(database);
        await held.InsertCaseAsync("held", 3);

        // The other commits several transactions meanwhile, and one that it rolls back, while the reader follows.
        var committed = new List<(string CaseId, int Seq)>();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await using var events = await StoredEvents.BeginAsync(database);
                await events.InsertCaseAsync($"later-{i}", 4);
                await events.CommitAsync();
                lock (committed)
                {
                    committed.AddRange(events.Written);
                }
                await reader.StepAsync();
            }
            await using var aborted = await StoredEvents.BeginAsync(database);
            await aborted.InsertCaseAsync("aborted", 2);
            await aborted.RollbackAsync();
        });
        await writer;
        await reader.StepAsync();

        // Everything committed later sits above the held transaction's position: the feed waits for it.
        Assert.Empty(reader.Seen);

        await held.CommitAsync();
        await held.DisposeAsync();
        var expected = held.Written.Concat(committed).ToHashSet();
        await Poll.UntilAsync(async () =>
        {
            await reader.StepAsync();
            return reader.Seen.Count;
        }, count => count >= expected.Count, Bound, "the reader did not reach every committed event");

        // The held transaction's rows come first: its id is the oldest.
        Assert.Equal(held.Written, reader.Seen.Take(3).Select(e => (e.CaseId, e.Seq)));
        Assert.Equal(expected.Count, reader.Seen.Count);
        Assert.Equal(expected, reader.Seen.Select(e => (e.CaseId, e.Seq)).ToHashSet());
        Assert.DoesNotContain(reader.Seen, e => e.CaseId == "aborted");
        // Nothing more turns up later, the aborted rows included.
        await using (var last = await StoredEvents.BeginAsync(database))
        {
            await last.InsertCaseAsync("last", 1);
            await last.CommitAsync();
        }
        await Poll.UntilAsync(async () =>
        {
            await reader.StepAsync();
            return reader.Seen.Count;
        }, count => count > expected.Count, Bound, "the reader did not reach the last event");
        Assert.Equal(("last", 1), (reader.Seen[^1].CaseId, reader.Seen[^1].Seq));
        Assert.Equal(expected.Count + 1, reader.Seen.Count);
    }

    [Fact]
    public async Task ManyConcurrentWritersLoseNothingForAReaderFollowingAllAlong()
    {
        await using var database = NpgsqlDataSource.Create(await TestDatabase.CreateMigratedAsync("event_feed_many"));
        var reader = new FeedFollower(new CaseEventFeed(database));
        using var writing = new CancellationTokenSource();

        var following = Task.Run(async () =>
        {
            while (!writing.IsCancellationRequested)
            {
                await reader.StepAsync();
            }
        });
        var writers = Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
        {
            var written = new List<(string CaseId, int Seq)>();
            for (var i = 0; i < 25; i++)
            {
                await using var events = await StoredEvents.BeginAsync(database);
                await events.InsertCaseAsync($"w{writer}-{i}", 3);
                if (i % 10 == 9)
                {
                    await events.RollbackAsync();
                    continue;
                }
                await events.CommitAsync();
                written.AddRange(events.Written);
            }
            return written;
        })).ToList();
        var expected = (await Task.WhenAll(writers)).SelectMany(w => w).ToHashSet();
        await writing.CancelAsync();
        await following;

        await Poll.UntilAsync(async () =>
        {
            await reader.StepAsync();
            return reader.Seen.Count;
        }, count => count >= expected.Count, Bound, "the reader did not reach every committed event");
        Assert.Equal(expected.Count, reader.Seen.Count);
        Assert.Equal(expected, reader.Seen.Select(e => (e.CaseId, e.Seq)).ToHashSet());
    }

    [Fact]
    public async Task TheFeedNeverServesTheApplicationMember()
    {
        await using var database = NpgsqlDataSource.Create(await TestDatabase.CreateMigratedAsync("event_feed_private"));
        await using (var events = await StoredEvents.BeginAsync(database))
        {
            await events.InsertAsync("private", 1, dataJson: """{"itemCode":"newborn","application":{"applicant":{"name":"张三"}}}""");
            await events.CommitAsync();
        }
        var feed = new CaseEventFeed(database);

        var rows = await Poll.UntilAsync(() => feed.ReadAsync(0, 10), rows => rows.Count == 1, Bound, "the event did not appear in the feed");
        var caseRows = await feed.ReadCaseAsync(new DateOnly(2026, 1, 1), "private", 0, 10, department: null);

        foreach (var row in rows.Concat(caseRows))
        {
            using var data = JsonDocument.Parse(row.Data);
            Assert.False(data.RootElement.TryGetProperty(CaseEventTypes.PrivateMember, out _), row.Data);
            Assert.Equal("newborn", data.RootElement.GetProperty("itemCode").GetString());
        }
        Assert.Single(caseRows);
    }

    [Fact]
    public async Task ADepartmentReadsTheCaseLevelEventsAndItsOwnOnly()
    {
        await using var database = NpgsqlDataSource.Create(await TestDatabase.CreateMigratedAsync("event_feed_department"));
        await using (var events = await StoredEvents.BeginAsync(database))
        {
            await events.InsertAsync("c", 1);
            await events.InsertAsync("c", 2, matterCode: "birth-certificate", department: "health");
            await events.InsertAsync("c", 3, matterCode: "household-registration", department: "police");
            await events.InsertAsync("c", 4);
            await events.CommitAsync();
        }
        var feed = new CaseEventFeed(database);
        var month = new DateOnly(2026, 1, 1);

        var police = await feed.ReadCaseAsync(month, "c", 0, 10, "police");
        var all = await feed.ReadCaseAsync(month, "c", 0, 10, null);
        var afterTwo = await feed.ReadCaseAsync(month, "c", 2, 1, null);

        Assert.Equal([1, 3, 4], police.Select(e => e.Seq));
        Assert.Equal("c.household-registration", police[1].TaskId);
        Assert.Null(police[0].TaskId);
        Assert.Equal([1, 2, 3, 4], all.Select(e => e.Seq));
        Assert.Equal([3], afterTwo.Select(e => e.Seq));
        Assert.Empty(await feed.ReadCaseAsync(month.AddMonths(1), "c", 0, 10, null));
    }

    /// <summary>A consumer of the feed: reads from its checkpoint, a few at a time, and checks it never goes back.</summary>
    private sealed class FeedFollower(CaseEventFeed feed)
    {
        private readonly SemaphoreSlim _one = new(1, 1);
        private long _checkpoint;

        public List<CaseEventRow> Seen { get; } = [];

        public async Task StepAsync()
        {
            await _one.WaitAsync();
            try
            {
                foreach (var row in await feed.ReadAsync(_checkpoint, 7))
                {
                    Assert.True(row.Position > _checkpoint, $"position {row.Position} after checkpoint {_checkpoint}");
                    _checkpoint = row.Position;
                    Seen.Add(row);
                }
            }
            finally
            {
                _one.Release();
            }
        }
    }
}
