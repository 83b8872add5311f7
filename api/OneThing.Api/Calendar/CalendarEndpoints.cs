using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Api.Documentation;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;

namespace OneThing.Api.Calendar;

/// <summary>
/// The working-day calendar's years. Ops publish a year when the State Council's notice comes out (each November for
/// the next year); every silo counts deadlines with it from then on, without a rebuild.
/// </summary>
public static class CalendarEndpoints
{
    public static RouteGroupBuilder MapCalendar(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/calendar").WithTags("Calendar")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Department, Roles.Ops));
        group.MapGet("/{year:int}", GetAsync);
        group.MapPut("/{year:int}", PutAsync).ReadsJsonBody<CalendarYearRequest>().RequireAuthorization(Roles.Ops);
        return group;
    }

    /// <summary>The year deadlines are counted with: the published one, else the built-in file's.</summary>
    public static async Task<Results<Ok<CalendarYear>, ProblemHttpResult>> GetAsync(int year, IClusterClient cluster) =>
        await cluster.GetGrain<ICalendarGrain>(0).GetYearAsync(year) is { } found
            ? TypedResults.Ok(found)
            : OutcomeResults.NotFound($"The calendar has no holiday notice for {year}.");

    /// <summary>
    /// Adds or replaces a year: <c>{ "holidays": ["2027-01-01", ...], "workingWeekends": [...] }</c>. 201 the first
    /// time a year is published, 200 when it replaces one or is the same again.
    /// </summary>
    public static async Task<Results<Ok<CalendarYear>, Created<CalendarYear>, ValidationProblem, ProblemHttpResult>> PutAsync(
        int year, HttpRequest request, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.CalendarYearRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        if (year is < CalendarYear.EarliestYear or > CalendarYear.LatestYear)
        {
            errors.Add("year", $"The year must be between {CalendarYear.EarliestYear} and {CalendarYear.LatestYear}.");
        }
        if (body!.Year is { } given && given != year)
        {
            errors.Add("year", $"The body's year must be the URL's ({year}) or be left out.");
        }
        foreach (var (field, dates) in new[] { ("holidays", body.Holidays), ("workingWeekends", body.WorkingWeekends) })
        {
            if (dates.Count > FieldLimits.CalendarDates)
            {
                errors.Add(field, $"At most {FieldLimits.CalendarDates} dates: a year has no more days.");
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var outcome = await cluster.GetGrain<ICalendarGrain>(0).PutYearAsync(new CalendarYear(year, [.. body.Holidays], [.. body.WorkingWeekends]));
        return OutcomeResults.ToHttp(outcome, stored => $"/api/calendar/{stored.Year}");
    }
}
