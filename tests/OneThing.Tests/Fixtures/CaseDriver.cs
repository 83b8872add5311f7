using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneThing.Client;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Common;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Drives the HTTP API as its users do, through <see cref="OneThingClient"/>: a portal submitting and reading cases,
/// departments working their tasks. The helpers that answer <see cref="JsonElement"/> give the document the API wrote
/// (the client's typed value in the API's own JSON style), for tests that read it as JSON; <see cref="Portal"/>,
/// <see cref="Department"/>, <see cref="SubmitAsync"/> and <see cref="PostAsync"/> stay raw HTTP for requests made
/// by hand, wrong ones included.
/// </summary>
public sealed class CaseDriver(OneThingApiFactory api)
{
    private readonly HttpClient _portal = api.CreateClient("test-portal");
    /// <summary>One client per department, shared by tests that drive cases from several threads at once.</summary>
    private readonly ConcurrentDictionary<string, HttpClient> _departments = new(StringComparer.Ordinal);

    /// <summary>The item definition each case runs, by case id: it never changes for a case.</summary>
    private readonly ConcurrentDictionary<string, CatalogItem> _itemOfCase = new(StringComparer.Ordinal);

    public HttpClient Portal => _portal;

    /// <summary>The portal's typed client.</summary>
    public OneThingClient Client => new(_portal);

    public HttpClient Department(string code) => _departments.GetOrAdd(code, department => api.CreateClient(OneThingApiFactory.KeyOf(department)));

    /// <summary>A department's typed client.</summary>
    public OneThingClient ClientOf(string department) => new(Department(department));

    /// <summary>The item as it applies in <paramref name="region"/> (the national base without one), newest or <paramref name="version"/>.</summary>
    public async Task<JsonElement> ItemAsync(string code, string? region = null, int? version = null) =>
        AsJson(await Client.GetItemAsync(code, region, version));

    /// <summary>The definition a case runs: its item code, variant and version, as the case reports them.</summary>
    public async Task<JsonElement> ItemOfCaseAsync(string caseId) => AsJson(await CatalogItemOfCaseAsync(caseId));

    /// <summary>A valid application for any item: every form field filled by type, every material attached.</summary>
    public static JsonObject SampleApplication(JsonElement item, int seed, bool allOptionalMatters = true) =>
        JsonSerializer.SerializeToNode(SampleRequest(item.Deserialize(ClientJson.Default.CatalogItem)!, seed, allOptionalMatters),
            ClientJson.Default.SubmitCaseRequest)!.AsObject();

    /// <summary>A valid application for any item: every form field filled by type, every material attached.</summary>
    public static SubmitCaseRequest SampleRequest(CatalogItem item, int seed, bool allOptionalMatters = true)
    {
        ArgumentNullException.ThrowIfNull(item);
        var form = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var field in item.Form)
        {
            form[field.Name] = field.Type switch
            {
                "date" => Value("2026-01-15"),
                "integer" => JsonSerializer.SerializeToElement(12, ClientJson.Default.Int32),
                "boolean" => JsonSerializer.SerializeToElement(true, ClientJson.Default.Boolean),
                "idNumber" => Value(TestIdentities.IdNumber(seed + 1)),
                "creditCode" => Value(TestIdentities.CreditCode(seed + 1)),
                "phone" => Value(TestIdentities.Phone),
                "enum" => Value(field.Options![0]),
                _ => Value($"测试{field.Name}"),
            };
        }
        var enterprise = item.Audience == "enterprise";
        return new SubmitCaseRequest
        {
            ItemCode = item.Code,
            Channel = Channel.Online,
            Applicant = enterprise
                ? new ApplicantInput { Kind = ApplicantKind.Enterprise, Name = "重庆测试餐饮有限公司", CreditCode = TestIdentities.CreditCode(seed), Phone = TestIdentities.Phone }
                : new ApplicantInput { Kind = ApplicantKind.Person, Name = "张三", IdNumber = TestIdentities.IdNumber(seed), Phone = TestIdentities.Phone },
            Form = form,
            Materials = [.. item.Materials.Select(material => new MaterialInput
            {
                Code = material.Code,
                Uri = $"https://files.example.gov.cn/{seed}/{material.Code}.pdf",
                Sha256 = new string('a', 64),
            })],
            OptionalMatters = allOptionalMatters ? [.. item.Matters.Where(m => m.Optional).Select(m => m.Code)] : [],
            Delivery = new DeliveryInput { Method = DeliveryMethod.Mail, Address = "重庆市渝中区测试路1号" },
        };

        static JsonElement Value(string text) => JsonSerializer.SerializeToElement(text, ClientJson.Default.String);
    }

    /// <summary>Submits an application made by hand (a wrong one too): the status and the body as the API answered.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SubmitAsync(JsonObject application, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/cases") { Content = JsonContent.Create(application) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        using var response = await _portal.SendAsync(request);
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>Submits a complete application for the item as it applies in <paramref name="region"/>, filed there.</summary>
    public async Task<JsonElement> SubmitNewAsync(string itemCode, int seed, string? region = null) =>
        AsJson(await SubmitNewCaseAsync(itemCode, seed, region));

    /// <summary>Submits a complete application for the item as it applies in <paramref name="region"/>, filed there.</summary>
    public async Task<CaseView> SubmitNewCaseAsync(string itemCode, int seed, string? region = null)
    {
        var application = SampleRequest(await Client.GetItemAsync(itemCode, region), seed) with { Region = region };
        var submitted = await Client.SubmitCaseAsync(application);
        Assert.True(submitted.Created, $"submit {itemCode} ({region ?? "no region"}) answered 200, not 201: {submitted.Value.CaseId}");
        return submitted.Value;
    }

    public async Task<JsonElement> CaseAsync(string caseId) => AsJson(await Client.GetCaseAsync(caseId));

    /// <summary>The case's events as its applicant reads them, oldest first.</summary>
    public async Task<List<JsonElement>> CaseEventsAsync(string caseId) =>
        [.. (await Client.ListCaseEventsAsync(caseId, limit: 1000)).Items.Select(AsJson)];

    public static JsonElement TaskOf(JsonElement caseView, string matterCode) =>
        caseView.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("matterCode").GetString() == matterCode);

    /// <summary>A request made by hand (a wrong one too): the status and the body as the API answered.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, object? body = null)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), body is null ? null : JsonContent.Create(body));
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>Outputs a department would produce for a task: every declared output, nothing else.</summary>
    public static async Task<Dictionary<string, string>> OutputsForAsync(CaseDriver driver, JsonElement task)
    {
        ArgumentNullException.ThrowIfNull(driver);
        return await driver.OutputsForAsync(task.Deserialize(ClientJson.Default.TaskView)!);
    }

    /// <summary>Outputs a department would produce for a task: every declared output, nothing else.</summary>
    public async Task<Dictionary<string, string>> OutputsForAsync(TaskView task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var item = await CatalogItemOfCaseAsync(task.CaseId);
        var matter = item.Matters.Single(m => m.Code == task.MatterCode);
        return matter.Outputs.ToDictionary(output => output, output => $"{output}-{task.CaseId}", StringComparer.Ordinal);
    }

    /// <summary>The department accepts, then completes, one task.</summary>
    public async Task<JsonElement> WorkAsync(JsonElement task) => AsJson(await WorkAsync(task.Deserialize(ClientJson.Default.TaskView)!));

    /// <summary>The department accepts, then completes, one task.</summary>
    public async Task<TaskView> WorkAsync(TaskView task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var department = ClientOf(task.Department);
        await department.AcceptTaskAsync(task.TaskId);
        return await department.CompleteTaskAsync(task.TaskId, await OutputsForAsync(task));
    }

    /// <summary>Every department works its Ready tasks, round after round, until the case ends.</summary>
    public async Task<JsonElement> RunToEndAsync(string caseId) => AsJson(await RunCaseToEndAsync(caseId));

    /// <summary>Every department works its Ready tasks, round after round, until the case ends.</summary>
    public async Task<CaseView> RunCaseToEndAsync(string caseId)
    {
        for (var round = 0; round < 50; round++)
        {
            var view = await Client.GetCaseAsync(caseId);
            if (view.Status is not (CaseStatus.InProgress or CaseStatus.AwaitingSupplement))
            {
                return view;
            }
            var ready = view.Tasks.Where(t => t.Status == DepartmentTaskStatus.Ready).ToList();
            Assert.True(ready.Count > 0, $"case {caseId} is {view.Status} with no Ready task");
            foreach (var task in ready)
            {
                await WorkAsync(task);
            }
        }
        throw new InvalidOperationException($"case {caseId} did not end in 50 rounds");
    }

    /// <summary>A value as the API writes it (its own JSON style), for tests that read the answer as JSON.</summary>
    public static JsonElement AsJson<T>(T value) => JsonSerializer.SerializeToElement(value, ViewJson.Options);

    private async Task<CatalogItem> CatalogItemOfCaseAsync(string caseId)
    {
        if (!_itemOfCase.TryGetValue(caseId, out var item))
        {
            var view = await Client.GetCaseAsync(caseId);
            item = await Client.GetItemAsync(view.ItemCode, view.ItemRegion, view.ItemVersion);
            _itemOfCase[caseId] = item;
        }
        return item;
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
