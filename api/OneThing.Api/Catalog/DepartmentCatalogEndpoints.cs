using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Auth;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

/// <summary>
/// The bare <c>/api/departments</c>: who owns matters, for every role. The department's own inbox
/// (<c>/api/departments/{department}/tasks</c>) lives with the department work and stays theirs alone.
/// </summary>
public static class DepartmentCatalogEndpoints
{
    public static RouteGroupBuilder MapDepartmentCatalog(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/departments").WithTags("Catalog")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Department, Roles.Ops));
        group.MapGet("", ListAsync);
        return group;
    }

    /// <summary>Every department with its Chinese name and kind (agency, utility, bank, hospital).</summary>
    public static async Task<Ok<IReadOnlyList<DepartmentDefinition>>> ListAsync(IClusterClient cluster) =>
        TypedResults.Ok(await cluster.GetGrain<ICatalogGrain>(0).GetDepartmentsAsync());
}
