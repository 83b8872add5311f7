using OneThing.Contracts.Ops;
using OneThing.Grains.Statistics;

namespace OneThing.Tests.Statistics;

/// <summary>
/// Four retirement cases on the 2026 calendar (Spring Festival 2/15–2/23 off, Saturdays 2/14 and 2/28 worked), run
/// through the model and through the API alike, and their figures computed by hand. Times are Beijing time.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A, submitted Thu 2/12 10:00 (due 2/27 00:00). 11:00 hrss asks for a supplement: the case and
/// pension-application pause until the supply on Tue 2/24 11:00: 13 h + 24 h (2/13) + 24 h (2/14) + 11 h = 3.0 working
/// days over the holiday, so the task is due 2/28 00:00 instead of 2/25 and the case 3/3 instead of 2/27.
/// housing-fund-freeze (1 working day, due 2/14 00:00) is flagged overdue at 2/14 01:00 and completed 2/24 10:00:
/// 3.0 working days, late. pension-application completes 2/25 10:00: 4.0 working days less 3.0 paused = 1.0.
/// housing-fund-withdrawal 2/25 10:00 → 2/26 16:00 = 1.25; medical-insurance-change 2/25 10:00 → 2/27 10:00 = 2.0; the
/// case completes then: 6.0 working days less 3.0 = 3.0, on time. Rated 5 at 2/27 11:00.</item>
/// <item>B, submitted Mon 3/2 10:00; hrss rejects pension-application at 3/3 10:00 (1.0 working day, on time): the
/// freeze is cancelled and the case rejected (1.0, on time). Rated 1 at 3/3 12:00.</item>
/// <item>C, submitted 3/2 11:00, withdrawn 3/2 15:00: its two Ready tasks are cancelled.</item>
/// <item>D, submitted 3/2 12:00, still open; its freeze is flagged overdue at 3/4 01:00.</item>
/// </list>
/// </remarks>
public static class StatisticsFixture
{
    public static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    public static DateTimeOffset At(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, Beijing);

    public static readonly DateOnly From = new(2026, 2, 1);

    public static readonly DateOnly To = new(2026, 3, 31);

    public static Dictionary<string, long> Ratings(long one, long five) =>
        new() { ["1"] = one, ["2"] = 0, ["3"] = 0, ["4"] = 0, ["5"] = five };

    /// <summary>By department: the unit is the task.</summary>
    public static readonly StatisticsGroup[] ByDepartment =
    [
        new("housing-fund", Submitted: 5, Completed: 2, Rejected: 0, Withdrawn: 2, Open: 1, Overdue: 2, OnTime: 1, OnTimeRate: 0.5,
            AvgWorkingDays: 2.13, P90WorkingDays: 3.0, PausedWorkingDays: 0, Ratings(1, 1), Satisfaction: 0.5),
        new("hrss", Submitted: 4, Completed: 1, Rejected: 1, Withdrawn: 1, Open: 1, Overdue: 0, OnTime: 2, OnTimeRate: 1.0,
            AvgWorkingDays: 1.0, P90WorkingDays: 1.0, PausedWorkingDays: 3.0, Ratings(1, 1), Satisfaction: 0.5),
        new("medical-insurance", Submitted: 1, Completed: 1, Rejected: 0, Withdrawn: 0, Open: 0, Overdue: 0, OnTime: 1, OnTimeRate: 1.0,
            AvgWorkingDays: 2.0, P90WorkingDays: 2.0, PausedWorkingDays: 0, Ratings(0, 1), Satisfaction: 1.0),
    ];

    /// <summary>By item: the unit is the case.</summary>
    public static readonly StatisticsGroup ByItem =
        new("retirement", Submitted: 4, Completed: 1, Rejected: 1, Withdrawn: 1, Open: 1, Overdue: 0, OnTime: 2, OnTimeRate: 1.0,
            AvgWorkingDays: 2.0, P90WorkingDays: 3.0, PausedWorkingDays: 3.0, Ratings(1, 1), Satisfaction: 0.5);

    /// <summary>February alone, by department: A's tasks only (its withdrawal and medical tasks became Ready 2/25).</summary>
    public static readonly StatisticsGroup[] FebruaryByDepartment =
    [
        new("housing-fund", Submitted: 2, Completed: 2, Rejected: 0, Withdrawn: 0, Open: 0, Overdue: 1, OnTime: 1, OnTimeRate: 0.5,
            AvgWorkingDays: 2.13, P90WorkingDays: 3.0, PausedWorkingDays: 0, Ratings(0, 1), Satisfaction: 1.0),
        new("hrss", Submitted: 1, Completed: 1, Rejected: 0, Withdrawn: 0, Open: 0, Overdue: 0, OnTime: 1, OnTimeRate: 1.0,
            AvgWorkingDays: 1.0, P90WorkingDays: 1.0, PausedWorkingDays: 3.0, Ratings(0, 1), Satisfaction: 1.0),
        new("medical-insurance", Submitted: 1, Completed: 1, Rejected: 0, Withdrawn: 0, Open: 0, Overdue: 0, OnTime: 1, OnTimeRate: 1.0,
            AvgWorkingDays: 2.0, P90WorkingDays: 2.0, PausedWorkingDays: 0, Ratings(0, 1), Satisfaction: 1.0),
    ];

    /// <summary>Groups compared member by member, the ratings by content.</summary>
    public static void AssertEqual(IReadOnlyList<StatisticsGroup> expected, IReadOnlyList<StatisticsGroup> actual)
    {
        Assert.Equal(expected.Select(g => g.Key), actual.Select(g => g.Key));
        foreach (var (want, got) in expected.Zip(actual))
        {
            Assert.Equal(want with { Ratings = null! }, got with { Ratings = null! });
            Assert.Equal(want.Ratings.OrderBy(r => r.Key), got.Ratings.OrderBy(r => r.Key));
        }
    }
}
