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
        return group;
    }

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
