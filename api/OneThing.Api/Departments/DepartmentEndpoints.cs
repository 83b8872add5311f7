using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OneThing.Api.AccessLog;
using OneThing.Api.Auth;
using OneThing.Api.Cases;
using OneThing.Api.Common;
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
            .MapGet("/{department}/tasks", InboxAsync).DocumentsQueryNumbers("page", "pageSize");

        var tasks = routes.MapGroup("/api/tasks").WithTags("Department work").RequireAuthorization(Roles.Department);
        tasks.MapGet("/{taskId}", GetTaskAsync);
        tasks.MapPost("/{taskId}/accept", AcceptAsync);
        tasks.MapPost("/{taskId}/complete", CompleteAsync).ReadsJsonBody();
        tasks.MapPost("/{taskId}/reject", RejectAsync).ReadsJsonBody();
        tasks.MapPost("/{taskId}/supplement-requests", RequestSupplementAsync).ReadsJsonBody();
        return routes;
    }

    /// <summary>A department's tasks, earliest due first, from the read model: one index range, no grain calls.</summary>
    public static async Task<Results<Ok<PageOf<JsonElement>>, ValidationProblem, ProblemHttpResult>> InboxAsync(
        string department, string? status, string? page, string? pageSize, ClaimsPrincipal user, NpgsqlDataSource database,
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
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        string[] statuses = status is null ? OpenStatuses : [status];
        await using var command = database.CreateCommand("""
            SELECT view::text, count(*) OVER () AS total
            FROM onething_department_tasks
            WHERE department = $1 AND status = ANY($2)
            ORDER BY due_at NULLS LAST, task_id
            LIMIT $3 OFFSET $4
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = department });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = statuses });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Size });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Offset });
        var items = new List<JsonElement>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(InboxRows.Open(reader.GetString(0), privacy.Protector));
                total = reader.GetInt64(1);
            }
        }
        accessLog.RecordInboxPage(context, items);
        return TypedResults.Ok(new PageOf<JsonElement>(items, paging.Page, paging.Size, total));
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

    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> AcceptAsync(
        string taskId, ClaimsPrincipal user, IClusterClient cluster) =>
        OutcomeResults.ToHttp(await ActAsync(cluster, taskId, user, new TaskAction(TaskActionKind.Accept, user.DepartmentCode()!)));

    /// <summary><c>outputs</c> must hold every output the matter declares and nothing else.</summary>
    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> CompleteAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        JsonBody.RefuseUnknown(body, "", errors, "outputs");
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!body.TryGetProperty("outputs", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            errors.Add("outputs", "Required: an object of output name → value.");
        }
        else
        {
            foreach (var property in values.EnumerateObject())
            {
                if (property.Name.Length > FieldLimits.Code)
                {
                    errors.Add($"outputs.{JsonBody.Shorten(property.Name)}", $"Output names have at most {FieldLimits.Code} characters.");
                }
                else if (JsonBody.TryScalarText(property.Value, out var text) && text.Length <= FieldLimits.Value)
                {
                    outputs[property.Name] = text;
                }
                else
                {
                    errors.Add($"outputs.{property.Name}", $"Must be a string, number or boolean of at most {FieldLimits.Value} characters.");
                }
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var outcome = await ActAsync(cluster, taskId, user, new TaskAction(TaskActionKind.Complete, user.DepartmentCode()!, Outputs: outputs));
        if (outcome.Kind == OutcomeKind.Ok)
        {
            metrics.TaskCompleted(user.DepartmentCode()!);
        }
        return OutcomeResults.ToHttp(outcome);
    }

    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> RejectAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        JsonBody.RefuseUnknown(body, "", errors, "reason");
        var reason = JsonBody.Text(body, "", "reason", FieldLimits.FreeText, errors)?.Trim();
        if (string.IsNullOrEmpty(reason) && !errors.Has("reason"))
        {
            errors.Add("reason", $"Required, at most {FieldLimits.FreeText} characters: the applicant is told why.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        return OutcomeResults.ToHttp(await ActAsync(cluster, taskId, user, new TaskAction(TaskActionKind.Reject, user.DepartmentCode()!, Reason: reason)));
    }

    /// <summary>一次性告知: one request names every missing material; the case's clock stops until they arrive.</summary>
    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> RequestSupplementAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        JsonBody.RefuseUnknown(body, "", errors, "materials", "note");
        var materials = new List<string>();
        if (!body.TryGetProperty("materials", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() is 0 or > FieldLimits.ListEntries)
        {
            errors.Add("materials", $"Required: every missing material's code, named at once (at most {FieldLimits.ListEntries}).");
        }
        else
        {
            var index = 0;
            foreach (var element in array.EnumerateArray())
            {
                var at = index++;
                if (element.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"materials[{at}]", $"Must be a string (a material code), not {JsonBody.Describe(element.ValueKind)}.");
                    continue;
                }
                var code = element.GetString()!;
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
        var note = JsonBody.Text(body, "", "note", FieldLimits.FreeText, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        // Whether the item has these materials is the case's rule: one grain call decides it with the rest.
        return OutcomeResults.ToHttp(await ActAsync(cluster, taskId, user,
            new TaskAction(TaskActionKind.RequestSupplement, user.DepartmentCode()!, Materials: materials, Note: note)));
    }

    /// <summary>A department's action, straight to the case that owns the task (the task id names it).</summary>
    private static Task<Outcome<TaskView>> ActAsync(IClusterClient cluster, string taskId, ClaimsPrincipal user, TaskAction action) =>
        TaskIds.TryParse(taskId, out var caseId, out var matterCode)
            ? cluster.Reference<ICaseGrain>(caseId).ActOnTaskAsync(matterCode, action, user.Actor())
            : Task.FromResult(Outcome<TaskView>.NotFound("No such task."));
}
