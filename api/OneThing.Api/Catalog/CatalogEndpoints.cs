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
        group.MapPut("/{code}", PublishAsync).RequireAuthorization(Roles.Ops);
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

    /// <summary>
    /// Publishes the body as the item's next version (201 with <c>Location: /api/items/{code}?version=n</c>); the
    /// newest version's own definition again answers 200 with that version. The body's <c>version</c> is ignored.
    /// </summary>
    public static async Task<Results<Ok<ItemDefinition>, Created<ItemDefinition>, ValidationProblem, ProblemHttpResult>> PublishAsync(
        string code, HttpRequest request, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        var item = ItemBody.Read(code, body, errors);
        if (item is null)
        {
            return errors.ToProblem();
        }
        var outcome = await cluster.GetGrain<ICatalogGrain>(0).PublishAsync(item);
        return OutcomeResults.ToHttp(outcome, published => $"/api/items/{Uri.EscapeDataString(published.Code)}?version={published.Version}");
    }
}
