using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Ops;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;
using OneThing.Grains.Statistics;
using OneThing.Tests.Cases.Model;
using static OneThing.Tests.Statistics.StatisticsFixture;

namespace OneThing.Tests.Statistics;

/// <summary>The projection and the figures, pure: events made by the real case model, no cluster, no database.</summary>
public sealed class StatisticsProjectionTests
{
    private static readonly ItemDefinition Retirement = CaseModel.Item("retirement");

    [Fact]
    public void FiguresOfTheFixtureEqualTheHandComputedOnes()
    {
        var deltas = Project(FixtureEvents());

        AssertEqual(ByDepartment, Groups(deltas, StatisticsUnit.Task, b => b.Department, From, To));
        AssertEqual([ByItem], Groups(deltas, StatisticsUnit.Case, b => b.ItemCode, From, To));
        AssertEqual(FebruaryByDepartment, Groups(deltas, StatisticsUnit.Task, b => b.Department, From, new DateOnly(2026, 2, 28)));
    }

    [Fact]
    public void ProjectingInBatchesWithStoredUnitStatesGivesTheSameFigures()
    {
        var events = FixtureEvents();
        var whole = Project(events);
        var units = new List<StatisticsUnitState>();
        var summed = new Dictionary<StatisticsBucket, StatisticsDelta>();
        foreach (var chunk in events.Chunk(3))
        {
            var projection = new StatisticsProjection(CaseModel.WorkingDays, units);
            foreach (var e in chunk)
            {
                projection.Apply(e);
            }
            units = [.. projection.Units.Values];
            foreach (var (bucket, delta) in projection.Deltas)
            {
                Add(summed, bucket, delta);
            }
        }

        AssertEqual(Groups(whole, StatisticsUnit.Task, b => b.Department, From, To), Groups(summed, StatisticsUnit.Task, b => b.Department, From, To));
        AssertEqual(Groups(whole, StatisticsUnit.Case, b => b.Region, From, To), Groups(summed, StatisticsUnit.Case, b => b.Region, From, To));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.25, 3)]
    [InlineData(0.3, 3)]
    [InlineData(1.0, 10)]
    [InlineData(1.0000000001, 10)]
    [InlineData(1.01, 11)]
    [InlineData(500, StatisticsFigures.MaxBin)]
    public void DurationsAreBinnedInTenthsRoundedUp(double workingDays, int bin) =>
        Assert.Equal(bin, StatisticsFigures.BinOf(workingDays));

    [Fact]
    public void P90IsTheNearestRankToTheTenthAbove()
    {
        // Ten units: 1.0 × 9 and 4.2 once → the 9th of 10 is 1.0.
        var bins = new int[43];
        bins[10] = 9;
        bins[42] = 1;
        Assert.Equal(1.0, StatisticsFigures.P90(bins));
        bins[10] = 8;
        Assert.Equal(4.2, StatisticsFigures.P90(bins));
        Assert.Null(StatisticsFigures.P90([]));
    }

    [Fact]
    public void WholeMonthsAreReadFromMonthRowsAndTheRestFromDays()
    {
        Assert.Equal([new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 1)], StatisticsReader.WholeMonths(new DateOnly(2026, 1, 15), new DateOnly(2026, 3, 31)));
        Assert.Empty(StatisticsReader.WholeMonths(new DateOnly(2026, 2, 2), new DateOnly(2026, 2, 28)));
        Assert.Equal([new DateOnly(2024, 2, 1)], StatisticsReader.WholeMonths(new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 29)));

        var (before, after) = StatisticsReader.EdgeDays(new DateOnly(2026, 1, 15), new DateOnly(2026, 4, 3),
            StatisticsReader.WholeMonths(new DateOnly(2026, 1, 15), new DateOnly(2026, 4, 3)));
        Assert.Equal((new DateOnly(2026, 1, 15), new DateOnly(2026, 1, 31)), before);
        Assert.Equal((new DateOnly(2026, 4, 1), new DateOnly(2026, 4, 3)), after);
        var (all, none) = StatisticsReader.EdgeDays(new DateOnly(2026, 2, 2), new DateOnly(2026, 2, 27), []);
        Assert.Equal((new DateOnly(2026, 2, 2), new DateOnly(2026, 2, 27)), all);
        Assert.True(none.From > none.To);
    }

    /// <summary>The fixture's four cases, decided and folded by the case model, as the feed serves their events.</summary>
    internal static List<CaseEventRow> FixtureEvents()
    {
        var feed = new List<CaseEventRow>();
        var a = new ModelCase("ca", feed);
        var b = new ModelCase("cb", feed);
        var c = new ModelCase("cc", feed);
        var d = new ModelCase("cd", feed);

        a.Do(CaseModel.Application(Retirement), At(2, 12, 10));
        a.Do(CaseModel.RequestSupplement(Retirement, "pension-application", "id-card"), At(2, 12, 11));
        a.Do(new CheckDeadlines(), At(2, 14, 1));
        a.Do(CaseModel.Complete(Retirement, "housing-fund-freeze"), At(2, 24, 10));
        a.Do(CaseModel.Supply("id-card"), At(2, 24, 11));
        a.Do(CaseModel.Complete(Retirement, "pension-application"), At(2, 25, 10));
        a.Do(CaseModel.Complete(Retirement, "housing-fund-withdrawal"), At(2, 26, 16));
        a.Do(CaseModel.Complete(Retirement, "medical-insurance-change"), At(2, 27, 10));
        a.Do(new Evaluate(5, null, CaseModel.Portal), At(2, 27, 11));

        b.Do(CaseModel.Application(Retirement), At(3, 2, 10));
        c.Do(CaseModel.Application(Retirement), At(3, 2, 11));
        d.Do(CaseModel.Application(Retirement), At(3, 2, 12));
        c.Do(new Withdraw(null, CaseModel.Portal), At(3, 2, 15));
        b.Do(CaseModel.Reject(Retirement, "pension-application", "材料不符"), At(3, 3, 10));
        b.Do(new Evaluate(1, "太慢", CaseModel.Portal), At(3, 3, 12));
        d.Do(new CheckDeadlines(), At(3, 4, 1));

        Assert.Equal(CaseStatus.Completed, a.State.Status);
        Assert.True(CaseModel.Matter(a.State, "housing-fund-freeze").Overdue);
        Assert.Equal(At(2, 28, 0), CaseModel.Matter(a.State, "pension-application").DueAt);
        Assert.Equal(At(3, 3, 0), a.State.DueAt);
        Assert.Equal(CaseStatus.Rejected, b.State.Status);
        Assert.Equal(CaseStatus.Withdrawn, c.State.Status);
        Assert.True(CaseModel.Matter(d.State, "housing-fund-freeze").Overdue);
        return feed;
    }

    internal static Dictionary<StatisticsBucket, StatisticsDelta> Project(IEnumerable<CaseEventRow> events)
    {
        var projection = new StatisticsProjection(CaseModel.WorkingDays, []);
        foreach (var e in events)
        {
            projection.Apply(e);
        }
        return projection.Deltas;
    }

    /// <summary>Sums the days of [from, to] per group, as the reader's SQL does.</summary>
    private static List<StatisticsGroup> Groups(
        Dictionary<StatisticsBucket, StatisticsDelta> deltas, StatisticsUnit unit, Func<StatisticsBucket, string> key, DateOnly from, DateOnly to) =>
        deltas.Where(d => d.Key.Unit == unit && d.Key.Day >= from && d.Key.Day <= to)
            .GroupBy(d => key(d.Key), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var sum = new Dictionary<StatisticsBucket, StatisticsDelta>();
                var bucket = new StatisticsBucket(unit, from, "", "", "");
                foreach (var (_, delta) in g)
                {
                    Add(sum, bucket, delta);
                }
                var total = sum[bucket];
                return StatisticsFigures.Group(new StatisticsSums(g.Key.Length == 0 ? null : g.Key, total.Submitted, total.Completed,
                    total.Rejected, total.Withdrawn, total.Open, total.Overdue, total.Finished, total.OnTime, total.WorkingDays,
                    total.PausedWorkingDays, total.Bins, total.Ratings));
            })
            .ToList();

    private static void Add(Dictionary<StatisticsBucket, StatisticsDelta> sums, StatisticsBucket bucket, StatisticsDelta delta)
    {
        if (!sums.TryGetValue(bucket, out var sum))
        {
            sums[bucket] = sum = new StatisticsDelta();
        }
        sum.Submitted += delta.Submitted;
        sum.Completed += delta.Completed;
        sum.Rejected += delta.Rejected;
        sum.Withdrawn += delta.Withdrawn;
        sum.Open += delta.Open;
        sum.Overdue += delta.Overdue;
        sum.Finished += delta.Finished;
        sum.OnTime += delta.OnTime;
        sum.WorkingDays += delta.WorkingDays;
        sum.PausedWorkingDays += delta.PausedWorkingDays;
        for (var bin = 0; bin < delta.Bins.Length; bin++)
        {
            for (var n = 0; n < delta.Bins[bin]; n++)
            {
                sum.AddBin(bin);
            }
        }
        for (var r = 0; r < 5; r++)
        {
            sum.Ratings[r] += delta.Ratings[r];
        }
    }

    /// <summary>One case of the fixture: decided and folded by the model, its events appended to the feed in order.</summary>
    private sealed class ModelCase(string caseId, List<CaseEventRow> feed)
    {
        public CaseState State { get; private set; } = new();

        public void Do(CaseCommand command, DateTimeOffset at)
        {
            var decision = CaseDecisions.Decide(State, caseId, command, at, Retirement, CaseModel.WorkingDays);
            Assert.False(decision.IsRefused, decision.Error);
            foreach (var e in decision.Events)
            {
                State = CaseEvolution.Apply(State, e, Retirement);
                feed.Add(new CaseEventRow(feed.Count + 1, caseId, Retirement.Code, State.Region, e.Seq, e.Type, e.At, e.Actor.Role,
                    e.Actor.Name, e.Actor.Department, e.MatterCode, e.Department, CaseEventTypes.Serialize(e.Data)));
            }
        }
    }
}
