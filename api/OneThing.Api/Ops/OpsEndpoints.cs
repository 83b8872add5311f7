using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OneThing.Api.Auth;
using Orleans.Configuration;
using Orleans.Runtime;

namespace OneThing.Api.Ops;

public static class OpsEndpoints
{
    public static RouteGroupBuilder MapOps(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/ops").WithTags("Ops").RequireAuthorization(Roles.Ops);
        group.MapGet("/cluster", GetClusterAsync);
        group.MapGet("/statistics/departments", GetDepartmentStatisticsAsync);
        return group;
    }

    /// <summary>
    /// Per department: open tasks, and the tasks that ran over their deadline — an overdue task counts against its
    /// department whatever happened to it afterwards.
    /// </summary>
    public static async Task<Ok<IReadOnlyList<DepartmentStatistics>>> GetDepartmentStatisticsAsync(
        Npgsql.NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT department,
                   count(*) FILTER (WHERE status IN ('Ready', 'Accepted', 'AwaitingSupplement')) AS open,
                   count(*) FILTER (WHERE status = 'Completed') AS completed,
                   count(*) FILTER (WHERE (view ->> 'overdue')::boolean) AS overdue,
                   count(*) FILTER (WHERE (view ->> 'overdue')::boolean AND status IN ('Ready', 'Accepted', 'AwaitingSupplement')) AS open_overdue
            FROM onething_department_tasks
            GROUP BY department
            ORDER BY department
            """);
        var rows = new List<DepartmentStatistics>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DepartmentStatistics(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        return TypedResults.Ok<IReadOnlyList<DepartmentStatistics>>(rows);
    }

    public sealed record DepartmentStatistics(string Department, long Open, long Completed, long Overdue, long OpenOverdue);

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

    public sealed record ClusterView(string ClusterId, IReadOnlyList<SiloView> Silos);

    public sealed record SiloView(string Address, string Name, string Status, DateTimeOffset StartedAt);
}
