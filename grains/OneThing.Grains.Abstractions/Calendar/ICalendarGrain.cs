using OneThing.Contracts.Catalog;
using OneThing.Grains.Common;

namespace OneThing.Grains.Calendar;

/// <summary>
/// The working-day calendar's years as ops see them. A stateless worker: PostgreSQL orders the writes, and every
/// silo's calendar picks up a published year from there.
/// </summary>
[Alias("onething.ICalendarGrain")]
public interface ICalendarGrain : IGrainWithIntegerKey
{
    /// <summary>The year the calendar counts with (published, else the built-in file); null when neither has it.</summary>
    [Alias("GetYear")]
    Task<CalendarYear?> GetYearAsync(int year);

    /// <summary>
    /// Adds or replaces a year durably: Created when no year had been published for it, Ok when it replaced one or
    /// was the same already; Invalid with field errors (<c>holidays[2]</c>, <c>workingWeekends[0]</c>) otherwise.
    /// </summary>
    [Alias("PutYear")]
    Task<Outcome<CalendarYear>> PutYearAsync(CalendarYear year);
}
