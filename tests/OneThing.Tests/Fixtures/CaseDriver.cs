using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Drives the HTTP API as its users do: a portal submitting and reading cases, departments working their tasks.
/// </summary>
public sealed class CaseDriver(OneThingApiFactory api)
{
    private readonly HttpClient _portal = api.CreateClient("test-portal");
    /// <summary>One client per department, shared by tests that drive cases from several threads at once.</summary>
    private readonly ConcurrentDictionary<string, HttpClient> _departments = new(StringComparer.Ordinal);

    /// <summary>The item definition each case runs, by case id: it never changes for a case.</summary>
    private readonly ConcurrentDictionary<string, JsonElement> _itemOfCase = new(StringComparer.Ordinal);

    public HttpClient Portal => _portal;

    public HttpClient Department(string code) => _departments.GetOrAdd(code, department => api.CreateClient(OneThingApiFactory.KeyOf(department)));

    /// <summary>The item as it applies in <paramref name="region"/> (the national base without one), newest or <paramref name="version"/>.</summary>
    public async Task<JsonElement> ItemAsync(string code, string? region = null, int? version = null)
    {
        var query = string.Join("&", new[] { region is null ? null : $"region={region}", version is null ? null : $"version={version}" }.OfType<string>());
        return await _portal.GetFromJsonAsync<JsonElement>(new Uri(query.Length == 0 ? $"/api/items/{code}" : $"/api/items/{code}?{query}", UriKind.Relative));
    }

    /// <summary>The definition a case runs: its item code, variant and version, as the case reports them.</summary>
    public async Task<JsonElement> ItemOfCaseAsync(string caseId)
    {
        if (!_itemOfCase.TryGetValue(caseId, out var item))
        {
            var view = await CaseAsync(caseId);
            var region = view.GetProperty("itemRegion") is { ValueKind: JsonValueKind.String } variant ? variant.GetString() : null;
            item = await ItemAsync(view.GetProperty("itemCode").GetString()!, region, view.GetProperty("itemVersion").GetInt32());
            _itemOfCase[caseId] = item;
        }
        return item;
    }

    /// <summary>A valid application for any item: every form field filled by type, every material attached.</summary>
    public static JsonObject SampleApplication(JsonElement item, int seed, bool allOptionalMatters = true)
    {
        var form = new JsonObject();
        foreach (var field in item.GetProperty("form").EnumerateArray())
        {
            form[field.GetProperty("name").GetString()!] = field.GetProperty("type").GetString() switch
            {
                "date" => "2026-01-15",
                "integer" => 12,
                "boolean" => true,
                "idNumber" => TestIdentities.IdNumber(seed + 1),
                "creditCode" => TestIdentities.CreditCode(seed + 1),
                "phone" => TestIdentities.Phone,
                "enum" => field.GetProperty("options")[0].GetString(),
                _ => $"测试{field.GetProperty("name").GetString()}",
            };
        }
        var materials = new JsonArray();
        foreach (var material in item.GetProperty("materials").EnumerateArray())
        {
            materials.Add(new JsonObject
            {
                ["code"] = material.GetProperty("code").GetString(),
                ["uri"] = $"https://files.example.gov.cn/{seed}/{material.GetProperty("code").GetString()}.pdf",
                ["sha256"] = new string('a', 64),
            });
        }
        var optional = new JsonArray();
        if (allOptionalMatters)
        {
            foreach (var matter in item.GetProperty("matters").EnumerateArray().Where(m => m.GetProperty("optional").GetBoolean()))
            {
                optional.Add(matter.GetProperty("code").GetString());
            }
        }
        var enterprise = item.GetProperty("audience").GetString() == "enterprise";
        return new JsonObject
        {
            ["itemCode"] = item.GetProperty("code").GetString(),
            ["channel"] = "online",
            ["applicant"] = enterprise
                ? new JsonObject { ["kind"] = "enterprise", ["name"] = "重庆测试餐饮有限公司", ["creditCode"] = TestIdentities.CreditCode(seed), ["phone"] = TestIdentities.Phone }
                : new JsonObject { ["kind"] = "person", ["name"] = "张三", ["idNumber"] = TestIdentities.IdNumber(seed), ["phone"] = TestIdentities.Phone },
            ["form"] = form,
            ["materials"] = materials,
            ["optionalMatters"] = optional,
            ["delivery"] = new JsonObject { ["method"] = "mail", ["address"] = "重庆市渝中区测试路1号" },
        };
    }

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
    public async Task<JsonElement> SubmitNewAsync(string itemCode, int seed, string? region = null)
    {
        var application = SampleApplication(await ItemAsync(itemCode, region), seed);
        if (region is not null)
        {
            application["region"] = region;
        }
        var (status, body) = await SubmitAsync(application);
        Assert.True(status == HttpStatusCode.Created, $"submit {itemCode} ({region ?? "no region"}) answered {status}: {body}");
        return body;
    }

    public async Task<JsonElement> CaseAsync(string caseId) =>
        await _portal.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{caseId}", UriKind.Relative));

    /// <summary>The case's events as its applicant reads them, oldest first.</summary>
    public async Task<List<JsonElement>> CaseEventsAsync(string caseId)
    {
        var response = await _portal.GetAsync($"/api/cases/{caseId}/events?limit=1000");
        Assert.True(response.IsSuccessStatusCode, $"events of {caseId} answered {response.StatusCode}");
        return [.. JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync()).GetProperty("items").EnumerateArray()];
    }

    public static JsonElement TaskOf(JsonElement caseView, string matterCode) =>
        caseView.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("matterCode").GetString() == matterCode);

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, object? body = null)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), body is null ? null : JsonContent.Create(body));
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>Outputs a department would produce for a task: every declared output, nothing else.</summary>
    public static async Task<Dictionary<string, string>> OutputsForAsync(CaseDriver driver, JsonElement task)
    {
        var item = await driver.ItemOfCaseAsync(task.GetProperty("caseId").GetString()!);
        var matter = item.GetProperty("matters").EnumerateArray().Single(m => m.GetProperty("code").GetString() == task.GetProperty("matterCode").GetString());
        return matter.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetString()!, o => $"{o.GetString()}-{task.GetProperty("caseId").GetString()}");
    }

    /// <summary>The department accepts, then completes, one task.</summary>
    public async Task<JsonElement> WorkAsync(JsonElement task)
    {
        var department = Department(task.GetProperty("department").GetString()!);
        var taskId = task.GetProperty("taskId").GetString();
        var (accepted, acceptBody) = await PostAsync(department, $"/api/tasks/{taskId}/accept");
        Assert.True(accepted == HttpStatusCode.OK, $"accept {taskId} answered {accepted}: {acceptBody}");
        var (completed, body) = await PostAsync(department, $"/api/tasks/{taskId}/complete", new { outputs = await OutputsForAsync(this, task) });
        Assert.True(completed == HttpStatusCode.OK, $"complete {taskId} answered {completed}: {body}");
        return body;
    }

    /// <summary>Every department works its Ready tasks, round after round, until the case ends.</summary>
    public async Task<JsonElement> RunToEndAsync(string caseId)
    {
        for (var round = 0; round < 50; round++)
        {
            var view = await CaseAsync(caseId);
            if (view.GetProperty("status").GetString() is not ("InProgress" or "AwaitingSupplement"))
            {
                return view;
            }
            var ready = view.GetProperty("tasks").EnumerateArray().Where(t => t.GetProperty("status").GetString() == "Ready").ToList();
            Assert.True(ready.Count > 0, $"case {caseId} is {view.GetProperty("status")} with no Ready task: {view}");
            foreach (var task in ready)
            {
                await WorkAsync(task);
            }
        }
        throw new InvalidOperationException($"case {caseId} did not end in 50 rounds");
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
