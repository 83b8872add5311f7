using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OneThing.Contracts;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Contracts.Events;
using OneThing.Contracts.FallbackDesk;
using OneThing.Contracts.Ops;
using OneThing.Contracts.Webhooks;

namespace OneThing.Client;

/// <summary>
/// The OneThing.Orleans HTTP API, one method per operation (named after its operationId). A non-2xx answer throws
/// <see cref="OneThingApiException"/>; a 304 to a conditional read is a <see cref="Conditional{T}"/>, not an error.
/// </summary>
/// <remarks>
/// Cheap to make: it holds the <see cref="HttpClient"/> (whose <see cref="HttpClient.BaseAddress"/> is the API) and
/// the key's header text, so one pooled HttpClient can serve a client per key. Without a key the HttpClient's own
/// default headers are sent. Thread-safe, as HttpClient is.
/// </remarks>
public sealed class OneThingClient
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    // Bodies written as raw UTF-8 (Chinese names and addresses unescaped), as the API writes its own: about half the bytes.
    private static readonly JsonSerializerOptions WriteOptions = new(ClientJson.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HttpClient _http;
    private readonly string? _authorization;

    /// <param name="http">An HttpClient whose BaseAddress is the API's root, e.g. <c>http://127.0.0.1:5080/</c>.</param>
    /// <param name="apiKey">The API key sent as <c>Authorization: Bearer</c>; null to send the HttpClient's own headers.</param>
    public OneThingClient(HttpClient http, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _authorization = apiKey is null ? null : $"Bearer {apiKey}";
    }

    /// <summary>The HttpClient this client sends through.</summary>
    public HttpClient Http => _http;

    /// <summary>A client over the same HttpClient with another key.</summary>
    public OneThingClient WithKey(string apiKey) => new(_http, apiKey);

    // ---- Health -----------------------------------------------------------------------------------------------

    /// <summary><c>getLiveness</c>: whether the process is up.</summary>
    public Task<HealthReport> GetLivenessAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "/health/live", null, ClientJson.Default.HealthReport, cancellationToken);

    /// <summary><c>getReadiness</c>: the report also when the API is not ready (503), whose status then says why.</summary>
    public async Task<HealthReport> GetReadinessAsync(CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Get, "/health/ready", null);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable
            && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            return await ReadAsync(response, ClientJson.Default.HealthReport, cancellationToken).ConfigureAwait(false);
        }
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.HealthReport, cancellationToken).ConfigureAwait(false);
    }

    // ---- Catalog and calendar ---------------------------------------------------------------------------------

    /// <summary><c>listItems</c>: the newest version of every item, as it applies in <paramref name="region"/>.</summary>
    public Task<IReadOnlyList<CatalogItem>> ListItemsAsync(string? region = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/items").Add("region", region).ToString(), null,
            ClientJson.Default.IReadOnlyListCatalogItem, cancellationToken);

    /// <summary><c>getItem</c>: the item as it applies in <paramref name="region"/> (the national base without one), newest or <paramref name="version"/>.</summary>
    public Task<CatalogItem> GetItemAsync(string code, string? region = null, int? version = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/items/", code).Add("region", region).Add("version", version).ToString(), null,
            ClientJson.Default.CatalogItem, cancellationToken);

    /// <summary><c>getItemFormSchema</c>: the JSON Schema an application for the item must match.</summary>
    public Task<JsonElement> GetItemFormSchemaAsync(string code, string? region = null, int? version = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/items/", code, "/form-schema").Add("region", region).Add("version", version).ToString(), null,
            ClientJson.Default.JsonElement, cancellationToken);

    /// <summary><c>publishItem</c>: publishes the next version of the item (or of its <c>region</c>'s variant); Created false when it was that variant's newest definition already.</summary>
    public Task<Written<ItemDefinition>> PublishItemAsync(string code, ItemDefinition item, CancellationToken cancellationToken = default) =>
        WriteAsync(HttpMethod.Put, new Query("/api/items/", code).ToString(), Json(item, ClientJson.Default.ItemDefinition), null,
            ClientJson.Default.ItemDefinition, cancellationToken);

    /// <summary><c>listDepartments</c>.</summary>
    public Task<IReadOnlyList<DepartmentDefinition>> ListDepartmentsAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "/api/departments", null, ClientJson.Default.IReadOnlyListDepartmentDefinition, cancellationToken);

    /// <summary><c>getCalendarYear</c>.</summary>
    public Task<CalendarYear> GetCalendarYearAsync(int year, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"/api/calendar/{year.ToString(CultureInfo.InvariantCulture)}", null, ClientJson.Default.CalendarYear, cancellationToken);

    /// <summary><c>putCalendarYear</c>: Created true the first time the year is published.</summary>
    public Task<Written<CalendarYear>> PutCalendarYearAsync(int year, CalendarYearRequest body, CancellationToken cancellationToken = default) =>
        WriteAsync(HttpMethod.Put, $"/api/calendar/{year.ToString(CultureInfo.InvariantCulture)}", Json(body, ClientJson.Default.CalendarYearRequest), null,
            ClientJson.Default.CalendarYear, cancellationToken);

    // ---- Cases ------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>submitCase</c>. With an <paramref name="idempotencyKey"/> a retry answers the case the first request created
    /// (Created false); the same key with another body is a 409.
    /// </summary>
    public Task<Written<CaseView>> SubmitCaseAsync(SubmitCaseRequest application, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        WriteAsync(HttpMethod.Post, "/api/cases", Json(application, ClientJson.Default.SubmitCaseRequest), idempotencyKey,
            ClientJson.Default.CaseView, cancellationToken);

    /// <summary><c>listApplicantCases</c>: by resident identity number or unified social credit code, newest first.</summary>
    public Task<PageOf<CaseSummary>> ListApplicantCasesAsync(string applicant, int? page = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/cases").Add("applicant", applicant).Add("page", page).Add("pageSize", pageSize).ToString(), null,
            ClientJson.Default.PageOfCaseSummary, cancellationToken);

    /// <summary><c>getCase</c>.</summary>
    public async Task<CaseView> GetCaseAsync(string caseId, CancellationToken cancellationToken = default) =>
        (await GetCaseAsync(caseId, null, cancellationToken).ConfigureAwait(false)).Value!;

    /// <summary>
    /// <c>getCase</c>, conditional: with the <paramref name="etag"/> of an earlier answer, NotModified while the case
    /// has not changed since (the server sends no body then).
    /// </summary>
    public async Task<Conditional<CaseView>> GetCaseAsync(string caseId, string? etag, CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Get, new Query("/api/cases/", caseId).ToString(), null);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var tag = response.Headers.ETag?.ToString();
        if (response.StatusCode == HttpStatusCode.NotModified && etag is not null)
        {
            return new Conditional<CaseView>(null, tag ?? etag, NotModified: true);
        }
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        return new Conditional<CaseView>(await ReadAsync(response, ClientJson.Default.CaseView, cancellationToken).ConfigureAwait(false), tag, NotModified: false);
    }

    /// <summary><c>supplyMaterials</c>: the materials (and form values) a department asked for.</summary>
    public Task<CaseView> SupplyMaterialsAsync(string caseId, SupplyRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/cases/", caseId, "/supplements").ToString(), Json(body, ClientJson.Default.SupplyRequest),
            ClientJson.Default.CaseView, cancellationToken);

    /// <summary><c>withdrawCase</c>; withdrawing a withdrawn case answers it unchanged.</summary>
    public Task<CaseView> WithdrawCaseAsync(string caseId, WithdrawRequest? body = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/cases/", caseId, "/withdraw").ToString(),
            body is null ? null : Json(body, ClientJson.Default.WithdrawRequest), ClientJson.Default.CaseView, cancellationToken);

    /// <summary><c>evaluateCase</c>: 好差评, once, after the case has ended.</summary>
    public Task<CaseView> EvaluateCaseAsync(string caseId, EvaluationRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/cases/", caseId, "/evaluation").ToString(), Json(body, ClientJson.Default.EvaluationRequest),
            ClientJson.Default.CaseView, cancellationToken);

    /// <summary>
    /// <c>getCaseProgress</c>: a case's public view for the applicant who knows the last 6 characters of their identity
    /// number (an enterprise: its credit code); a missing case and a wrong pair both throw the same 404.
    /// </summary>
    public Task<CaseProgress> GetCaseProgressAsync(string caseId, ProgressRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/cases/", caseId, "/progress").ToString(), Json(body, ClientJson.Default.ProgressRequest),
            ClientJson.Default.CaseProgress, cancellationToken);

    /// <summary><c>listCaseAccessLog</c>: who read the case's data.</summary>
    public Task<PageOf<CaseAccessEntry>> ListCaseAccessLogAsync(string caseId, int? page = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/cases/", caseId, "/access-log").Add("page", page).Add("pageSize", pageSize).ToString(), null,
            ClientJson.Default.PageOfCaseAccessEntry, cancellationToken);

    /// <summary><c>listCaseEvents</c>: the case's events after <paramref name="after"/> (a <c>seq</c>); continue with the answer's <c>nextAfter</c>.</summary>
    public Task<EventPage<CaseEventItem>> ListCaseEventsAsync(string caseId, long? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/cases/", caseId, "/events").Add("after", after).Add("limit", limit).ToString(), null,
            ClientJson.Default.EventPageCaseEventItem, cancellationToken);

    /// <summary><c>listEventFeed</c>: every case's events after the feed position <paramref name="after"/>.</summary>
    public Task<EventPage<FeedEventItem>> ListEventFeedAsync(long? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/events").Add("after", after).Add("limit", limit).ToString(), null,
            ClientJson.Default.EventPageFeedEventItem, cancellationToken);

    // ---- Department work --------------------------------------------------------------------------------------

    /// <summary><c>listInbox</c>: the department's tasks, earliest due first.</summary>
    public Task<InboxPage> ListInboxAsync(string department, InboxQuery? query = null, CancellationToken cancellationToken = default)
    {
        var path = new Query("/api/departments/", department, "/tasks");
        if (query is not null)
        {
            path.Add("status", query.Status?.ToString()).Add("item", query.Item).Add("overdue", query.Overdue).Add("warning", query.Warning)
                .Add("page", query.Page).Add("pageSize", query.PageSize).Add("cursor", query.Cursor).Add("limit", query.Limit);
        }
        return SendAsync(HttpMethod.Get, path.ToString(), null, ClientJson.Default.InboxPage, cancellationToken);
    }

    /// <summary><c>getTask</c>.</summary>
    public Task<TaskView> GetTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query("/api/tasks/", taskId).ToString(), null, ClientJson.Default.TaskView, cancellationToken);

    /// <summary><c>acceptTask</c>; accepting again answers the task unchanged.</summary>
    public Task<TaskView> AcceptTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/tasks/", taskId, "/accept").ToString(), null, ClientJson.Default.TaskView, cancellationToken);

    /// <summary><c>completeTask</c>: every output the matter declares, and nothing else.</summary>
    public Task<TaskView> CompleteTaskAsync(string taskId, CompleteTaskRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/tasks/", taskId, "/complete").ToString(), Json(body, ClientJson.Default.CompleteTaskRequest),
            ClientJson.Default.TaskView, cancellationToken);

    /// <summary><c>completeTask</c> with text outputs.</summary>
    public Task<TaskView> CompleteTaskAsync(string taskId, IReadOnlyDictionary<string, string> outputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var values = new Dictionary<string, JsonElement>(outputs.Count, StringComparer.Ordinal);
        foreach (var (name, value) in outputs)
        {
            values[name] = JsonSerializer.SerializeToElement(value, ClientJson.Default.String);
        }
        return CompleteTaskAsync(taskId, new CompleteTaskRequest { Outputs = values }, cancellationToken);
    }

    /// <summary><c>rejectTask</c>: ends the case; the applicant is told the reason.</summary>
    public Task<TaskView> RejectTaskAsync(string taskId, RejectTaskRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/tasks/", taskId, "/reject").ToString(), Json(body, ClientJson.Default.RejectTaskRequest),
            ClientJson.Default.TaskView, cancellationToken);

    /// <summary><c>requestSupplement</c>: 一次性告知, every missing material at once.</summary>
    public Task<TaskView> RequestSupplementAsync(string taskId, SupplementRequestRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, new Query("/api/tasks/", taskId, "/supplement-requests").ToString(), Json(body, ClientJson.Default.SupplementRequestRequest),
            ClientJson.Default.TaskView, cancellationToken);

    // ---- Subscriptions ----------------------------------------------------------------------------------------

    /// <summary><c>createSubscription</c>: the answer carries the signing secret (again on an Idempotency-Key retry).</summary>
    public Task<Written<CreatedSubscription>> CreateSubscriptionAsync(
        CreateSubscriptionRequest body, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        WriteAsync(HttpMethod.Post, "/api/subscriptions", Json(body, ClientJson.Default.CreateSubscriptionRequest), idempotencyKey,
            ClientJson.Default.CreatedSubscription, cancellationToken);

    /// <summary><c>listSubscriptions</c>: a department's own, or every one for ops.</summary>
    public Task<SubscriptionList> ListSubscriptionsAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "/api/subscriptions", null, ClientJson.Default.SubscriptionList, cancellationToken);

    /// <summary><c>getSubscription</c>.</summary>
    public Task<SubscriptionItem> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"/api/subscriptions/{subscriptionId:D}", null, ClientJson.Default.SubscriptionItem, cancellationToken);

    /// <summary><c>deleteSubscription</c>.</summary>
    public async Task DeleteSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Delete, $"/api/subscriptions/{subscriptionId:D}", null);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>rotateSubscriptionSecret</c>: the new secret; the old one keeps signing beside it for a while.</summary>
    public Task<CreatedSubscription> RotateSubscriptionSecretAsync(Guid subscriptionId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/subscriptions/{subscriptionId:D}/secret", null, ClientJson.Default.CreatedSubscription, cancellationToken);

    /// <summary><c>listDeliveries</c>: after the feed position <paramref name="after"/>; <paramref name="status"/> filters.</summary>
    public Task<DeliveryPage> ListDeliveriesAsync(
        Guid subscriptionId, long? after = null, int? limit = null, string? status = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, new Query($"/api/subscriptions/{subscriptionId:D}/deliveries").Add("status", status).Add("after", after).Add("limit", limit).ToString(),
            null, ClientJson.Default.DeliveryPage, cancellationToken);

    /// <summary><c>replayDeliveries</c>: sends the subscription's events again from a feed position (202).</summary>
    public Task<ReplayStarted> ReplayDeliveriesAsync(Guid subscriptionId, ReplayRequest body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/subscriptions/{subscriptionId:D}/replay", Json(body, ClientJson.Default.ReplayRequest),
            ClientJson.Default.ReplayStarted, cancellationToken);

    // ---- Fallback desk ----------------------------------------------------------------------------------------

    /// <summary><c>listDeskEntries</c>.</summary>
    public Task<PageOf<DeskEntry>> ListDeskEntriesAsync(DeskEntryQuery? query = null, CancellationToken cancellationToken = default)
    {
        var path = new Query("/api/fallback-desk/cases");
        if (query is not null)
        {
            path.Add("status", query.Status).Add("source", query.Source).Add("overdue", query.Overdue).Add("page", query.Page).Add("pageSize", query.PageSize);
        }
        return SendAsync(HttpMethod.Get, path.ToString(), null, ClientJson.Default.PageOfDeskEntry, cancellationToken);
    }

    /// <summary><c>fileDeskRequest</c>: an applicant's own 办不成事 request.</summary>
    public Task<Written<DeskEntry>> FileDeskRequestAsync(FileDeskRequest body, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        WriteAsync(HttpMethod.Post, "/api/fallback-desk/cases", Json(body, ClientJson.Default.FileDeskRequest), idempotencyKey,
            ClientJson.Default.DeskEntry, cancellationToken);

    /// <summary><c>resolveDeskEntry</c>.</summary>
    public async Task<DeskResolution> ResolveDeskEntryAsync(string entryId, ResolveDeskEntryRequest body, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Post, new Query("/api/fallback-desk/cases/", entryId, "/resolve").ToString(),
            Json(body, ClientJson.Default.ResolveDeskEntryRequest), ClientJson.Default.JsonElement, cancellationToken).ConfigureAwait(false);
        // A deadline's or a rating's entry resolves on its case, which answers; an applicant's request answers the entry.
        return answer.TryGetProperty("entryId", out _)
            ? new DeskResolution(null, answer.Deserialize(ClientJson.Default.DeskEntry))
            : new DeskResolution(answer.Deserialize(ClientJson.Default.CaseView), null);
    }

    // ---- Ops --------------------------------------------------------------------------------------------------

    /// <summary><c>getCluster</c>.</summary>
    public Task<ClusterView> GetClusterAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "/api/ops/cluster", null, ClientJson.Default.ClusterView, cancellationToken);

    /// <summary><c>getStatistics</c>.</summary>
    public Task<StatisticsReport> GetStatisticsAsync(StatisticsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var path = new Query("/api/ops/statistics");
        if (query is not null)
        {
            path.Add("groupBy", query.GroupBy).Add("from", query.From).Add("to", query.To).Add("item", query.Item).Add("region", query.Region)
                .Add("department", query.Department);
        }
        return SendAsync(HttpMethod.Get, path.ToString(), null, ClientJson.Default.StatisticsReport, cancellationToken);
    }

    /// <summary><c>getDepartmentStatistics</c>.</summary>
    public Task<IReadOnlyList<DepartmentStatistics>> GetDepartmentStatisticsAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "/api/ops/statistics/departments", null, ClientJson.Default.IReadOnlyListDepartmentStatistics, cancellationToken);

    /// <summary><c>searchCases</c>.</summary>
    public Task<CaseSearchPage> SearchCasesAsync(CaseSearchQuery? query = null, CancellationToken cancellationToken = default)
    {
        var path = new Query("/api/ops/cases");
        if (query is not null)
        {
            path.Add("item", query.Item).Add("region", query.Region).Add("status", query.Status?.ToString()).Add("department", query.Department)
                .Add("overdue", query.Overdue).Add("warning", query.Warning).Add("submittedFrom", query.SubmittedFrom)
                .Add("submittedTo", query.SubmittedTo).Add("limit", query.Limit).Add("cursor", query.Cursor);
        }
        return SendAsync(HttpMethod.Get, path.ToString(), null, ClientJson.Default.CaseSearchPage, cancellationToken);
    }

    // ---- Plumbing ---------------------------------------------------------------------------------------------

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        if (_authorization is not null)
        {
            // Header text made once per client and added unparsed: no header object per request.
            request.Headers.TryAddWithoutValidation("Authorization", _authorization);
        }
        return request;
    }

    private static JsonContent Json<T>(T body, JsonTypeInfo<T> type) =>
        JsonContent.Create(body, (JsonTypeInfo<T>)WriteOptions.GetTypeInfo(type.Type), JsonMediaType);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = Request(method, path, content);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, type, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Written<T>> WriteAsync<T>(
        HttpMethod method, string path, HttpContent content, string? idempotencyKey, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = Request(method, path, content);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        var value = await ReadAsync(response, type, cancellationToken).ConfigureAwait(false);
        return new Written<T>(value, response.StatusCode == HttpStatusCode.Created, response.Headers.Location);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException($"The API answered null where a {typeof(T).Name} was expected.");
        }
    }

    private static async Task EnsureSuccessAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        Problem? problem = null;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ClientJson.Default.Problem, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Not a problem document after all (a proxy's error page); the status alone is reported.
            }
        }
        var retryAfter = response.Headers.RetryAfter is { } header
            ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        throw new OneThingApiException(response.StatusCode, request.Method.Method, request.RequestUri?.OriginalString ?? "", problem, retryAfter);
    }

    /// <summary>A path with escaped segments and a query string of the parameters that are set.</summary>
    private sealed class Query
    {
        private readonly StringBuilder _text = new(96);
        private char _separator = '?';

        public Query(string path) => _text.Append(path);

        public Query(string prefix, string segment, string suffix = "")
        {
            ArgumentException.ThrowIfNullOrEmpty(segment);
            _text.Append(prefix).Append(Uri.EscapeDataString(segment)).Append(suffix);
        }

        public Query Add(string name, string? value)
        {
            if (value is not null)
            {
                _text.Append(_separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                _separator = '&';
            }
            return this;
        }

        public Query Add(string name, long? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

        public Query Add(string name, bool? value) => Add(name, value is null ? null : value.Value ? "true" : "false");

        public Query Add(string name, DateOnly? value) => Add(name, value?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

        public override string ToString() => _text.ToString();
    }
}
