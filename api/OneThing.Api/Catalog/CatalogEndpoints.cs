using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalog(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/items").WithTags("Catalog")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Department, Roles.Ops));
        group.MapGet("", ListAsync);
        group.MapGet("/{code}", GetAsync);
        return group;
    }

    /// <summary>The newest version of every item.</summary>
    public static async Task<Ok<IReadOnlyList<ItemDefinition>>> ListAsync(IClusterClient cluster) =>
        TypedResults.Ok(await cluster.GetGrain<ICatalogGrain>(0).GetItemsAsync());

    /// <summary>One item: the newest version, or <c>?version=</c>.</summary>
    public static async Task<Results<Ok<ItemDefinition>, ProblemHttpResult>> GetAsync(string code, int? version, IClusterClient cluster)
    {
        var item = await cluster.GetGrain<ICatalogGrain>(0).GetItemAsync(code, version);
        return item is null
            ? OutcomeResults.NotFound(version is null ? $"No item '{code}'." : $"No version {version} of item '{code}'.")
            : TypedResults.Ok(item);
    }
}
