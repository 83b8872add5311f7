namespace OneThing.Contracts.Catalog;

/// <summary>
/// One year of the State Council's holiday notice: the statutory holidays (every date, weekends inside a holiday
/// block included) and the weekend days that are working days instead (调休上班). The same shape as
/// <c>catalog/calendar/&lt;year&gt;.json</c> and as <c>GET /api/calendar/{year}</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.CalendarYear")]
public sealed record CalendarYear(
    [property: Id(0)] int Year,
    [property: Id(1)] IReadOnlyList<DateOnly> Holidays,
    [property: Id(2)] IReadOnlyList<DateOnly> WorkingWeekends)
{
    /// <summary>The range ops may publish: wide enough for any case that runs now, narrow enough to catch a typo like 20277.</summary>
    public const int EarliestYear = 2000;

    public const int LatestYear = 2099;
}
