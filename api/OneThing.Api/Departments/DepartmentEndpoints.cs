using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Cases;
using OneThing.Api.Common;
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
            .MapGet("/{department}/tasks", InboxAsync);

        var tasks = routes.MapGroup("/api/tasks").WithTags("Department work").RequireAuthorization(Roles.Department);
        tasks.MapGet("/{taskId}", GetTaskAsync);
        tasks.MapPost("/{taskId}/accept", AcceptAsync);
        tasks.MapPost("/{taskId}/complete", CompleteAsync);
        tasks.MapPost("/{taskId}/reject", RejectAsync);
        tasks.MapPost("/{taskId}/supplement-requests", RequestSupplementAsync);
        return routes;
    }

    /// <summary>A department's tasks, earliest due first, from the read model: one index range, no grain calls.</summary>
    public static async Task<Results<Ok<PageOf<JsonElement>>, ValidationProblem, ProblemHttpResult>> InboxAsync(
        string department, string? status, int? page, int? pageSize, ClaimsPrincipal user, NpgsqlDataSource database, PrivacyKeys privacy,
        CancellationToken cancellationToken)
    {
        if (user.DepartmentCode() != department)
        {
            return OutcomeResults.Forbidden("A department reads only its own inbox.");
        }
        var errors = new FieldErrors();
        if (status is not null && !Enum.TryParse<DepartmentTaskStatus>(status, ignoreCase: false, out _))
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
        return TypedResults.Ok(new PageOf<JsonElement>(items, paging.Page, paging.Size, total));
    }

    public static async Task<Results<Ok<TaskView>, ProblemHttpResult>> GetTaskAsync(string taskId, ClaimsPrincipal user, IClusterClient cluster)
    {
        var view = await cluster.Reference<IDepartmentTaskGrain>(taskId).GetAsync();
        return view is null || view.Department != user.DepartmentCode()
            ? OutcomeResults.NotFound("No such task in your department.")
            : TypedResults.Ok(view);
    }

    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> AcceptAsync(
        string taskId, ClaimsPrincipal user, IClusterClient cluster) =>
        OutcomeResults.ToHttp(await cluster.Reference<IDepartmentTaskGrain>(taskId).AcceptAsync(user.DepartmentCode()!));

    /// <summary><c>outputs</c> must hold every output the matter declares and nothing else.</summary>
    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> CompleteAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new FieldErrors();
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!body.TryGetProperty("outputs", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            errors.Add("outputs", "Required: an object of output name → value.");
        }
        else
        {
            foreach (var property in values.EnumerateObject())
            {
                if (JsonBody.TryScalarText(property.Value, out var text) && text.Length <= 2000)
                {
                    outputs[property.Name] = text;
                }
                else
                {
                    errors.Add($"outputs.{property.Name}", "Must be a string, number or boolean of at most 2000 characters.");
                }
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        return OutcomeResults.ToHttp(await cluster.Reference<IDepartmentTaskGrain>(taskId).CompleteAsync(user.DepartmentCode()!, outputs));
    }

    public static async Task<Results<Ok<TaskView>, Created<TaskView>, ValidationProblem, ProblemHttpResult>> RejectAsync(
        string taskId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var reason = JsonBody.OptionalString(body, "reason")?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 2000)
        {
            return JsonBody.Problem("reason", "Required, at most 2000 characters: the applicant is told why.");
        }
        return OutcomeResults.ToHttp(await cluster.Reference<IDepartmentTaskGrain>(taskId).RejectAsync(user.DepartmentCode()!, reason));
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
        var grain = cluster.Reference<IDepartmentTaskGrain>(taskId);
        var task = await grain.GetAsync();
        if (task is null || task.Department != user.DepartmentCode())
        {
            return OutcomeResults.NotFound("No such task in your department.");
        }
        var caseView = await cluster.Reference<ICaseGrain>(task.CaseId).GetAsync();
        var item = caseView is null ? null : await CaseEndpoints.ItemOfAsync(cluster, caseView);

        var errors = new FieldErrors();
        var materials = new List<string>();
        if (!body.TryGetProperty("materials", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
        {
            errors.Add("materials", "Required: every missing material's code, named at once.");
        }
        else
        {
            foreach (var element in array.EnumerateArray())
            {
                var code = element.ValueKind == JsonValueKind.String ? element.GetString()! : "";
                if (item is not null && item.Materials.All(m => m.Code != code))
                {
                    errors.Add("materials", $"'{element}' is not a material of {item.Code}.");
                }
                else if (!materials.Contains(code))
                {
                    materials.Add(code);
                }
            }
        }
        var note = JsonBody.OptionalString(body, "note");
        if (note is { Length: > 2000 })
        {
            errors.Add("note", "At most 2000 characters.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        return OutcomeResults.ToHttp(await grain.RequestSupplementAsync(user.DepartmentCode()!, materials, note));
    }
}
