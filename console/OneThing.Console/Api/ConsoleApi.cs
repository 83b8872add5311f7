using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using OneThing.Client;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;
using OneThing.Contracts.FallbackDesk;

namespace OneThing.Console.Api;

/// <summary>
/// Every call the console makes to the OneThing API, each with the key of the role it acts as, through
/// <see cref="OneThingClient"/>. Pages get the answer as JSON in the API's own shape (<see cref="ApiAnswer"/>), and an
/// error as its status and field errors, so a page shows an API error where it belongs instead of catching.
/// </summary>
public sealed class ConsoleApi(HttpClient http, IOptionsMonitor<ConsoleOptions> options)
{
    public const string HttpClientName = "onething-api";

    // Catalog reads

    public Task<ApiAnswer> ItemsAsync() => CallAsync(Portal, c => c.ListItemsAsync(), ClientJson.Default.IReadOnlyListCatalogItem);

    public Task<ApiAnswer> ItemAsync(string code, string? region = null, int? version = null) =>
        CallAsync(Portal, c => c.GetItemAsync(code, region, version), ClientJson.Default.CatalogItem);

    public Task<ApiAnswer> ItemForDepartmentAsync(string department, string code, string? region, int? version) =>
        CallAsync(Department(department), c => c.GetItemAsync(code, region, version), ClientJson.Default.CatalogItem);

    public Task<ApiAnswer> DepartmentsAsync() => CallAsync(Portal, c => c.ListDepartmentsAsync(), ClientJson.Default.IReadOnlyListDepartmentDefinition);

    // Hall window (portal key, channel hall)

    /// <summary>Files an application built from the hall's form; its JSON is read as the API would read it.</summary>
    public async Task<ApiAnswer> SubmitAsync(JsonObject application, string idempotencyKey)
    {
        SubmitCaseRequest? request;
        try
        {
            request = application.Deserialize(ClientJson.Default.SubmitCaseRequest);
        }
        catch (JsonException error)
        {
            return Refused(HttpStatusCode.BadRequest, error.Path is { Length: > 2 } path ? path[2..] : "body", "格式不正确。");
        }
        return await CallAsync(Portal, async c => (await c.SubmitCaseAsync(request!, idempotencyKey)).Value, ClientJson.Default.CaseView);
    }

    public Task<ApiAnswer> CaseAsync(string caseId) => CallAsync(Portal, c => c.GetCaseAsync(caseId), ClientJson.Default.CaseView);

    public Task<ApiAnswer> ApplicantCasesAsync(string applicant) =>
        CallAsync(Portal, c => c.ListApplicantCasesAsync(applicant, pageSize: 50), ClientJson.Default.PageOfCaseSummary);

    public Task<ApiAnswer> SupplyAsync(string caseId, IReadOnlyList<(string Code, string Uri)> materials) =>
        CallAsync(Portal, c => c.SupplyMaterialsAsync(caseId, new SupplyRequest
        {
            Materials = [.. materials.Select(m => new MaterialInput { Code = m.Code, Uri = m.Uri })],
        }), ClientJson.Default.CaseView);

    public Task<ApiAnswer> WithdrawAsync(string caseId, string? reason) =>
        CallAsync(Portal, c => c.WithdrawCaseAsync(caseId, new WithdrawRequest { Reason = reason }), ClientJson.Default.CaseView);

    public Task<ApiAnswer> EvaluateAsync(string caseId, int rating, string? comment) =>
        CallAsync(Portal, c => c.EvaluateCaseAsync(caseId, new EvaluationRequest { Rating = rating, Comment = comment }), ClientJson.Default.CaseView);

    /// <summary>The public progress view: 200, or 404 alike for a missing case and a wrong pair.</summary>
    public Task<ApiAnswer> ProgressAsync(string caseId, string idNumberLast6) =>
        CallAsync(Portal, c => c.GetCaseProgressAsync(caseId, new ProgressRequest { IdNumberLast6 = idNumberLast6 }), ClientJson.Default.CaseProgress);

    // Department workbench (that department's key)

    public Task<ApiAnswer> InboxAsync(string department, string? status, string? item, bool? overdue, bool? warning) =>
        CallAsync(Department(department), c => c.ListInboxAsync(department, new InboxQuery
        {
            Status = Enum.TryParse<DepartmentTaskStatus>(status, out var parsed) ? parsed : null,
            Item = item,
            Overdue = overdue,
            Warning = warning,
            PageSize = 200,
        }), ClientJson.Default.InboxPage);

    public Task<ApiAnswer> TaskAsync(string department, string taskId) =>
        CallAsync(Department(department), c => c.GetTaskAsync(taskId), ClientJson.Default.TaskView);

    public Task<ApiAnswer> CaseForDepartmentAsync(string department, string caseId) =>
        CallAsync(Department(department), c => c.GetCaseAsync(caseId), ClientJson.Default.CaseView);

    public Task<ApiAnswer> AcceptAsync(string department, string taskId) =>
        CallAsync(Department(department), c => c.AcceptTaskAsync(taskId), ClientJson.Default.TaskView);

    public Task<ApiAnswer> CompleteAsync(string department, string taskId, IReadOnlyDictionary<string, string> outputs) =>
        CallAsync(Department(department), c => c.CompleteTaskAsync(taskId, outputs), ClientJson.Default.TaskView);

    public Task<ApiAnswer> RejectAsync(string department, string taskId, string reason) =>
        CallAsync(Department(department), c => c.RejectTaskAsync(taskId, new RejectTaskRequest { Reason = reason }), ClientJson.Default.TaskView);

    public Task<ApiAnswer> RequestSupplementAsync(string department, string taskId, IEnumerable<string> materials, string? note) =>
        CallAsync(Department(department), c => c.RequestSupplementAsync(taskId, new SupplementRequestRequest { Materials = [.. materials], Note = note }),
            ClientJson.Default.TaskView);

    // Ops

    public Task<ApiAnswer> ClusterAsync() => CallAsync(Ops, c => c.GetClusterAsync(), ClientJson.Default.ClusterView);

    public Task<ApiAnswer> StatisticsAsync(string groupBy, string? from, string? to)
    {
        foreach (var (name, text) in new[] { ("from", from), ("to", to) })
        {
            if (text is not null && Day(text) is null)
            {
                return Task.FromResult(Refused(HttpStatusCode.BadRequest, name, "日期格式应为 yyyy-MM-dd。"));
            }
        }
        return CallAsync(Ops, c => c.GetStatisticsAsync(new StatisticsQuery { GroupBy = groupBy, From = Day(from), To = Day(to) }),
            ClientJson.Default.StatisticsReport);
    }

    public Task<ApiAnswer> DeskAsync(string status) =>
        CallAsync(Ops, c => c.ListDeskEntriesAsync(new DeskEntryQuery { Status = status, PageSize = 200 }), ClientJson.Default.PageOfDeskEntry);

    public Task<ApiAnswer> ResolveDeskEntryAsync(string entryId, string resolution, string resolvedBy) =>
        CallAsync(Ops, async c =>
        {
            var resolved = await c.ResolveDeskEntryAsync(entryId, new ResolveDeskEntryRequest { Resolution = resolution, ResolvedBy = resolvedBy });
            return resolved.Entry is { } entry ? JsonSerializer.SerializeToElement(entry, ClientJson.Default.DeskEntry)
                : JsonSerializer.SerializeToElement(resolved.Case!, ClientJson.Default.CaseView);
        }, ClientJson.Default.JsonElement);

    /// <summary>
    /// Publishes an item version from the text an operator typed, as typed: the API's own strict reading then names
    /// every mistake (an unknown or repeated property, a wrong type), which reading it into a record here would hide.
    /// </summary>
    public async Task<ApiAnswer> PublishItemAsync(string code, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/api/items/{Uri.EscapeDataString(code)}", UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyOf(ApiCaller.Ops, null));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 && (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) ?? false)
            ? JsonSerializer.Deserialize(text, ClientJson.Default.JsonElement) : default;
        if (response.IsSuccessStatusCode)
        {
            return new ApiAnswer(response.StatusCode, body, Empty, null);
        }
        var problem = body.ValueKind == JsonValueKind.Object ? body.Deserialize(ClientJson.Default.Problem) : null;
        return new ApiAnswer(response.StatusCode, default, problem?.Errors?.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal) ?? Empty, problem?.Title);
    }

    /// <summary>The statuses a page tells the user about in words.</summary>
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

    private static readonly IReadOnlyDictionary<string, string[]> Empty = new Dictionary<string, string[]>(StringComparer.Ordinal);

    private OneThingClient Portal => new(http, KeyOf(ApiCaller.Portal, null));

    private OneThingClient Ops => new(http, KeyOf(ApiCaller.Ops, null));

    private OneThingClient Department(string department) => new(http, KeyOf(ApiCaller.Department, department));

    /// <summary>One call: its typed answer as the API's JSON, or its error as status and field errors.</summary>
    private static async Task<ApiAnswer> CallAsync<T>(OneThingClient client, Func<OneThingClient, Task<T>> call, JsonTypeInfo<T> type)
    {
        try
        {
            var value = await call(client);
            return new ApiAnswer(HttpStatusCode.OK, JsonSerializer.SerializeToElement(value, type), Empty, null);
        }
        catch (OneThingApiException error)
        {
            return new ApiAnswer(error.Status, default, error.Errors, error.Title);
        }
    }

    private static ApiAnswer Refused(HttpStatusCode status, string field, string message) =>
        new(status, default, new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }, null);

    private static DateOnly? Day(string? text) =>
        DateOnly.TryParseExact(text ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

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
}
