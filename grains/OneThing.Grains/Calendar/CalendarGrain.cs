using Microsoft.Extensions.Logging;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Publishing;
using Orleans.Concurrency;

namespace OneThing.Grains.Calendar;

/// <summary>
/// Reads and publishes calendar years. A stateless worker: the table orders the writes, and each silo's
/// <see cref="WorkingCalendar"/> takes a published year from there (at once on the silo that handled the write).
/// </summary>
[StatelessWorker]
public sealed partial class CalendarGrain(WorkingCalendar calendar, CalendarYearStore store, ILogger<CalendarGrain> logger) : Grain, ICalendarGrain
{
    /// <remarks>The table first, so that a year just published through another silo is answered before that silo's refresh.</remarks>
    public async Task<CalendarYear?> GetYearAsync(int year) => await store.FindAsync(year) ?? calendar.FindYear(year);

    public async Task<Outcome<CalendarYear>> PutYearAsync(CalendarYear year)
    {
        ArgumentNullException.ThrowIfNull(year);
        if (year.Year is < CalendarYear.EarliestYear or > CalendarYear.LatestYear)
        {
            return Outcome<CalendarYear>.Invalid("year", $"The year must be between {CalendarYear.EarliestYear} and {CalendarYear.LatestYear}.");
        }
        if (year.Holidays is null || year.WorkingWeekends is null)
        {
            return Outcome<CalendarYear>.Invalid(year.Holidays is null ? "holidays" : "workingWeekends", "Required: a list of dates (empty when there are none).");
        }
        var problems = WorkingCalendar.FindProblems(year);
        if (problems.Count > 0)
        {
            return Outcome<CalendarYear>.Invalid(problems);
        }

        var write = await store.PutAsync(year);
        calendar.SetYears([year]);
        var stored = calendar.FindYear(year.Year)!;
        if (write == CalendarYearWrite.Unchanged)
        {
            return Outcome<CalendarYear>.Ok(stored);
        }
        LogPublished(year.Year, write);
        return write == CalendarYearWrite.Created ? Outcome<CalendarYear>.Created(stored) : Outcome<CalendarYear>.Ok(stored);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Calendar year {Year} published ({Write})")]
    private partial void LogPublished(int year, CalendarYearWrite write);
}
