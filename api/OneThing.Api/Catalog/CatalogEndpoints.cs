using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Api.Documentation;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalog(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/items").WithTags("Catalog")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Department, Roles.Ops));
        group.MapGet("", ListAsync);
        group.MapGet("/{code}", GetAsync).DocumentsQueryNumbers("version");
        group.MapGet("/{code}/form-schema", GetFormSchemaAsync).DocumentsQueryNumbers("version")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK, ApplicationSchema.MediaType);
        group.MapPut("/{code}", PublishAsync).ReadsJsonBody<ItemDefinition>().RequireAuthorization(Roles.Ops);
        return group;
    }

    /// <summary>
    /// One item per code, newest version: with <c>?region=</c> the region's variant where it has one, else (and without
    /// a region) the national base.
    /// </summary>
    public static async Task<Results<Ok<IReadOnlyList<CatalogItem>>, ValidationProblem>> ListAsync(string? region, IClusterClient cluster)
    {
        if (RegionQuery.Problem(region) is { } problem)
        {
            return problem;
        }
        var entries = await cluster.GetGrain<ICatalogGrain>(0).GetEntriesAsync(RegionQuery.Normalize(region));
        return TypedResults.Ok<IReadOnlyList<CatalogItem>>(entries.Select(CatalogItems.From).ToList());
    }

    /// <summary>
    /// One item: the newest version, or <c>?version=</c>; of the region's variant when <c>?region=</c> names a region
    /// that has one, else of the national base.
    /// </summary>
    public static async Task<Results<Ok<CatalogItem>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string code, string? region, string? version, IClusterClient cluster)
    {
        var (entry, invalid, missing) = await FindAsync(code, region, version, cluster);
        return entry is not null ? TypedResults.Ok(CatalogItems.From(entry)) : invalid is not null ? invalid : missing!;
    }

    /// <summary>
    /// The JSON Schema of an application for the item (<see cref="ApplicationSchema"/>), chosen as <see cref="GetAsync"/>
    /// chooses the item: the schema that submissions of that version are validated with.
    /// </summary>
    public static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> GetFormSchemaAsync(
        string code, string? region, string? version, IClusterClient cluster)
    {
        var (entry, invalid, missing) = await FindAsync(code, region, version, cluster);
        return entry is not null
            ? TypedResults.Text(ApplicationSchema.For(entry.Item).Text, ApplicationSchema.MediaType)
            : invalid is not null ? invalid : missing!;
    }

    private static async Task<(CatalogEntry? Entry, ValidationProblem? Invalid, ProblemHttpResult? Missing)> FindAsync(
        string code, string? region, string? version, IClusterClient cluster)
    {
        var errors = new FieldErrors();
        var number = QueryNumber.Read(version, "version", 1, int.MaxValue, errors);
        if (RegionQuery.Explain(region) is { } regionProblem)
        {
            errors.Add("region", regionProblem);
        }
        if (errors.Any)
        {
            return (null, errors.ToProblem(), null);
        }
        var entry = await cluster.GetGrain<ICatalogGrain>(0).GetEntryAsync(code, RegionQuery.Normalize(region), number);
        return entry is null
            ? (null, null, OutcomeResults.NotFound(number is null ? $"No item '{code}'." : $"No version {number} of item '{code}'{RegionQuery.For(region)}."))
            : (entry, null, null);
    }

    /// <summary>
    /// Publishes the body as the next version of its variant (the body's <c>region</c>; none for the national base):
    /// 201 with <c>Location: /api/items/{code}?region=r&amp;version=n</c>; the variant's newest definition again answers
    /// 200 with that version. The body's <c>version</c> and <c>regions</c> are ignored.
    /// </summary>
    public static async Task<Results<Ok<ItemDefinition>, Created<ItemDefinition>, ValidationProblem, ProblemHttpResult>> PublishAsync(
        string code, HttpRequest request, IClusterClient cluster, LatestItems latest, CancellationToken cancellationToken)
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
        latest.Forget(code);
        return OutcomeResults.ToHttp(outcome, Location);
    }

    private static string Location(ItemDefinition item) => item.Region is null
        ? $"/api/items/{Uri.EscapeDataString(item.Code)}?version={item.Version}"
        : $"/api/items/{Uri.EscapeDataString(item.Code)}?region={Uri.EscapeDataString(item.Region)}&version={item.Version}";
}
