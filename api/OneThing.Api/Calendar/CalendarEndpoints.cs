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
    private static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal) { "year", "holidays", "workingWeekends" };

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
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        if (year is < CalendarYear.EarliestYear or > CalendarYear.LatestYear)
        {
            errors.Add("year", $"The year must be between {CalendarYear.EarliestYear} and {CalendarYear.LatestYear}.");
        }
        if (body.TryGetProperty("year", out var bodyYear) && !(bodyYear.ValueKind == JsonValueKind.Number && bodyYear.TryGetInt32(out var given) && given == year))
        {
            errors.Add("year", $"The body's year must be the URL's ({year}) or be left out.");
        }
        foreach (var unknown in body.EnumerateObject().Select(property => property.Name).Where(name => !Fields.Contains(name)))
        {
            errors.Add(JsonBody.Shorten(unknown), "Not a field of a calendar year (year, holidays, workingWeekends).");
        }
        var holidays = ReadDates(body, "holidays", errors);
        var workingWeekends = ReadDates(body, "workingWeekends", errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var outcome = await cluster.GetGrain<ICalendarGrain>(0).PutYearAsync(new CalendarYear(year, holidays, workingWeekends));
        return OutcomeResults.ToHttp(outcome, stored => $"/api/calendar/{stored.Year}");
    }

    private static List<DateOnly> ReadDates(JsonElement body, string field, FieldErrors errors)
    {
        var dates = new List<DateOnly>();
        if (!body.TryGetProperty(field, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            errors.Add(field, "Required: a list of dates like \"2027-01-01\" (empty when there are none).");
            return dates;
        }
        if (list.GetArrayLength() > FieldLimits.CalendarDates)
        {
            errors.Add(field, $"At most {FieldLimits.CalendarDates} dates: a year has no more days.");
            return dates;
        }
        var index = 0;
        foreach (var entry in list.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.String
                && DateOnly.TryParseExact(entry.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                dates.Add(date);
            }
            else
            {
                errors.Add($"{field}[{index}]", "Not a date like \"2027-01-01\".");
            }
            index++;
        }
        return dates;
    }
}
