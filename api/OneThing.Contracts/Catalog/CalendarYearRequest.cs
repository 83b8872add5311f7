using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace OneThing.Contracts.Catalog;

/// <summary><c>PUT /api/calendar/{year}</c>: the year's holidays and the weekend days that are working days.</summary>
public sealed record CalendarYearRequest
{
    [Description("The URL's year, or left out.")]
    public int? Year { get; init; }

    [Description("Dates (yyyy-MM-dd) that are not working days; empty when there are none.")]
    [MaxLength(FieldLimits.CalendarDates)]
    public required IReadOnlyList<DateOnly> Holidays { get; init; }

    [Description("Weekend dates (yyyy-MM-dd) that are working days (调休); empty when there are none.")]
    [MaxLength(FieldLimits.CalendarDates)]
    public required IReadOnlyList<DateOnly> WorkingWeekends { get; init; }
}
