using OneThing.Contracts.Ops;

namespace OneThing.Grains.Statistics;

/// <summary>A group's summed bucket rows, as PostgreSQL adds them up.</summary>
public sealed record StatisticsSums(
    string? Key,
    long Submitted,
    long Completed,
    long Rejected,
    long Withdrawn,
    long Open,
    long Overdue,
    long Finished,
    long OnTime,
    double WorkingDays,
    double PausedWorkingDays,
    IReadOnlyList<int> Bins,
    IReadOnlyList<long> Ratings);

/// <summary>The figures from summed rows, pure: the one place that says what a rate, a mean and a percentile are.</summary>
public static class StatisticsFigures
{
    /// <summary>Working days are binned in tenths; durations beyond this many tenths (100 working days) share the last bin.</summary>
    public const int MaxBin = 1000;

    /// <summary>The bin of a duration: its tenths of a working day, rounded up (0.25 → 3, i.e. "at most 0.3").</summary>
    public static int BinOf(double workingDays)
    {
        // Rounding first: 0.3 working days computed from ticks must land in bin 3, not 4.
        var tenths = Math.Ceiling(Math.Round(workingDays * 10, 6));
        return tenths <= 0 ? 0 : tenths >= MaxBin ? MaxBin : (int)tenths;
    }

    /// <summary>
    /// The 90th percentile by nearest rank (the smallest duration that at least 90 % of the finished units do not
    /// exceed), to the tenth of a working day above it; null without finished units.
    /// </summary>
    public static double? P90(IReadOnlyList<int> bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        long total = 0;
        foreach (var count in bins)
        {
            total += count;
        }
        if (total == 0)
        {
            return null;
        }
        var rank = (long)Math.Ceiling(0.9 * total);
        long seen = 0;
        for (var bin = 0; bin < bins.Count; bin++)
        {
            seen += bins[bin];
            if (seen >= rank)
            {
                return bin / 10.0;
            }
        }
        return (bins.Count - 1) / 10.0;
    }

    public static StatisticsGroup Group(StatisticsSums sums)
    {
        ArgumentNullException.ThrowIfNull(sums);
        var rated = sums.Ratings.Sum();
        return new StatisticsGroup(
            sums.Key, sums.Submitted, sums.Completed, sums.Rejected, sums.Withdrawn, sums.Open, sums.Overdue, sums.OnTime,
            sums.Finished == 0 ? null : Round((double)sums.OnTime / sums.Finished, 4),
            sums.Finished == 0 ? null : Round(sums.WorkingDays / sums.Finished, 2),
            P90(sums.Bins),
            Round(sums.PausedWorkingDays, 2),
            Enumerable.Range(0, 5).ToDictionary(i => (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), i => sums.Ratings[i]),
            rated == 0 ? null : Round((double)(sums.Ratings[3] + sums.Ratings[4]) / rated, 4));
    }

    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}
