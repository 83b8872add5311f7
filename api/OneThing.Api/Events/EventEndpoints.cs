using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Contracts.Events;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Events;

namespace OneThing.Api.Events;

/// <summary>
/// The stored events of cases, read as they were written: one case's history, and the feed of every case's events
/// that ops and later consumers follow. The <c>application</c> member of an event's data (what the applicant
/// submitted) is stripped by PostgreSQL before it leaves the database, so no event served here carries personal data;
/// these reads are therefore not recorded in the access log, unlike reads of the case document.
/// </summary>
public static class EventEndpoints
{
    public const int DefaultLimit = 100;

    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api").WithTags("Events");
        group.MapGet("/cases/{caseId}/events", GetCaseEventsAsync)
            .DocumentsQueryNumbers("after", "limit")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Department, Roles.Ops));
        group.MapGet("/events", GetFeedAsync)
            .DocumentsPositionQuery()
            .DocumentsQueryNumbers("limit")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Roles.Ops);
        return group;
    }

    /// <summary>
    /// A case's events after sequence number <c>after</c>, oldest first. A department reads the case's own events and
    /// those of its matters, and only in a case where it has a dispatched task: to others the case does not exist.
    /// </summary>
    public static async Task<Results<Ok<EventPage<CaseEventItem>>, ValidationProblem, ProblemHttpResult>> GetCaseEventsAsync(
        string caseId, string? after, string? limit, ClaimsPrincipal user, IClusterClient cluster, NpgsqlDataSource database,
        CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var afterSeq = QueryNumber.Read(after, "after", 0, int.MaxValue, errors) ?? 0;
        var count = QueryNumber.Read(limit, "limit", 1, CaseEventFeed.MaxLimit, errors) ?? DefaultLimit;
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var department = user.IsInRole(Roles.Department) ? user.DepartmentCode() ?? "" : null;
        var access = await cluster.Reference<ICaseGrain>(caseId).GetEventAccessAsync(department);
        if (access is null)
        {
            return OutcomeResults.NotFound("No such case.");
        }
        var rows = await new CaseEventFeed(database).ReadCaseAsync(access.CaseMonth, caseId, afterSeq, count, department, cancellationToken);
        var items = rows.Select(EventItems.CaseItemOf).ToList();
        return TypedResults.Ok(new EventPage<CaseEventItem>(items, items.Count > 0 ? items[^1].Seq : afterSeq));
    }

    /// <summary>
    /// Every case's events after position <c>after</c>, in position order. Gap-safe: an event that commits later never
    /// has a position below one already served (see <see cref="CaseEventFeed"/>), so following <c>nextAfter</c> misses
    /// nothing. An empty page is not the end: ask again later from the same position.
    /// </summary>
    public static async Task<Results<Ok<EventPage<FeedEventItem>>, ValidationProblem>> GetFeedAsync(
        string? after, string? limit, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var afterPosition = ReadPosition(after, errors);
        var count = QueryNumber.Read(limit, "limit", 1, CaseEventFeed.MaxLimit, errors) ?? DefaultLimit;
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var rows = await new CaseEventFeed(database).ReadAsync(afterPosition, count, cancellationToken);
        var items = rows.Select(EventItems.FeedItemOf).ToList();
        return TypedResults.Ok(new EventPage<FeedEventItem>(items, items.Count > 0 ? items[^1].Position : afterPosition));
    }

    /// <summary>A feed position: digits, 0 to <see cref="long.MaxValue"/>; absent or empty is 0, the start.</summary>
    internal static long ReadPosition(string? text, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }
        errors.Add("after", $"Must be a whole number from 0 to {long.MaxValue}.");
        return 0;
    }

    private static TBuilder DocumentsPositionQuery<TBuilder>(this TBuilder route) where TBuilder : IEndpointConventionBuilder =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter is Microsoft.OpenApi.OpenApiParameter { In: Microsoft.OpenApi.ParameterLocation.Query, Name: "after" } query)
                {
                    query.Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Format = "int64" };
                }
            }
            return Task.CompletedTask;
        });
}
