using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Cases;
using OneThing.Api.Common;
using OneThing.Api.Documentation;
using OneThing.Contracts;
using OneThing.Contracts.Cases;
using OneThing.Contracts.FallbackDesk;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.FallbackDesk;

namespace OneThing.Api.Ops;

/// <summary>
/// The fallback desk (办不成事反映窗口): entries ops answer within <c>OneThing:FallbackDesk:WorkingDays</c> (5 working
/// days): cases escalated because a deadline passed, cases rated 1 or 2, and applicants' own requests, filed through
/// a portal.
/// </summary>
public static class FallbackDeskEndpoints
{
    private static readonly string[] Statuses = ["open", "resolved", "all"];

    public static RouteGroupBuilder MapFallbackDesk(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/fallback-desk").WithTags("Fallback desk");
        group.MapGet("/cases", ListAsync).DocumentsQueryNumbers("page", "pageSize").RequireAuthorization(Roles.Ops);
        group.MapPost("/cases", FileAsync).ReadsJsonBody<FileDeskRequest>().RequireAuthorization(Roles.Portal);
        group.MapPost("/cases/{entryId}/resolve", ResolveAsync).ReadsJsonBody<ResolveDeskEntryRequest>().RequireAuthorization(Roles.Ops);
        return group;
    }

    /// <summary>
    /// Entries, oldest first; open ones unless <c>status=resolved|all</c>; <c>source=deadline|rating|applicant</c> and
    /// <c>overdue=true|false</c> (open past its due time) filter. The total counts at most <see cref="Paging.MaxTotal"/>.
    /// </summary>
    public static async Task<Results<Ok<PageOf<DeskEntry>>, ValidationProblem>> ListAsync(
        string? status, string? source, string? overdue, string? page, string? pageSize, NpgsqlDataSource database,
        PrivacyKeys privacy, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        status ??= "open";
        if (!Statuses.Contains(status))
        {
            errors.Add("status", "One of: open, resolved, all.");
        }
        if (source is not null && !DeskSources.All.Contains(source))
        {
            errors.Add("source", $"One of: {string.Join(", ", DeskSources.All)}.");
        }
        bool? overdueOnly = overdue switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => null,
        };
        if (overdue is not null && overdueOnly is null)
        {
            errors.Add("overdue", "true or false.");
        }
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = clock.GetUtcNow();
        const string Filters = """
            ($1 = 'all' OR status = $1)
              AND ($2::text IS NULL OR source = $2)
              AND ($3::boolean IS NULL OR (status = 'open' AND due_at < $4) = $3)
            """;
        await using var batch = database.CreateBatch();
        var rows = new NpgsqlBatchCommand($"""
            SELECT {DeskRows.Columns}
            FROM onething_fallback_desk
            WHERE {Filters}
            ORDER BY escalated_at, entry_id
            LIMIT $5 OFFSET $6
            """);
        var total = new NpgsqlBatchCommand($"""
            SELECT count(*) FROM (SELECT 1 FROM onething_fallback_desk WHERE {Filters} LIMIT {Paging.MaxTotal}) matching
            """);
        foreach (var command in new[] { rows, total })
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)source ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)overdueOnly ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        }
        rows.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Size });
        rows.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Offset });
        batch.BatchCommands.Add(rows);
        batch.BatchCommands.Add(total);
        var items = new List<DeskEntry>();
        long count;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(DeskRows.Read(reader, now, privacy.Protector));
            }
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            count = reader.GetInt64(0);
        }
        return TypedResults.Ok(new PageOf<DeskEntry>(items, paging.Page, paging.Size, count));
    }

    /// <summary>
    /// The applicant's own 办不成事 request: <c>{ "caseId" (optional), "applicant": { … }, "description" }</c> → 201, an
    /// entry with <c>source: "applicant"</c>. A case that is not the applicant's is answered as one that does not
    /// exist. With <c>Idempotency-Key</c> a retry answers the same entry.
    /// </summary>
    public static async Task<Results<Created<DeskEntry>, Ok<DeskEntry>, ValidationProblem, ProblemHttpResult>> FileAsync(
        HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, PrivacyKeys privacy,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, OpenMapConverter.Requests.FileDeskRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (idempotencyKey is { Length: 0 or > FieldLimits.IdempotencyKey })
        {
            return JsonBody.Problem("Idempotency-Key", $"When present, 1 to {FieldLimits.IdempotencyKey} characters.");
        }
        var errors = new FieldErrors();
        var caseId = body!.CaseId?.Trim();
        if (caseId is { Length: > FieldLimits.Code })
        {
            errors.Add("caseId", $"At most {FieldLimits.Code} characters.");
        }
        var applicant = ApplicationReader.ReadApplicant(body.Applicant, expectedKind: null, itemName: null, errors);
        var description = body.Description.Trim();
        if (description.Length is 0 or > FieldLimits.FreeText)
        {
            errors.Add("description", $"Required, at most {FieldLimits.FreeText} characters: what could not get done.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        string? itemCode = null;
        if (!string.IsNullOrEmpty(caseId))
        {
            // Someone else's case and no case at all answer alike: the request must not tell that a case exists.
            var view = await cluster.Reference<ICaseGrain>(caseId).GetAsync();
            if (view is null || !string.Equals(view.Applicant.Key, applicant.Key, StringComparison.Ordinal))
            {
                return OutcomeResults.NotFound("No such case of this applicant.");
            }
            itemCode = view.ItemCode;
        }
        var entryId = "r" + ApplicationReader.NewCaseId(privacy.CaseIdKey, $"fallback-desk\n{user.Identity?.Name}", idempotencyKey)[1..];
        var outcome = await cluster.GetGrain<IFallbackDeskGrain>(0).OpenAsync(
            new DeskRequest(entryId, string.IsNullOrEmpty(caseId) ? null : caseId, itemCode, applicant, description));
        return outcome.Kind switch
        {
            OutcomeKind.Created => TypedResults.Created($"/api/fallback-desk/cases/{entryId}", outcome.Value),
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value),
            _ => OutcomeResults.Conflict(outcome.Error!),
        };
    }

    /// <summary>
    /// Records who resolved an entry and how: <c>{ "resolution": "...", "resolvedBy": "..." }</c>. A deadline
    /// escalation's and a low rating's resolution is an event of the case, which the applicant reads on its timeline.
    /// </summary>
    public static async Task<Results<Ok<CaseView>, Ok<DeskEntry>, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        string entryId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.ResolveDeskEntryRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        var resolution = body!.Resolution.Trim();
        if (resolution.Length is 0 or > FieldLimits.FreeText)
        {
            errors.Add("resolution", $"Required, at most {FieldLimits.FreeText} characters: how the case was resolved.");
        }
        var resolvedBy = body.ResolvedBy?.Trim();
        if (resolvedBy is { Length: 0 or > FieldLimits.Name })
        {
            errors.Add("resolvedBy", $"When present, 1 to {FieldLimits.Name} characters.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        resolvedBy ??= user.Identity?.Name ?? Roles.Ops;

        await using var find = database.CreateCommand("SELECT source, case_id FROM onething_fallback_desk WHERE entry_id = $1");
        find.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entryId });
        string? source = null, caseId = null;
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                source = reader.GetString(0);
                caseId = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }
        switch (source)
        {
            case DeskSources.Applicant:
                var outcome = await cluster.GetGrain<IFallbackDeskGrain>(0).ResolveAsync(entryId, resolvedBy, resolution!);
                return outcome.Kind switch
                {
                    OutcomeKind.Ok => TypedResults.Ok(outcome.Value),
                    OutcomeKind.NotFound => OutcomeResults.NotFound(outcome.Error!),
                    _ => OutcomeResults.Conflict(outcome.Error!),
                };
            case DeskSources.Rating:
                return FromCase(await cluster.Reference<ICaseGrain>(caseId!).ResolveLowRatingAsync(resolvedBy, resolution!, user.Actor()));
            default:
                // A deadline escalation's entry id is its case id; without a row the case answers 404 itself.
                return FromCase(await cluster.Reference<ICaseGrain>(caseId ?? entryId).ResolveEscalationAsync(resolvedBy, resolution!, user.Actor()));
        }
    }

    private static Results<Ok<CaseView>, Ok<DeskEntry>, ValidationProblem, ProblemHttpResult> FromCase(Outcome<CaseView> outcome) => outcome.Kind switch
    {
        OutcomeKind.Ok or OutcomeKind.Created => TypedResults.Ok(outcome.Value!),
        OutcomeKind.Invalid => JsonBody.Problem(outcome.FieldErrors!.ToDictionary(e => e.Key, e => e.Value)),
        OutcomeKind.NotFound => OutcomeResults.NotFound(outcome.Error),
        OutcomeKind.Forbidden => OutcomeResults.Forbidden(outcome.Error ?? "Forbidden."),
        _ => OutcomeResults.Conflict(outcome.Error),
    };
}
