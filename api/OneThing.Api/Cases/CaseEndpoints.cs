using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using OneThing.Api.AccessLog;
using OneThing.Api.Auth;
using OneThing.Api.Catalog;
using OneThing.Api.Common;
using OneThing.Api.Documentation;
using OneThing.Api.Hosting;
using OneThing.Contracts;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Validation;

namespace OneThing.Api.Cases;

public static class CaseEndpoints
{
    public static RouteGroupBuilder MapCases(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/cases").WithTags("Cases");
        group.MapPost("", SubmitAsync).ReadsJsonBody<SubmitCaseRequest>().RequireAuthorization(Roles.Portal);
        group.MapGet("", ListByApplicantAsync).DocumentsQueryNumbers("page", "pageSize").RequireAuthorization(Roles.Portal);
        group.MapGet("/{caseId}", GetAsync)
            .Produces<CaseView>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Department, Roles.Ops));
        group.MapPost("/{caseId}/supplements", SupplyAsync).ReadsJsonBody<SupplyRequest>().RequireAuthorization(Roles.Portal);
        group.MapPost("/{caseId}/withdraw", WithdrawAsync).ReadsJsonBody<WithdrawRequest>(optional: true).RequireAuthorization(Roles.Portal);
        group.MapPost("/{caseId}/evaluation", EvaluateAsync).ReadsJsonBody<EvaluationRequest>().RequireAuthorization(Roles.Portal);
        group.MapPost("/{caseId}/progress", CaseProgressEndpoint.GetAsync).ReadsJsonBody<ProgressRequest>().RequireAuthorization(Roles.Portal);
        return group;
    }

    /// <summary>Submits an application once; with <c>Idempotency-Key</c> a retry returns the same case.</summary>
    public static async Task<Results<Ok<CaseView>, Created<CaseView>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, LatestItems items, PrivacyKeys privacy, ApiMetrics metrics,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken cancellationToken)
    {
        // The body as a record for the rules in code, and as JSON for the item's JSON Schema: read once, both.
        var (body, json, problem) = await JsonBody.ReadWithElementAsync(request, OpenMapConverter.Requests.SubmitCaseRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (idempotencyKey is { Length: 0 or > 200 })
        {
            return JsonBody.Problem("Idempotency-Key", "When present, 1 to 200 characters.");
        }
        // The region picks the item's variant, so it is checked before the application is read against one.
        if (RegionQuery.Explain(body!.Region) is { } regionProblem)
        {
            return JsonBody.Problem("region", regionProblem);
        }
        if (body.ItemCode.Length > FieldLimits.Code)
        {
            return JsonBody.Problem("itemCode", $"At most {FieldLimits.Code} characters.");
        }
        var region = RegionQuery.Normalize(body.Region);
        var item = (await items.FindAsync(body.ItemCode, region))?.Item;
        if (item is null)
        {
            return JsonBody.Problem("itemCode", $"No item '{body.ItemCode}' in the catalog (GET /api/items lists them).");
        }

        var errors = new FieldErrors();
        var application = ApplicationReader.Read(body, json, item, errors);
        if (application is null)
        {
            return errors.ToProblem();
        }
        application = application with { Fingerprint = ApplicationReader.Fingerprint(application) };

        var caseId = ApplicationReader.NewCaseId(privacy.CaseIdKey, user.Identity?.Name ?? "", idempotencyKey);
        CaseRequestScope.Tag(request.HttpContext, caseId);
        var outcome = await cluster.Reference<ICaseGrain>(caseId).SubmitAsync(application, user.Actor());
        if (outcome.Kind == OutcomeKind.Created)
        {
            metrics.CaseSubmitted(item.Code, region);
        }
        return OutcomeResults.ToHttp(outcome, view => $"/api/cases/{view.CaseId}");
    }

    /// <summary>
    /// The case's document as the case grain serialized it (once per change): polls cost no encoding here. Answers
    /// carry an ETag; a poll that sends it back in <c>If-None-Match</c> gets 304 while the case has not changed.
    /// A department gets its own minimised document (<see cref="DepartmentCaseView"/>); department and ops reads are
    /// recorded in the case's access log.
    /// </summary>
    public static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetAsync(
        string caseId, HttpRequest request, HttpResponse response, ClaimsPrincipal user, IClusterClient cluster, CaseAccessLog accessLog)
    {
        var grain = cluster.Reference<ICaseGrain>(caseId);
        var known = CaseETag.KnownRevision(request.Headers.IfNoneMatch);
        var department = user.IsInRole(Roles.Department) ? user.DepartmentCode() ?? "" : null;
        var document = department is not null ? await grain.GetDocumentForDepartmentAsync(department, known)
            : known is { } revision ? await grain.GetDocumentAsync(revision) : await grain.GetDocumentAsync();
        // A department sees only the cases it has a task in; to others the case does not exist.
        if (document is null || (department is not null && !document.Departments.Contains(department)))
        {
            return OutcomeResults.NotFound("No such case.");
        }
        response.Headers.ETag = CaseETag.Format(document.Revision);
        // Personal data: no cache keeps it (the default no-store); a poller keeps the ETag itself and sends it back.
        if (document.IsUnchanged || known == int.MaxValue)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        accessLog.Record(request.HttpContext, caseId);
        return TypedResults.Bytes(document.Utf8Json, "application/json; charset=utf-8");
    }

    /// <summary>Cases of one applicant, newest first, from the read model.</summary>
    public static async Task<Results<Ok<PageOf<CaseSummary>>, ValidationProblem>> ListByApplicantAsync(
        string? applicant, string? page, string? pageSize, NpgsqlDataSource database, PrivacyKeys privacy, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var key = applicant?.Trim().ToUpperInvariant();
        if (key is null || (!ResidentIdNumber.IsValid(key) && !UnifiedSocialCreditCode.IsValid(key)))
        {
            errors.Add("applicant", "Required: a resident identity number or a unified social credit code with a valid check character.");
        }
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        await using var command = database.CreateCommand("""
            SELECT case_id, item_code, status, submitted_at, due_at, count(*) OVER () AS total
            FROM onething_applicant_cases
            WHERE applicant_hash = $1
            ORDER BY submitted_at DESC, case_id
            LIMIT $2 OFFSET $3
            """);
        var applicantKey = privacy.ApplicantIndex.KeyOf(key!);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicantKey });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Size });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Offset });
        var items = new List<CaseSummary>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new CaseSummary(reader.GetString(0), reader.GetString(1), Enum.Parse<CaseStatus>(reader.GetString(2)),
                    reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
                total = reader.GetInt64(5);
            }
        }
        if (items.Count == 0 && paging.Offset > 0)
        {
            total = await CountAsync(database, applicantKey, cancellationToken);
        }
        return TypedResults.Ok(new PageOf<CaseSummary>(items, paging.Page, paging.Size, total));
    }

    public static async Task<Results<Ok<CaseView>, ValidationProblem, ProblemHttpResult>> SupplyAsync(
        string caseId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, OpenMapConverter.Requests.SupplyRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        // Shapes here; the item's own rules (which materials and fields, each field's type) in the case: one grain call.
        var errors = new FieldErrors();
        var materials = ApplicationReader.ReadMaterials(body!.Materials, item: null, errors, requireAll: false);
        var form = JsonBody.ScalarMap(body.Form, "form", "Field names", asSent: true, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var grain = cluster.Reference<ICaseGrain>(caseId);
        return OutcomeResults.ToHttpOk(await grain.SupplyAsync(new SupplyMaterials(materials, form), user.Actor()));
    }

    public static async Task<Results<Ok<CaseView>, ValidationProblem, ProblemHttpResult>> WithdrawAsync(
        string caseId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        string? reason = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.WithdrawRequest, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
            if (body!.Reason is { Length: > FieldLimits.FreeText })
            {
                return JsonBody.Problem("reason", $"At most {FieldLimits.FreeText} characters.");
            }
            reason = body.Reason;
        }
        return OutcomeResults.ToHttpOk(await cluster.Reference<ICaseGrain>(caseId).WithdrawAsync(reason, user.Actor()));
    }

    /// <summary>好差评: 5 = 非常满意 … 1 = 非常不满意; once, after the case has ended.</summary>
    public static async Task<Results<Ok<CaseView>, ValidationProblem, ProblemHttpResult>> EvaluateAsync(
        string caseId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.EvaluationRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        if (body!.Rating is < 1 or > 5)
        {
            errors.Add("rating", "Required, a whole number from 1 (非常不满意) to 5 (非常满意).");
        }
        if (body.Comment is { Length: > FieldLimits.FreeText })
        {
            errors.Add("comment", $"At most {FieldLimits.FreeText} characters.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        return OutcomeResults.ToHttpOk(await cluster.Reference<ICaseGrain>(caseId).EvaluateAsync(body.Rating, body.Comment, user.Actor()));
    }

    private static async Task<long> CountAsync(NpgsqlDataSource database, string applicantKey, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM onething_applicant_cases WHERE applicant_hash = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicantKey });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
