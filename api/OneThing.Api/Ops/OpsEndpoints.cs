using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Contracts.Ops;
using OneThing.Grains.Statistics;
using Orleans.Configuration;
using Orleans.Runtime;

namespace OneThing.Api.Ops;

public static class OpsEndpoints
{
    public static RouteGroupBuilder MapOps(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/ops").WithTags("Ops").RequireAuthorization(Roles.Ops);
        group.MapGet("/cluster", GetClusterAsync);
        group.MapGet("/statistics", GetStatisticsAsync);
        group.MapGet("/cases", CaseSearchEndpoints.SearchAsync).DocumentsQueryNumbers("limit");
        group.MapGet("/statistics/departments", GetDepartmentStatisticsAsync);
        return group;
    }

    /// <summary>The longest period one statistics request may cover.</summary>
    public const int MaxPeriodDays = 3660;

    /// <summary>
    /// Figures projected from the case events for the days <c>from</c> to <c>to</c> (China time, both included; the
    /// last 30 days by default), grouped by department (tasks), item or region (cases). README, "Statistics".
    /// </summary>
    public static async Task<Results<Ok<StatisticsReport>, ValidationProblem>> GetStatisticsAsync(
        string? groupBy, string? from, string? to, string? item, string? region, string? department,
        NpgsqlDataSource database, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        StatisticsGrouping? grouping = groupBy switch
        {
            null or "department" => StatisticsGrouping.Department,
            "item" => StatisticsGrouping.Item,
            "region" => StatisticsGrouping.Region,
            _ => null,
        };
        if (grouping is null)
        {
            errors.Add("groupBy", "One of: department, item, region.");
        }
        var today = StatisticsProjection.DayOf(clock.GetUtcNow());
        var toDay = Day(to, "to", errors) ?? today;
        var fromDay = Day(from, "from", errors) ?? toDay.AddDays(-29);
        if (!errors.Any && fromDay > toDay)
        {
            errors.Add("from", "Must not be after to.");
        }
        else if (!errors.Any && toDay.DayNumber - fromDay.DayNumber >= MaxPeriodDays)
        {
            errors.Add("from", $"A period covers at most {MaxPeriodDays} days.");
        }
        Code(item, "item", errors);
        Code(region, "region", errors);
        Code(department, "department", errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var query = new StatisticsQuery(grouping!.Value, fromDay, toDay, Blank(item), Blank(region), Blank(department));
        return TypedResults.Ok(await new StatisticsReader(database).ReadAsync(query, cancellationToken));
    }

    /// <summary>
    /// Per department, over all time: open tasks, completed ones, those that ran over their deadline (an overdue task
    /// counts against its department whatever happened to it afterwards), and those open and overdue now. From the
    /// statistics projection, so as current as it is.
    /// </summary>
    public static async Task<Ok<IReadOnlyList<DepartmentStatistics>>> GetDepartmentStatisticsAsync(
        NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var totals = await new StatisticsReader(database).ReadDepartmentTotalsAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<DepartmentStatistics>>(
            totals.Select(t => new DepartmentStatistics(t.Department, t.Open, t.Completed, t.Overdue, t.OpenOverdue)).ToList());
    }

    /// <summary>A date as <c>YYYY-MM-DD</c>; null when absent, or with an error when malformed.</summary>
    private static DateOnly? Day(string? text, string name, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }
        errors.Add(name, "A date as YYYY-MM-DD.");
        return null;
    }

    private static void Code(string? text, string name, FieldErrors errors)
    {
        if (text is { Length: > FieldLimits.Code } || (text is not null && text.Any(char.IsControl)))
        {
            errors.Add(name, $"At most {FieldLimits.Code} characters, no control characters.");
        }
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Every silo the membership table knows, as the Orleans management grain reports it.</summary>
    public static async Task<Ok<ClusterView>> GetClusterAsync(IClusterClient cluster, IOptions<ClusterOptions> clusterOptions)
    {
        // The management grain is a system target on every silo; ops reads are rare, so it is no hot spot.
        var hosts = await cluster.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var silos = hosts
            .OrderBy(h => h.StartTime)
            .Select(h => new SiloView(h.SiloAddress.Endpoint.ToString(), h.SiloName, h.Status.ToString(), new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc))))
            .ToList();
        return TypedResults.Ok(new ClusterView(clusterOptions.Value.ClusterId, silos));
    }
}
