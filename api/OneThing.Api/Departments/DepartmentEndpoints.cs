using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OneThing.Api.AccessLog;
using OneThing.Api.Auth;
using OneThing.Api.Cases;
using OneThing.Api.Common;
using OneThing.Api.Documentation;
using OneThing.Contracts.Departments;
using OneThing.Api.Hosting;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Tasks;

namespace OneThing.Api.Departments;

public static class DepartmentEndpoints
{
    private static readonly string[] OpenStatuses =
        [nameof(DepartmentTaskStatus.Ready), nameof(DepartmentTaskStatus.Accepted), nameof(DepartmentTaskStatus.AwaitingSupplement)];

    public static IEndpointRouteBuilder MapDepartmentWork(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/departments").WithTags("Department work").RequireAuthorization(Roles.Department)
            .MapGet("/{department}/tasks", InboxAsync).DocumentsQueryNumbers("page", "pageSize", "limit");

        var tasks = routes.MapGroup("/api/tasks").WithTags("Department work").RequireAuthorization(Roles.Department);
        tasks.MapGet("/{taskId}", GetTaskAsync);
        tasks.MapPost("/{taskId}/accept", AcceptAsync);
        tasks.MapPost("/{taskId}/complete", CompleteAsync).ReadsJsonBody<CompleteTaskRequest>();
        tasks.MapPost("/{taskId}/reject", RejectAsync).ReadsJsonBody<RejectTaskRequest>();
        tasks.MapPost("/{taskId}/supplement-requests", RequestSupplementAsync).ReadsJsonBody<SupplementRequestRequest>();
        return routes;
    }

    /// <summary>
    /// A department's tasks, earliest due first, from the read model: one index range, no grain calls. Filters:
    /// <c>status</c> (open tasks without it), <c>item</c>, <c>overdue</c>, <c>warning</c>; pages by <c>page</c>/<c>pageSize</c>
    /// or, however deep, by <c>cursor</c>/<c>limit</c>.
    /// </summary>
    public static async Task<Results<Ok<InboxPage>, ValidationProblem, ProblemHttpResult>> InboxAsync(
        string department, string? status, string? item, string? overdue, string? warning, string? page, string? pageSize,
        string? cursor, string? limit, ClaimsPrincipal user, NpgsqlDataSource database,
        PrivacyKeys privacy, HttpContext context, CaseAccessLog accessLog, CancellationToken cancellationToken)
    {
        if (user.DepartmentCode() != department)
        {
            return OutcomeResults.Forbidden("A department reads only its own inbox.");
        }
        var errors = new FieldErrors();
        // By name only: Enum.TryParse would also take "7" or "Ready,Accepted".
        if (status is not null && !Enum.GetNames<DepartmentTaskStatus>().Contains(status, StringComparer.Ordinal))
        {
            errors.Add("status", $"One of: {string.Join(", ", Enum.GetNames<DepartmentTaskStatus>())}.");
        }
        if (item is { Length: > FieldLimits.Code })
        {
            errors.Add("item", $"At most {FieldLimits.Code} characters.");
        }
        var overdueOnly = Ops.CaseSearchEndpoints.Flag(overdue, "overdue", errors);
        var warningOnly = Ops.CaseSearchEndpoints.Flag(warning, "warning", errors);
        var paging = Paging.Read(page, pageSize, errors);
        if (QueryNumber.Read(limit, "limit", 1, Paging.MaxPageSize, errors) is { } size)
        {
            paging = paging with { Size = size };
        }
        var after = Cursor.TryDecode(cursor, "cursor", errors, out var afterDue, out var afterTask);
        if (after && paging.Page != 1)
        {
            errors.Add("cursor", "A cursor continues from its own page: send it without page.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        string[] statuses = status is null ? OpenStatuses : [status];
        const string Filters = """
            department = $1 AND status = ANY($2)
              AND ($3::text IS NULL OR item_code = $3)
              AND ($4::boolean IS NULL OR overdue = $4)
              AND ($5::boolean IS NULL OR warning = $5)
            """;
        // Rows without a due time sort last, so a cursor at one of them continues among them only.
        var keyset = !after ? "" : afterDue is null
            ? "AND due_at IS NULL AND task_id > $6"
            : "AND (due_at > $7 OR (due_at = $7 AND task_id > $6) OR due_at IS NULL)";
        // One index range per status, each already in page order: PostgreSQL merges a page's worth from each instead of
        // sorting every open task (status = ANY reads them all). Status names are the enum's own, checked above.
        var branches = statuses.Select(name => $"""
            (SELECT view, due_at, task_id FROM onething_department_tasks
             WHERE {Filters.Replace("status = ANY($2)", $"status = '{name}'", StringComparison.Ordinal)} {keyset}
             ORDER BY due_at NULLS LAST, task_id LIMIT $8 + $9)
            """);
        await using var batch = database.CreateBatch();
        var rows = new NpgsqlBatchCommand($"""
            SELECT view::text, due_at, task_id
            FROM ({string.Join(" UNION ALL ", branches)}) page
            ORDER BY due_at NULLS LAST, task_id
            LIMIT $8 OFFSET $9
            """);
        var total = new NpgsqlBatchCommand($"""
            SELECT count(*) FROM (SELECT 1 FROM onething_department_tasks WHERE {Filters} LIMIT {Paging.MaxTotal}) matching
            """);
        foreach (var command in new[] { rows, total })
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = department });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = statuses });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = string.IsNullOrWhiteSpace(item) ? DBNull.Value : item.Trim() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean, Value = (object?)overdueOnly ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean, Value = (object?)warningOnly ?? DBNull.Value });
        }
        rows.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterTask });
        rows.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz, Value = afterDue is { } due ? due.UtcDateTime : DBNull.Value });
        rows.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Size + 1 });
        rows.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Offset });
        batch.BatchCommands.Add(rows);
        batch.BatchCommands.Add(total);

        var items = new List<TaskView>();
        (DateTimeOffset? Due, string Task) last = default;
        string? next = null;
        long count = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (items.Count == paging.Size)
                {
                    next = Cursor.Encode(last.Due, last.Task!);
                    continue;
                }
                items.Add(InboxRows.Open(reader.GetString(0), privacy.Protector));
                last = (reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2));
            }
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            count = reader.GetInt64(0);
        }
        accessLog.RecordInboxPage(context, items);
        return TypedResults.Ok(new InboxPage(items, paging.Page, paging.Size, count, next));
    }

    public static async Task<Results<Ok<TaskView>, ProblemHttpResult>> GetTaskAsync(
        string taskId, ClaimsPrincipal user, IClusterClient cluster, HttpContext context, CaseAccessLog accessLog)
    {
        var view = TaskIds.TryParse(taskId, out var caseId, out var matterCode)
            ? await cluster.Reference<ICaseGrain>(caseId).GetTaskAsync(matterCode)
            : null;
        if (view is null || view.Department != user.DepartmentCode())
        {
            return OutcomeResults.NotFound("No such task in your department.");
        }
        accessLog.Record(context, view.CaseId);
        return TypedResults.Ok(view);
    }

    public static async Task<Results<Ok<TaskView>, ValidationProblem, ProblemHttpResult>> AcceptAsync(
        string taskId, ClaimsPrincipal user, IClusterClient cluster) =>
        OutcomeResults.ToHttpOk(await ActAsync(cluster, taskId, user, new TaskAction(TaskActionKind.Accept, user.DepartmentCode()!)));

    /// <summary><c>outputs</c> must hold every output the matter declares and nothing else.</summary>
    public static async Task<Results<Ok<TaskView>, ValidationProblem, ProblemHttpResult>> CompleteAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, OpenMapConverter.Requests.CompleteTaskRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        var outputs = JsonBody.ScalarMap(body!.Outputs, "outputs", "Output names", asSent: false, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var outcome = await ActAsync(cluster, taskId, user, new TaskAction(TaskActionKind.Complete, user.DepartmentCode()!, Outputs: outputs));
        if (outcome.Kind == OutcomeKind.Ok)
        {
            metrics.TaskCompleted(user.DepartmentCode()!);
        }
        return OutcomeResults.ToHttpOk(outcome);
    }

    public static async Task<Results<Ok<TaskView>, ValidationProblem, ProblemHttpResult>> RejectAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.RejectTaskRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var reason = body!.Reason.Trim();
        if (reason.Length is 0 or > FieldLimits.FreeText)
        {
            return JsonBody.Problem("reason", $"Required, at most {FieldLimits.FreeText} characters: the applicant is told why.");
        }
        return OutcomeResults.ToHttpOk(await ActAsync(cluster, taskId, user, new TaskAction(TaskActionKind.Reject, user.DepartmentCode()!, Reason: reason)));
    }

    /// <summary>一次性告知: one request names every missing material; the case's clock stops until they arrive.</summary>
    public static async Task<Results<Ok<TaskView>, ValidationProblem, ProblemHttpResult>> RequestSupplementAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.SupplementRequestRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        var materials = new List<string>();
        if (body!.Materials.Count is 0 or > FieldLimits.ListEntries)
        {
            errors.Add("materials", $"Required: every missing material's code, named at once (at most {FieldLimits.ListEntries}).");
        }
        else
        {
            for (var at = 0; at < body.Materials.Count; at++)
            {
                var code = body.Materials[at];
                if (code.Length > FieldLimits.Code)
                {
                    errors.Add($"materials[{at}]", $"Material codes have at most {FieldLimits.Code} characters.");
                }
                else if (!materials.Contains(code))
                {
                    materials.Add(code);
                }
            }
        }
        var note = body.Note;
        if (note is { Length: > FieldLimits.FreeText })
        {
            errors.Add("note", $"At most {FieldLimits.FreeText} characters.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        // Whether the item has these materials is the case's rule: one grain call decides it with the rest.
        return OutcomeResults.ToHttpOk(await ActAsync(cluster, taskId, user,
            new TaskAction(TaskActionKind.RequestSupplement, user.DepartmentCode()!, Materials: materials, Note: note)));
    }

    /// <summary>A department's action, straight to the case that owns the task (the task id names it).</summary>
    private static Task<Outcome<TaskView>> ActAsync(IClusterClient cluster, string taskId, ClaimsPrincipal user, TaskAction action) =>
        TaskIds.TryParse(taskId, out var caseId, out var matterCode)
            ? cluster.Reference<ICaseGrain>(caseId).ActOnTaskAsync(matterCode, action, user.Actor())
            : Task.FromResult(Outcome<TaskView>.NotFound("No such task."));
}
