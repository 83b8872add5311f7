using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OneThing.Silo.Database;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Events;

public sealed class EventPartitionUpkeepTests
{
    [Fact]
    public async Task UpkeepPreparesLastMonthToTwoMonthsAheadAndEventsLandInTheirMonth()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("event_partitions");
        await using var database = NpgsqlDataSource.Create(connectionString);
        var upkeep = Upkeep(database, new DateTimeOffset(2031, 5, 10, 23, 30, 0, TimeSpan.FromHours(-8)));

        Assert.Equal(4, await upkeep.EnsureAsync());

        // 2031-05-11 07:30 UTC: from April to July.
        foreach (var month in new[] { "2031_04", "2031_05", "2031_06", "2031_07" })
        {
            Assert.NotNull(await TestDatabase.ScalarAsync(connectionString, $"SELECT to_regclass('onething_case_events_{month}')::text"));
        }
        Assert.Null(await TestDatabase.ScalarAsync(connectionString, "SELECT to_regclass('onething_case_events_2031_08')::text"));
        await InsertAsync(database, "may", new DateOnly(2031, 5, 1));
        await InsertAsync(database, "far-off", new DateOnly(2099, 1, 1));
        Assert.Equal("onething_case_events_2031_05", await PartitionOfAsync(connectionString, "may"));
        Assert.Equal("onething_case_events_default", await PartitionOfAsync(connectionString, "far-off"));

        // Again: nothing to do.
        Assert.Equal(0, await upkeep.EnsureAsync());
    }

    [Fact]
    public async Task AMonthWhoseEventsAreInTheDefaultPartitionDoesNotStopTheUpkeep()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("event_partitions_default");
        await using var database = NpgsqlDataSource.Create(connectionString);
        await InsertAsync(database, "early", new DateOnly(2099, 1, 1));

        // From January 2099: January keeps its rows in the default partition, the three months after it are created.
        Assert.Equal(3, await Upkeep(database, new DateTimeOffset(2099, 2, 15, 0, 0, 0, TimeSpan.Zero)).EnsureAsync());

        Assert.Null(await TestDatabase.ScalarAsync(connectionString, "SELECT to_regclass('onething_case_events_2099_01')::text"));
        Assert.NotNull(await TestDatabase.ScalarAsync(connectionString, "SELECT to_regclass('onething_case_events_2099_02')::text"));
        Assert.Equal("onething_case_events_default", await PartitionOfAsync(connectionString, "early"));
        await InsertAsync(database, "february", new DateOnly(2099, 2, 1));
        Assert.Equal("onething_case_events_2099_02", await PartitionOfAsync(connectionString, "february"));
    }

    [Fact]
    public async Task SilosStartingTogetherPrepareEachMonthOnce()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("event_partitions_together");
        await using var database = NpgsqlDataSource.Create(connectionString);
        var now = new DateTimeOffset(2032, 3, 1, 0, 0, 0, TimeSpan.Zero);

        var created = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Upkeep(database, now).EnsureAsync())));

        Assert.All(created, result => Assert.NotNull(result));
        Assert.Equal(4, created.Sum());
    }

    [Fact]
    public async Task AFailingUpkeepIsReportedNotThrown()
    {
        // No schema: the function is missing.
        await using var database = NpgsqlDataSource.Create(await TestDatabase.CreateEmptyAsync("event_partitions_none"));

        Assert.Null(await Upkeep(database, DateTimeOffset.UtcNow).EnsureAsync());
    }

    private static EventPartitionUpkeep Upkeep(NpgsqlDataSource database, DateTimeOffset now) =>
        new(database, new FakeTimeProvider(now), NullLogger<EventPartitionUpkeep>.Instance);

    private static async Task InsertAsync(NpgsqlDataSource database, string caseId, DateOnly caseMonth)
    {
        await using var events = await StoredEvents.BeginAsync(database);
        await events.InsertAsync(caseId, 1, caseMonth);
        await events.CommitAsync();
    }

    private static async Task<string?> PartitionOfAsync(string connectionString, string caseId) =>
        (string?)await TestDatabase.ScalarAsync(connectionString,
            "SELECT tableoid::regclass::text FROM onething_case_events WHERE case_id = @case", ("case", caseId));
}
