using OneThing.Tests.Fixtures;
using Orleans.TestingHost;

namespace OneThing.Tests.Foundation;

/// <summary>Each test kills a silo, so each gets a cluster of its own.</summary>
public sealed class FailoverTests
{
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task GrainStateSurvivesKillingTheSiloThatHeldIt()
    {
        var (cluster, _) = await PostgresTestCluster.StartAsync(2, "kill_state");
        await using var _cluster = cluster;
        var grain = cluster.Client.GetGrain<ICounterGrain>($"survivor-{Guid.NewGuid():N}");
        await grain.IncrementAsync("one");
        await grain.IncrementAsync("two");

        await cluster.KillSiloAsync(SiloHosting(cluster, await grain.GetSiloAsync()));

        var state = await Poll.UntilAsync(grain.GetAsync, s => s.Count == 2, FailoverBound,
            "the counter was not reactivated with its stored state after its silo was killed");
        Assert.Equal("two", state.LastNote);
    }

    [Fact]
    public async Task ReminderFiresAfterTheSiloThatOwnedItWasKilled()
    {
        var (cluster, _) = await PostgresTestCluster.StartAsync(2, "kill_reminder",
            new Dictionary<string, string?> { [PostgresSiloConfigurator.MinimumReminderPeriodKey] = "00:00:02" });
        await using var _cluster = cluster;
        var grain = cluster.Client.GetGrain<IReminderProbeGrain>($"reminded-{Guid.NewGuid():N}");
        await grain.StartAsync(dueTime: TimeSpan.FromSeconds(20), period: TimeSpan.FromSeconds(3));

        // Kill both the grain's silo and, with two silos, possibly the reminder range owner: the survivor must take
        // over the reminder from the PostgreSQL table.
        var killedAt = DateTimeOffset.UtcNow;
        await cluster.KillSiloAsync(SiloHosting(cluster, await grain.GetSiloAsync()));

        var ticks = await Poll.UntilAsync(grain.GetTicksAsync, t => t.Count > 0, FailoverBound,
            "the reminder never fired on the surviving silo");
        Assert.True(ticks[0] > killedAt);
    }

    private static SiloHandle SiloHosting(TestCluster cluster, string siloAddress) =>
        cluster.GetActiveSilos().Single(s => s.SiloAddress.ToString() == siloAddress);
}
