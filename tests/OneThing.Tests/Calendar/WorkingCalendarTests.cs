using System.Globalization;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;

namespace OneThing.Tests.Calendar;

/// <summary>The working-day calendar against the shipped 2025 and 2026 State Council notices.</summary>
public sealed class WorkingCalendarTests
{
    private readonly List<int> _unknownYears = [];
    private readonly WorkingCalendar _calendar;

    public WorkingCalendarTests()
    {
        _calendar = WorkingCalendar.LoadFromDirectory(ShippedCalendarDirectory(), _unknownYears.Add);
    }

    [Theory]
    [InlineData(2025)]
    [InlineData(2026)]
    public void EachPublishedYearHas248WorkingDays(int year)
    {
        var first = new DateOnly(year, 1, 1);
        var last = new DateOnly(year, 12, 31);
        var byDay = 0;
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            byDay += _calendar.IsWorkingDay(day) ? 1 : 0;
        }

        Assert.Equal(248, byDay);
        Assert.Equal(248, _calendar.WorkingDaysBetween(first.AddDays(-1), last));
        Assert.Empty(_unknownYears);
    }

    [Fact]
    public void TheShippedFilesAreThePublishedYears()
    {
        Assert.Equal([2025, 2026], _calendar.KnownYears);
    }

    [Fact]
    public void SpringFestival2026FiveWorkingDaysRunFromTheAdjustedSaturdayToTheFollowingFriday()
    {
        // Accepted Friday 02-13 (not counted). 02-14 is the adjusted working Saturday (1); 02-15..02-23 is the
        // Spring Festival holiday; then Tue 02-24 (2), 02-25 (3), 02-26 (4), Fri 02-27 (5): due at the end of 02-27.
        var due = _calendar.DueAt(Beijing(2026, 2, 13, 10, 0), new TimeLimit(WorkingDays: 5));

        AssertInstant(Beijing(2026, 2, 28), due);
        Assert.Equal(5, _calendar.WorkingDaysBetween(new DateOnly(2026, 2, 13), new DateOnly(2026, 2, 27)));
    }

    [Fact]
    public void TheSixthWorkingDayAfterSpringFestivalEveIsTheAdjustedSaturday2026_02_28()
    {
        // As above, plus Saturday 02-28, itself an adjusted working day (6): due at the end of it, Sunday 03-01 00:00.
        var due = _calendar.DueAt(Beijing(2026, 2, 13, 10, 0), new TimeLimit(WorkingDays: 6));

        AssertInstant(Beijing(2026, 3, 1), due);
        Assert.True(_calendar.IsWorkingDay(new DateOnly(2026, 2, 28)));
    }

    [Fact]
    public void SubmittedOnAHolidayCountingStartsAfterTheHoliday()
    {
        // Tuesday 02-17 (初一) is a holiday; counting skips to Tue 02-24 (1): due at its end.
        var due = _calendar.DueAt(Beijing(2026, 2, 17, 9, 30), new TimeLimit(WorkingDays: 1));

        AssertInstant(Beijing(2026, 2, 25), due);
    }

    [Fact]
    public void SubmittedAt23_59OnAWorkingDayThatDayStillDoesNotCount()
    {
        // Wed 2025-03-12 23:59 is still the day of acceptance; Thu 03-13 is working day 1.
        var due = _calendar.DueAt(Beijing(2025, 3, 12, 23, 59), new TimeLimit(WorkingDays: 1));

        AssertInstant(Beijing(2025, 3, 14), due);
    }

    [Fact]
    public void TheDayOfAcceptanceIsTheBeijingDayNotTheUtcDay()
    {
        // 16:30 UTC on Wed 03-12 is 00:30 Thu 03-13 in Beijing: Thursday is the day of acceptance, Friday day 1.
        var due = _calendar.DueAt(new DateTimeOffset(2025, 3, 12, 16, 30, 0, TimeSpan.Zero), new TimeLimit(WorkingDays: 1));

        AssertInstant(Beijing(2025, 3, 15), due);
        Assert.Equal(TimeSpan.FromHours(8), due.Offset);
    }

    [Fact]
    public void OneWorkingDayOverAnOrdinaryWeekendIsDueAtTheEndOfMonday()
    {
        var due = _calendar.DueAt(Beijing(2025, 3, 14, 10, 0), new TimeLimit(WorkingDays: 1));

        AssertInstant(Beijing(2025, 3, 18), due);
    }

    [Theory]
    // 2025: holiday 10-01..10-08; Thu 10-09 (1), Fri 10-10 (2), adjusted Sat 10-11 (3), Mon 10-13 (4).
    [InlineData("2025-09-30T10:00:00+08:00", 3, "2025-10-12T00:00:00+08:00")]
    [InlineData("2025-09-30T10:00:00+08:00", 4, "2025-10-14T00:00:00+08:00")]
    // Friday 09-26 → adjusted Sunday 09-28 (1), Mon 09-29 (2), Tue 09-30 (3), then the holiday, Thu 10-09 (4).
    [InlineData("2025-09-26T16:00:00+08:00", 1, "2025-09-29T00:00:00+08:00")]
    [InlineData("2025-09-26T16:00:00+08:00", 4, "2025-10-10T00:00:00+08:00")]
    // 2026: holiday 10-01..10-07; Thu 10-08 (1), Fri 10-09 (2), adjusted Sat 10-10 (3), Mon 10-12 (4).
    [InlineData("2026-09-30T10:00:00+08:00", 3, "2026-10-11T00:00:00+08:00")]
    [InlineData("2026-09-30T10:00:00+08:00", 4, "2026-10-13T00:00:00+08:00")]
    // Thursday 09-24 → Mid-Autumn 09-25..09-27, Mon 09-28 (1), Tue 09-29 (2), Wed 09-30 (3), Thu 10-08 (4).
    [InlineData("2026-09-24T10:00:00+08:00", 4, "2026-10-09T00:00:00+08:00")]
    public void NationalDayHolidaysAreSkippedAndAdjustedWeekendsCount(string start, int workingDays, string expected)
    {
        var due = _calendar.DueAt(Parse(start), new TimeLimit(WorkingDays: workingDays));

        AssertInstant(Parse(expected), due);
    }

    [Theory]
    [InlineData("2026-02-16T10:00:00+08:00", "PT4H", "2026-02-16T14:00:00+08:00")]
    [InlineData("2026-02-13T10:00:00+08:00", "P2D", "2026-02-15T10:00:00+08:00")]
    [InlineData("2025-10-01T02:00:00Z", "P7DT1H", "2025-10-08T11:00:00+08:00")]
    public void DurationLimitsRunInCalendarTimeThroughHolidays(string start, string duration, string expected)
    {
        var due = _calendar.DueAt(Parse(start), new TimeLimit(Duration: duration));

        AssertInstant(Parse(expected), due);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(5, "PT4H")]
    [InlineData(0, null)]
    [InlineData(null, "four hours")]
    [InlineData(null, "-PT4H")]
    public void ALimitThatIsNeitherOneKindNorPositiveIsRejected(int? workingDays, string? duration)
    {
        Assert.ThrowsAny<ArgumentException>(() => _calendar.DueAt(Beijing(2025, 3, 12, 10, 0), new TimeLimit(workingDays, duration)));
    }

    [Fact]
    public void AnUnknownYearCountsMondayToFridayAndReportsTheYear()
    {
        // 2027's notice is not loaded: 2027-01-01 is a Friday and, without the notice, a working day.
        Assert.True(_calendar.IsWorkingDay(new DateOnly(2027, 1, 1)));
        Assert.False(_calendar.IsWorkingDay(new DateOnly(2027, 1, 2)));

        // Friday 01-08 → Monday 01-11 (1): due at its end.
        var due = _calendar.DueAt(Beijing(2027, 1, 8, 10, 0), new TimeLimit(WorkingDays: 1));

        AssertInstant(Beijing(2027, 1, 12), due);
        Assert.NotEmpty(_unknownYears);
        Assert.All(_unknownYears, year => Assert.Equal(2027, year));
        Assert.DoesNotContain(2027, _calendar.KnownYears);
    }

    [Fact]
    public void WorkingTimeBetweenLeavesOutAWeekend()
    {
        // Fri 2025-03-14 18:00 → Mon 03-17 09:00: 6 h of Friday, none of the weekend, 9 h of Monday.
        var paused = _calendar.WorkingTimeBetween(Beijing(2025, 3, 14, 18, 0), Beijing(2025, 3, 17, 9, 0));

        Assert.Equal(TimeSpan.FromHours(15), paused);
    }

    [Fact]
    public void WorkingTimeBetweenCountsAnAdjustedSaturdayAndNotTheHolidayAfterIt()
    {
        // Fri 2026-02-13 12:00 → Tue 02-24 06:00: 12 h Friday + 24 h adjusted Saturday + 6 h Tuesday.
        var paused = _calendar.WorkingTimeBetween(Beijing(2026, 2, 13, 12, 0), Beijing(2026, 2, 24, 6, 0));

        Assert.Equal(TimeSpan.FromHours(42), paused);
        Assert.Equal(TimeSpan.Zero, _calendar.WorkingTimeBetween(Beijing(2026, 2, 24), Beijing(2026, 2, 13)));
    }

    [Fact]
    public void AddWorkingTimeSkipsTheNationalDayHoliday()
    {
        // Due at the end of Tue 2025-09-30; 30 h of working time paused. 10-01..10-08 are skipped; Thu 10-09 gives
        // 24 h, the remaining 6 h run into Fri 10-10.
        var deadline = Beijing(2025, 10, 1);
        var paused = TimeSpan.FromHours(30);

        var moved = _calendar.AddWorkingTime(deadline, paused);

        AssertInstant(Beijing(2025, 10, 10, 6, 0), moved);
        Assert.Equal(paused, _calendar.WorkingTimeBetween(deadline, moved));
    }

    [Fact]
    public void AddingWholeWorkingDaysKeepsTheDeadlineAtTheEndOfAWorkingDay()
    {
        // One working day added to "end of 09-30" is "end of 10-09" (10-10 00:00), not the morning after a holiday.
        var moved = _calendar.AddWorkingTime(Beijing(2025, 10, 1), TimeSpan.FromDays(1));

        AssertInstant(Beijing(2025, 10, 10), moved);
        AssertInstant(Beijing(2025, 10, 1), _calendar.AddWorkingTime(Beijing(2025, 10, 1), TimeSpan.Zero));
    }

    [Fact]
    public void AWorkingDayDeadlineIsWarnedAtTheStartOfItsLastWorkingDay()
    {
        // Spring Festival case: due at the end of Fri 2026-02-27, so the warning is at its start.
        var start = Beijing(2026, 2, 13, 10, 0);
        var limit = new TimeLimit(WorkingDays: 5);

        var warning = _calendar.WarningAt(start, _calendar.DueAt(start, limit), limit);

        AssertInstant(Beijing(2026, 2, 27), warning);
    }

    [Fact]
    public void AWorkingDayDeadlineAfterAHolidayIsWarnedOneWorkingDayEarlierNotOneCalendarDay()
    {
        // A deadline moved to 2025-10-09 06:00 by a pause: one working day earlier is 2025-09-30 06:00, because the
        // whole of 10-01..10-08 is holiday.
        var warning = _calendar.WarningAt(Beijing(2025, 9, 1, 10, 0), Beijing(2025, 10, 9, 6, 0), new TimeLimit(WorkingDays: 20));

        AssertInstant(Beijing(2025, 9, 30, 6, 0), warning);
    }

    [Fact]
    public void ADurationDeadlineIsWarnedWhenFourFifthsHaveElapsed()
    {
        var start = Beijing(2025, 3, 12, 8, 0);
        var limit = new TimeLimit(Duration: "PT10H");

        var warning = _calendar.WarningAt(start, _calendar.DueAt(start, limit), limit);

        AssertInstant(Beijing(2025, 3, 12, 16, 0), warning);
    }

    [Theory]
    [InlineData("2025", """{ "year": 2025, "holidays": ["2025-01-01", "2026-01-01"], "workingWeekends": [] }""", "2026-01-01")]
    [InlineData("2025", """{ "year": 2025, "holidays": ["2025-01-26"], "workingWeekends": ["2025-01-26"] }""", "both")]
    [InlineData("2025", """{ "year": 2025, "holidays": [], "workingWeekends": ["2025-01-27"] }""", "Monday")]
    [InlineData("2025", """{ "year": 2025, "holidays": ["2025-1-1"], "workingWeekends": [] }""", "2025")]
    [InlineData("2025", """{ "year": 2025, "holidays": [] }""", "workingWeekends")]
    [InlineData("2027", """{ "year": 2025, "holidays": [], "workingWeekends": [] }""", "2027")]
    public void LoadingABadFileThrowsNamingTheFile(string fileName, string json, string detail)
    {
        var directory = Directory.CreateTempSubdirectory("onething-calendar-");
        try
        {
            File.Copy(Path.Combine(ShippedCalendarDirectory(), "2026.json"), Path.Combine(directory.FullName, "2026.json"));
            File.WriteAllText(Path.Combine(directory.FullName, fileName + ".json"), json);

            var exception = Assert.Throws<InvalidDataException>(() => WorkingCalendar.LoadFromDirectory(directory.FullName));

            Assert.Contains(fileName + ".json", exception.Message, StringComparison.Ordinal);
            Assert.Contains(detail, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void TwoFilesForTheSameYearAreRejected()
    {
        var directory = Directory.CreateTempSubdirectory("onething-calendar-");
        try
        {
            File.Copy(Path.Combine(ShippedCalendarDirectory(), "2026.json"), Path.Combine(directory.FullName, "2026.json"));
            File.Copy(Path.Combine(ShippedCalendarDirectory(), "2026.json"), Path.Combine(directory.FullName, "2026-copy.json"));

            var exception = Assert.Throws<InvalidDataException>(() => WorkingCalendar.LoadFromDirectory(directory.FullName));

            Assert.Contains("2026-copy.json", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static DateTimeOffset Beijing(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.FromHours(8));

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);

    /// <summary>Same instant and reported in Beijing time, since callers show these values to staff as they are.</summary>
    private static void AssertInstant(DateTimeOffset expected, DateTimeOffset actual)
    {
        Assert.Equal(expected, actual);
        Assert.Equal(TimeSpan.FromHours(8), actual.Offset);
    }

    /// <summary>
    /// The repository's catalog/calendar: next to the binaries once the build copies it there, else found by walking
    /// up from the test binaries to the checkout.
    /// </summary>
    private static string ShippedCalendarDirectory()
    {
        if (File.Exists(Path.Combine(WorkingCalendar.DefaultDirectory, "2026.json")))
        {
            return WorkingCalendar.DefaultDirectory;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "catalog", "calendar");
            if (File.Exists(Path.Combine(candidate, "2026.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No catalog/calendar/2026.json above {AppContext.BaseDirectory}.");
    }
}
