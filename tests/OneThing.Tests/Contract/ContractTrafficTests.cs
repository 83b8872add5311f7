using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Webhooks;

namespace OneThing.Tests.Contract;

/// <summary>
/// Whole lifecycles through every operation of the OpenAPI document, the errors included, each exchange checked against
/// the document by <see cref="OpenApiContract"/>: a status the operation does not declare, or a body that does not
/// validate against its schema, fails the test, and so does an operation the traffic never reached.
/// </summary>
[Collection(WebhookClusterCollection.Name)]
public sealed class ContractTrafficTests(WebhookClusterFixture fixture) : IAsyncLifetime
{
    private static int _seed = 990_000;
    private OneThingApiFactory _api = null!;
    private OpenApiContract _contract = null!;
    private CaseDriver _driver = null!;

    public async Task InitializeAsync()
    {
        (_api, _contract) = await OpenApiContract.StartCheckedApiAsync(fixture);
        _driver = new CaseDriver(_api);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task EveryOperationAnswersAsTheDocumentSays()
    {
        using var anonymous = _api.CreateClient(apiKey: null);
        using var ops = _api.CreateClient("test-ops");
        var portal = _driver.Portal;
        await using var receiver = await TestReceiver.StartAsync();

        // Anonymous reads: health, metrics, the catalog.
        await ExpectAsync(anonymous, HttpMethod.Get, "/health/live", HttpStatusCode.OK);
        await ExpectAsync(anonymous, HttpMethod.Get, "/health/ready", HttpStatusCode.OK);
        await ExpectAsync(anonymous, HttpMethod.Get, "/metrics", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, "/api/items", HttpStatusCode.OK);
        var item = await ExpectAsync(portal, HttpMethod.Get, "/api/items/retirement", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, "/api/items/retirement/form-schema", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, "/api/items/no-such-item", HttpStatusCode.NotFound);
        await ExpectAsync(portal, HttpMethod.Get, "/api/departments", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, "/api/calendar/2026", HttpStatusCode.OK);

        // Ops publish: a calendar year and an item version (again: the same version, 200).
        var year = new { holidays = Array.Empty<string>(), workingWeekends = Array.Empty<string>() };
        await ExpectAsync(ops, HttpMethod.Put, "/api/calendar/2035", HttpStatusCode.Created, year);
        await ExpectAsync(ops, HttpMethod.Put, "/api/calendar/2035", HttpStatusCode.OK, year);
        await ExpectAsync(portal, HttpMethod.Put, "/api/calendar/2035", HttpStatusCode.Forbidden, year);
        var published = JsonNode.Parse(item.GetRawText())!.AsObject();
        published["name"] = "退休一件事（契约测试）";
        var (_, version) = await SendAsync(ops, HttpMethod.Put, "/api/items/retirement", published);
        await ExpectAsync(ops, HttpMethod.Put, "/api/items/retirement", HttpStatusCode.OK, published);
        Assert.True(version.TryGetProperty("version", out _), $"publishing answered {version}");

        // A subscription to every event, so that deliveries exist to list.
        var (created, subscription) = await SendAsync(ops, HttpMethod.Post, "/api/subscriptions", new { url = receiver.Url, events = new[] { "*" }, description = "契约测试" });
        Assert.Equal(HttpStatusCode.Created, created);
        var subscriptionId = subscription.GetProperty("subscriptionId").GetString();

        // A case from submission to its end, with a supplement round on the way.
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("retirement"), Interlocked.Increment(ref _seed));
        var idempotencyKey = $"contract-{Guid.NewGuid():N}";
        var submitted = await ExpectAsync(portal, HttpMethod.Post, "/api/cases", HttpStatusCode.Created, application, idempotencyKey);
        await ExpectAsync(portal, HttpMethod.Post, "/api/cases", HttpStatusCode.OK, application, idempotencyKey);
        var other = CaseDriver.SampleApplication(await _driver.ItemAsync("retirement"), Interlocked.Increment(ref _seed));
        await ExpectAsync(portal, HttpMethod.Post, "/api/cases", HttpStatusCode.Conflict, other, idempotencyKey);
        var caseId = submitted.GetProperty("caseId").GetString()!;
        var applicantId = application["applicant"]!["idNumber"]!.GetValue<string>();

        using (var conditional = new HttpRequestMessage(HttpMethod.Get, $"/api/cases/{caseId}"))
        {
            var (_, _, etag) = await SendRawAsync(portal, HttpMethod.Get, $"/api/cases/{caseId}");
            conditional.Headers.IfNoneMatch.Add(etag!);
            using var notModified = await portal.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }
        await ExpectAsync(portal, HttpMethod.Get, $"/api/cases?applicant={applicantId}", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, $"/api/cases/{caseId}/events", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, "/api/cases/cnosuchcaseatall0000000000", HttpStatusCode.NotFound);
        // The public progress view: the right last 6 characters; a wrong pair and a missing case answer alike.
        var progress = await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{caseId}/progress", HttpStatusCode.OK, new { idNumberLast6 = applicantId[^6..] });
        Assert.False(progress.TryGetProperty("applicant", out _), $"the progress view carries the applicant: {progress}");
        await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{caseId}/progress", HttpStatusCode.NotFound,
            new { idNumberLast6 = applicantId[^6..] == "000000" ? "000001" : "000000" });
        await ExpectAsync(portal, HttpMethod.Post, "/api/cases/cnosuchcaseatall0000000000/progress", HttpStatusCode.NotFound, new { idNumberLast6 = "000000" });
        await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{caseId}/progress", HttpStatusCode.BadRequest, new { idNumberLast6 = "12" }, deliberate: true);
        await ExpectAsync(ops, HttpMethod.Post, $"/api/cases/{caseId}/progress", HttpStatusCode.Forbidden, new { idNumberLast6 = "000000" });

        var view = await _driver.CaseAsync(caseId);
        var first = view.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready");
        var department = _driver.Department(first.GetProperty("department").GetString()!);
        var departmentCode = first.GetProperty("department").GetString()!;
        var taskId = first.GetProperty("taskId").GetString()!;
        await ExpectAsync(department, HttpMethod.Get, $"/api/departments/{departmentCode}/tasks", HttpStatusCode.OK);
        await ExpectAsync(department, HttpMethod.Get, $"/api/departments/{departmentCode}/tasks?status=Ready&limit=5", HttpStatusCode.OK);
        await ExpectAsync(department, HttpMethod.Get, $"/api/tasks/{taskId}", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, $"/api/tasks/{taskId}", HttpStatusCode.Forbidden);
        await ExpectAsync(department, HttpMethod.Post, $"/api/tasks/{taskId}/accept", HttpStatusCode.OK);
        var material = (await _driver.ItemAsync("retirement")).GetProperty("materials")[0].GetProperty("code").GetString()!;
        await ExpectAsync(department, HttpMethod.Post, $"/api/tasks/{taskId}/supplement-requests", HttpStatusCode.OK,
            new { materials = new[] { material }, note = "请补充清晰扫描件" });
        await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{caseId}/supplements", HttpStatusCode.OK,
            new { materials = new[] { new { code = material, uri = "https://files.example.gov.cn/m/1.pdf" } } });
        await _driver.RunToEndAsync(caseId);
        await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{caseId}/evaluation", HttpStatusCode.OK, new { rating = 2, comment = "等待太久" });
        await ExpectAsync(portal, HttpMethod.Get, $"/api/cases/{caseId}/access-log", HttpStatusCode.OK);

        // A second case: withdrawn; a third: a task rejected.
        var withdrawn = (await ExpectAsync(portal, HttpMethod.Post, "/api/cases", HttpStatusCode.Created,
            CaseDriver.SampleApplication(await _driver.ItemAsync("retirement"), Interlocked.Increment(ref _seed)))).GetProperty("caseId").GetString();
        await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{withdrawn}/withdraw", HttpStatusCode.OK, new { reason = "不再需要" });
        var rejected = await ExpectAsync(portal, HttpMethod.Post, "/api/cases", HttpStatusCode.Created,
            CaseDriver.SampleApplication(await _driver.ItemAsync("retirement"), Interlocked.Increment(ref _seed)));
        var toReject = rejected.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready");
        await ExpectAsync(_driver.Department(toReject.GetProperty("department").GetString()!), HttpMethod.Post,
            $"/api/tasks/{toReject.GetProperty("taskId").GetString()}/reject", HttpStatusCode.OK, new { reason = "不符合条件" });

        // Ops: the cluster, statistics, search, the feed, the desk, the subscription's life.
        await ExpectAsync(ops, HttpMethod.Get, "/api/ops/cluster", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Get, "/api/ops/statistics?groupBy=department", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Get, "/api/ops/statistics?groupBy=weekday", HttpStatusCode.BadRequest);
        await ExpectAsync(ops, HttpMethod.Get, "/api/ops/statistics/departments", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Get, "/api/ops/cases?item=retirement&limit=5", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Get, "/api/events?limit=5", HttpStatusCode.OK);
        await ExpectAsync(portal, HttpMethod.Get, "/api/ops/cases", HttpStatusCode.Forbidden);
        var (filed, entry) = await SendAsync(portal, HttpMethod.Post, "/api/fallback-desk/cases",
            new { caseId, applicant = application["applicant"], description = "退休手续办不成" });
        Assert.Equal(HttpStatusCode.Created, filed);
        await ExpectAsync(ops, HttpMethod.Get, "/api/fallback-desk/cases?source=applicant", HttpStatusCode.OK);
        var entryId = entry.GetProperty("entryId").GetString();
        await ExpectAsync(ops, HttpMethod.Post, $"/api/fallback-desk/cases/{entryId}/resolve", HttpStatusCode.OK, new { resolution = "已电话回访", resolvedBy = "窗口 王丽" });
        await ExpectAsync(ops, HttpMethod.Post, $"/api/fallback-desk/cases/{entryId}/resolve", HttpStatusCode.Conflict, new { resolution = "另一答复" });

        await ExpectAsync(ops, HttpMethod.Get, "/api/subscriptions", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Get, $"/api/subscriptions/{subscriptionId}", HttpStatusCode.OK);
        await Poll.UntilAsync(() => Task.FromResult(receiver.Delivered.Count), count => count > 0, TimeSpan.FromSeconds(60), "no event reached the receiver within 60 s");
        await ExpectAsync(ops, HttpMethod.Get, $"/api/subscriptions/{subscriptionId}/deliveries?status=delivered", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Post, $"/api/subscriptions/{subscriptionId}/secret", HttpStatusCode.OK);
        await ExpectAsync(ops, HttpMethod.Post, $"/api/subscriptions/{subscriptionId}/replay", HttpStatusCode.Accepted, new { fromPosition = 0 });
        await ExpectAsync(ops, HttpMethod.Delete, $"/api/subscriptions/{subscriptionId}", HttpStatusCode.NoContent);
        await ExpectAsync(ops, HttpMethod.Get, $"/api/subscriptions/{subscriptionId}", HttpStatusCode.NotFound);

        // Refusals: no key, a wrong key's role, a wrong content type, a body the schema refuses.
        await ExpectAsync(anonymous, HttpMethod.Get, $"/api/cases/{caseId}", HttpStatusCode.Unauthorized);
        await ExpectAsync(ops, HttpMethod.Post, "/api/cases", HttpStatusCode.Forbidden, application);
        using (var text = new HttpRequestMessage(HttpMethod.Post, "/api/cases") { Content = new StringContent("{}", Encoding.UTF8, "text/plain") })
        {
            text.Options.Set(OpenApiContract.Deliberate, true);
            using var unsupported = await portal.SendAsync(text);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);
        }
        var missingName = JsonNode.Parse(application.ToJsonString())!.AsObject();
        missingName["applicant"]!.AsObject().Remove("name");
        await ExpectAsync(portal, HttpMethod.Post, "/api/cases", HttpStatusCode.BadRequest, missingName, deliberate: true);
        await ExpectAsync(portal, HttpMethod.Post, $"/api/cases/{caseId}/evaluation", HttpStatusCode.BadRequest, new { rating = 9 }, deliberate: true);
        await ExpectAsync(department, HttpMethod.Post, $"/api/tasks/{taskId}/reject", HttpStatusCode.BadRequest, new { reason = "" }, deliberate: true);

        Assert.True(_contract.Violations.Count == 0,
            $"{_contract.Violations.Count} exchange(s) differ from the OpenAPI document:\n{string.Join("\n", _contract.Violations)}");
        var missed = _contract.Operations.Where(operation => !_contract.Exercised.ContainsKey(operation)).ToList();
        Assert.True(missed.Count == 0, $"operations the traffic never reached: {string.Join(", ", missed)}");
    }

    [Fact]
    public void EveryRequestExampleOfTheDocumentMatchesItsSchema()
    {
        Assert.True(_contract.RequestExamples >= 10, $"only {_contract.RequestExamples} request examples in the document");
        var wrong = _contract.ExamplesNotMatchingTheirSchemas();
        Assert.True(wrong.Count == 0, $"examples the document's own schemas refuse:\n{string.Join("\n", wrong)}");
    }

    private async Task<JsonElement> ExpectAsync(HttpClient client, HttpMethod method, string path, HttpStatusCode expected,
        object? body = null, string? idempotencyKey = null, bool deliberate = false)
    {
        var (status, json) = await SendAsync(client, method, path, body, idempotencyKey, deliberate);
        Assert.True(status == expected, $"{method} {path} answered {(int)status}, expected {(int)expected}: {json}");
        return json;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path,
        object? body = null, string? idempotencyKey = null, bool deliberate = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        request.Options.Set(OpenApiContract.Deliberate, deliberate);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 || !(response.Content.Headers.ContentType?.MediaType?.Contains("json") ?? false)
            ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<(HttpStatusCode Status, string Body, EntityTagHeaderValue? ETag)> SendRawAsync(HttpClient client, HttpMethod method, string path)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method, new Uri(path, UriKind.Relative)));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag);
    }
}
