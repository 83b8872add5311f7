using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;

namespace OneThing.Api.Ops;

/// <summary>
/// The fallback desk (办不成事反映窗口): cases escalated because a deadline passed, for ops to resolve (typically
/// within 5 working days, complex ones 10).
/// </summary>
public static class FallbackDeskEndpoints
{
    private static readonly string[] Statuses = ["open", "resolved", "all"];

    public static RouteGroupBuilder MapFallbackDesk(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/fallback-desk").WithTags("Fallback desk").RequireAuthorization(Roles.Ops);
        group.MapGet("/cases", ListAsync).DocumentsQueryNumbers("page", "pageSize");
        group.MapPost("/cases/{caseId}/resolve", ResolveAsync).ReadsJsonBody();
        return group;
    }

    /// <summary>Escalated cases, oldest escalation first; open ones unless <c>status=resolved|all</c>.</summary>
    public static async Task<Results<Ok<PageOf<EscalatedCase>>, ValidationProblem>> ListAsync(
        string? status, string? page, string? pageSize, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        status ??= "open";
        if (!Statuses.Contains(status))
        {
            errors.Add("status", "One of: open, resolved, all.");
        }
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        await using var command = database.CreateCommand("""
            SELECT case_id, item_code, status, reason, escalated_at, due_at, resolved_at, resolved_by, resolution, count(*) OVER ()
            FROM onething_fallback_desk
            WHERE ($1 = 'all' OR status = $1)
            ORDER BY escalated_at, case_id
            LIMIT $2 OFFSET $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Size });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Offset });
        var items = new List<EscalatedCase>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new EscalatedCase(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8)));
                total = reader.GetInt64(9);
            }
        }
        return TypedResults.Ok(new PageOf<EscalatedCase>(items, paging.Page, paging.Size, total));
    }

    /// <summary>Records who resolved the case and how: <c>{ "resolution": "...", "resolvedBy": "..." }</c>.</summary>
    public static async Task<Results<Ok<CaseView>, Created<CaseView>, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        string caseId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        JsonBody.RefuseUnknown(body, "", errors, "resolution", "resolvedBy");
        var resolution = JsonBody.Text(body, "", "resolution", FieldLimits.FreeText, errors)?.Trim();
        if (string.IsNullOrEmpty(resolution) && !errors.Has("resolution"))
        {
            errors.Add("resolution", $"Required, at most {FieldLimits.FreeText} characters: how the case was resolved.");
        }
        var resolvedBy = JsonBody.Text(body, "", "resolvedBy", FieldLimits.Name, errors)?.Trim();
        if (resolvedBy is { Length: 0 })
        {
            errors.Add("resolvedBy", $"When present, 1 to {FieldLimits.Name} characters.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        resolvedBy ??= user.Identity?.Name ?? Roles.Ops;
        return OutcomeResults.ToHttp(await cluster.Reference<ICaseGrain>(caseId).ResolveEscalationAsync(resolvedBy, resolution!, user.Actor()));
    }

    public sealed record EscalatedCase(
        string CaseId, string ItemCode, string Status, string Reason, DateTimeOffset EscalatedAt, DateTimeOffset? DueAt,
        DateTimeOffset? ResolvedAt, string? ResolvedBy, string? Resolution);
}
