using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace OneThing.Console.Api;

/// <summary>
/// Every call the console makes to the OneThing API, each with the key of the role it acts as; the one place that
/// knows routes and keys, so a typed client can replace it here alone.
/// </summary>
public sealed class ConsoleApi(HttpClient http, IOptionsMonitor<ConsoleOptions> options)
{
    public const string HttpClientName = "onething-api";

    // Catalog reads

    public Task<ApiAnswer> ItemsAsync() => GetAsync(ApiCaller.Portal, null, "/api/items");

    public Task<ApiAnswer> ItemAsync(string code, string? region = null, int? version = null) =>
        GetAsync(ApiCaller.Portal, null, $"/api/items/{Esc(code)}{Query(("region", region), ("version", version?.ToString(System.Globalization.CultureInfo.InvariantCulture)))}");

    public Task<ApiAnswer> ItemForDepartmentAsync(string department, string code, string? region, int? version) =>
        GetAsync(ApiCaller.Department, department, $"/api/items/{Esc(code)}{Query(("region", region), ("version", version?.ToString(System.Globalization.CultureInfo.InvariantCulture)))}");

    public Task<ApiAnswer> DepartmentsAsync() => GetAsync(ApiCaller.Portal, null, "/api/departments");

    // Hall window (portal key, channel hall)

    public Task<ApiAnswer> SubmitAsync(JsonObject application, string idempotencyKey) =>
        SendAsync(ApiCaller.Portal, null, HttpMethod.Post, "/api/cases", application, ("Idempotency-Key", idempotencyKey));

    public Task<ApiAnswer> CaseAsync(string caseId) => GetAsync(ApiCaller.Portal, null, $"/api/cases/{Esc(caseId)}");

    public Task<ApiAnswer> ApplicantCasesAsync(string applicant) =>
        GetAsync(ApiCaller.Portal, null, $"/api/cases{Query(("applicant", applicant), ("pageSize", "50"))}");

    public Task<ApiAnswer> SupplyAsync(string caseId, JsonObject supply) =>
        SendAsync(ApiCaller.Portal, null, HttpMethod.Post, $"/api/cases/{Esc(caseId)}/supplements", supply);

    public Task<ApiAnswer> WithdrawAsync(string caseId, string? reason) =>
        SendAsync(ApiCaller.Portal, null, HttpMethod.Post, $"/api/cases/{Esc(caseId)}/withdraw", new JsonObject { ["reason"] = reason });

    public Task<ApiAnswer> EvaluateAsync(string caseId, int rating, string? comment) =>
        SendAsync(ApiCaller.Portal, null, HttpMethod.Post, $"/api/cases/{Esc(caseId)}/evaluation",
            new JsonObject { ["rating"] = rating, ["comment"] = comment });

    /// <summary>The public progress view: 200, or 404 alike for a missing case and a wrong pair.</summary>
    public Task<ApiAnswer> ProgressAsync(string caseId, string idNumberLast6) =>
        SendAsync(ApiCaller.Portal, null, HttpMethod.Post, $"/api/cases/{Esc(caseId)}/progress", new JsonObject { ["idNumberLast6"] = idNumberLast6 });

    // Department workbench (that department's key)

    public Task<ApiAnswer> InboxAsync(string department, string? status, string? item, bool? overdue, bool? warning) =>
        GetAsync(ApiCaller.Department, department, $"/api/departments/{Esc(department)}/tasks" + Query(
            ("status", status), ("item", item), ("overdue", Flag(overdue)), ("warning", Flag(warning)), ("pageSize", "200")));

    public Task<ApiAnswer> TaskAsync(string department, string taskId) => GetAsync(ApiCaller.Department, department, $"/api/tasks/{Esc(taskId)}");

    public Task<ApiAnswer> CaseForDepartmentAsync(string department, string caseId) =>
        GetAsync(ApiCaller.Department, department, $"/api/cases/{Esc(caseId)}");

    public Task<ApiAnswer> AcceptAsync(string department, string taskId) =>
        SendAsync(ApiCaller.Department, department, HttpMethod.Post, $"/api/tasks/{Esc(taskId)}/accept", null);

    public Task<ApiAnswer> CompleteAsync(string department, string taskId, IReadOnlyDictionary<string, string> outputs)
    {
        var body = new JsonObject();
        foreach (var (name, value) in outputs)
        {
            body[name] = value;
        }
        return SendAsync(ApiCaller.Department, department, HttpMethod.Post, $"/api/tasks/{Esc(taskId)}/complete", new JsonObject { ["outputs"] = body });
    }

    public Task<ApiAnswer> RejectAsync(string department, string taskId, string reason) =>
        SendAsync(ApiCaller.Department, department, HttpMethod.Post, $"/api/tasks/{Esc(taskId)}/reject", new JsonObject { ["reason"] = reason });

    public Task<ApiAnswer> RequestSupplementAsync(string department, string taskId, IEnumerable<string> materials, string? note) =>
        SendAsync(ApiCaller.Department, department, HttpMethod.Post, $"/api/tasks/{Esc(taskId)}/supplement-requests",
            new JsonObject { ["materials"] = new JsonArray([.. materials.Select(m => (JsonNode?)JsonValue.Create(m))]), ["note"] = note });

    // Ops

    public Task<ApiAnswer> ClusterAsync() => GetAsync(ApiCaller.Ops, null, "/api/ops/cluster");

    public Task<ApiAnswer> StatisticsAsync(string groupBy, string? from, string? to) =>
        GetAsync(ApiCaller.Ops, null, "/api/ops/statistics" + Query(("groupBy", groupBy), ("from", from), ("to", to)));

    public Task<ApiAnswer> DeskAsync(string status) =>
        GetAsync(ApiCaller.Ops, null, "/api/fallback-desk/cases" + Query(("status", status), ("pageSize", "200")));

    public Task<ApiAnswer> ResolveDeskEntryAsync(string entryId, string resolution, string resolvedBy) =>
        SendAsync(ApiCaller.Ops, null, HttpMethod.Post, $"/api/fallback-desk/cases/{Esc(entryId)}/resolve",
            new JsonObject { ["resolution"] = resolution, ["resolvedBy"] = resolvedBy });

    /// <summary>Publishes an item version from the text an operator typed; text that is not JSON is the API's to refuse.</summary>
    public Task<ApiAnswer> PublishItemAsync(string code, string json) =>
        SendRawAsync(ApiCaller.Ops, null, HttpMethod.Put, $"/api/items/{Esc(code)}", json);

    /// <summary>The caller a signed-in user acts as, and its department.</summary>
    public static (ApiCaller Caller, string? Department) CallerOf(ClaimsPrincipal user) =>
        user.IsInRole(ConsoleRoles.Ops) ? (ApiCaller.Ops, null)
        : user.IsInRole(ConsoleRoles.Department) ? (ApiCaller.Department, user.FindFirst(ConsoleRoles.DepartmentClaim)?.Value)
        : (ApiCaller.Portal, null);

    private Task<ApiAnswer> GetAsync(ApiCaller caller, string? department, string path) => SendAsync(caller, department, HttpMethod.Get, path, null);

    private Task<ApiAnswer> SendAsync(ApiCaller caller, string? department, HttpMethod method, string path, JsonNode? body,
        params (string Name, string Value)[] headers) =>
        SendRawAsync(caller, department, method, path, body?.ToJsonString(), headers);

    private async Task<ApiAnswer> SendRawAsync(ApiCaller caller, string? department, HttpMethod method, string path, string? json,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyOf(caller, department));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = default(JsonElement);
        if (text.Length > 0 && (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) ?? false))
        {
            body = JsonSerializer.Deserialize<JsonElement>(text);
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? title = null;
        if (!response.IsSuccessStatusCode && body.ValueKind == JsonValueKind.Object)
        {
            title = body.TryGetProperty("title", out var t) ? t.GetString() : null;
            if (body.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in fields.EnumerateObject())
                {
                    errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                        ? [.. field.Value.EnumerateArray().Select(m => m.ToString())]
                        : [field.Value.ToString()];
                }
            }
        }
        return new ApiAnswer(response.StatusCode, body, errors, title) { Location = response.Headers.Location?.ToString() };
    }

    private string KeyOf(ApiCaller caller, string? department)
    {
        var keys = options.CurrentValue.ApiKeys;
        var key = caller switch
        {
            ApiCaller.Portal => keys.Portal,
            ApiCaller.Ops => keys.Ops,
            _ => department is null ? null : keys.Departments.GetValueOrDefault(department),
        };
        return key ?? throw new InvalidOperationException(
            $"No API key for {caller}{(department is null ? "" : " " + department)}: set OneThing:Console:ApiKeys.");
    }

    private static string Esc(string segment) => Uri.EscapeDataString(segment);

    private static string? Flag(bool? value) => value switch { true => "true", false => "false", null => null };

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var set = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }

    /// <summary>The statuses a 4xx or 5xx page tells the user about in words.</summary>
    public static string Describe(ApiAnswer answer) => answer.Status switch
    {
        HttpStatusCode.NotFound => "未找到，或无权查看。",
        HttpStatusCode.Conflict => "当前状态不允许此操作。",
        HttpStatusCode.Forbidden => "无权执行此操作。",
        HttpStatusCode.TooManyRequests => "请求过于频繁，请稍后再试。",
        HttpStatusCode.ServiceUnavailable => "系统暂时不可用，请稍后重试。",
        HttpStatusCode.BadRequest => "提交的内容有误，请按提示修改。",
        _ => $"操作未成功（{(int)answer.Status}）。",
    };
}
