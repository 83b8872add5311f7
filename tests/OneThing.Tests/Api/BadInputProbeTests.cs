using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Api;

/// <summary>
/// The bad inputs an attacker (or a careless client) sends, replayed through the real HTTP API: each is a 4xx
/// problem+json naming the field or parameter, none stores anything, and no log line carries the identity number the
/// probes were made with.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class BadInputProbeTests(TwoSiloClusterFixture fixture)
{
    private const int ProbeSeed = 9_100_001;
    private const int CaseSeed = 9_100_002;

    private static readonly string[] StoredTables =
        ["onething_applicant_cases", "onething_case_changes", "onething_department_tasks", "onething_published_items", "onething_calendar_years"];

    private readonly CaseDriver _driver = new(fixture.Api);

    private sealed record Probe(string Name, string Key, HttpMethod Method, string Path, Func<HttpContent?> Content, HttpStatusCode Status, string? Field);

    /// <summary>Production hides exception details and binding messages: the answers must not depend on them.</summary>
    [Theory]
    [InlineData("Testing")]
    [InlineData("Production")]
    public async Task EveryProbeIsA4xxNamingItsFieldAndNothingIsStoredOrLogged(string environment)
    {
        await using var production = environment == "Production" ? ProductionApi() : null;
        var api = production ?? fixture.Api;
        Assert.Equal(environment, api.Services.GetRequiredService<IHostEnvironment>().EnvironmentName);
        var newborn = await _driver.ItemAsync("newborn");
        var target = (await _driver.SubmitNewAsync("newborn", CaseSeed + (environment == "Production" ? 10 : 0))).GetProperty("caseId").GetString()!;
        var task = CaseDriver.TaskOf(await _driver.CaseAsync(target), "birth-certificate").GetProperty("taskId").GetString()!;
        var targetBefore = await _driver.CaseAsync(target);
        var rowsBefore = await CountRowsAsync();
        var probeId = TestIdentities.IdNumber(ProbeSeed);

        var probes = Probes(newborn, target, task, await ItemForPublishingAsync());
        var failures = new List<string>();
        foreach (var probe in probes)
        {
            if (await RunAsync(api, probe) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {probes.Count} probes answered otherwise:\n{string.Join("\n", failures)}");
        Assert.Equal(rowsBefore, await CountRowsAsync());
        var listed = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases?applicant={probeId}", UriKind.Relative));
        Assert.Equal(0, listed.GetProperty("total").GetInt64());
        var targetAfter = await _driver.CaseAsync(target);
        Assert.Equal(targetBefore.GetProperty("status").GetString(), targetAfter.GetProperty("status").GetString());
        Assert.Equal(targetBefore.GetProperty("timeline").GetArrayLength(), targetAfter.GetProperty("timeline").GetArrayLength());
        Assert.DoesNotContain(CapturedLogs.All, line => line.Contains(probeId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithdrawStillTakesNoBodyAtAll()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", CaseSeed + 1)).GetProperty("caseId").GetString()!;

        using var response = await _driver.Portal.PostAsync(new Uri($"/api/cases/{caseId}/withdraw", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Withdrawn", (await _driver.CaseAsync(caseId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task FreeTextKeepsItsLineBreaks()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", CaseSeed + 2)).GetProperty("caseId").GetString()!;

        var (status, view) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/withdraw", new { reason = "不再办理\r\n已另行申请\t谢谢" });

        Assert.True(status == HttpStatusCode.OK, $"withdraw answered {status}: {view}");
    }

    [Fact]
    public async Task JsonWithACharsetOrAPlusJsonTypeIsAccepted()
    {
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), CaseSeed + 3);
        using var content = new StringContent(application.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/vnd.onething+json; charset=utf-8");

        using var response = await _driver.Portal.PostAsync(new Uri("/api/cases", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task TheOpenApiDocumentSaysBodiesThatAreNotJsonAre415AndQueryNumbersAreIntegers()
    {
        var document = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        foreach (var (path, method) in new[] { ("/api/cases", "post"), ("/api/tasks/{taskId}/complete", "post"), ("/api/items/{code}", "put") })
        {
            Assert.True(document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").TryGetProperty("415", out _),
                $"{method} {path} does not list 415");
        }
        foreach (var (path, parameter) in new[] { ("/api/cases", "page"), ("/api/departments/{department}/tasks", "pageSize"), ("/api/items/{code}", "version") })
        {
            var described = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()
                .Single(p => p.GetProperty("name").GetString() == parameter);
            Assert.Equal("integer", described.GetProperty("schema").GetProperty("type").GetString());
        }
    }

    private OneThingApiFactory ProductionApi() => new(fixture.ConnectionString, fixture.Cluster.Options.ClusterId, fixture.Cluster.Options.ServiceId,
        new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            // Production refuses to start without its privacy keys; these are test values.
            ["OneThing:Privacy:ApplicantIndexKey"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
            ["OneThing:Privacy:DataKey"] = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray()),
        });

    private static List<Probe> Probes(JsonElement newborn, string caseId, string taskId, JsonObject item)
    {
        var anyApplicant = TestIdentities.IdNumber(CaseSeed);
        var probeId = TestIdentities.IdNumber(ProbeSeed);
        var wrongCheckDigit = probeId[..17] + (probeId[17] == '0' ? '1' : '0');
        var longText = new string('x', 900_000);
        const string Portal = "test-portal";
        const string Ops = "test-ops";
        const string Health = "test-health";
        var get = HttpMethod.Get;
        var post = HttpMethod.Post;
        var put = HttpMethod.Put;
        var bad = HttpStatusCode.BadRequest;
        var unsupported = HttpStatusCode.UnsupportedMediaType;

        JsonObject Application() => CaseDriver.SampleApplication(newborn, ProbeSeed);

        JsonObject With(Action<JsonObject> change)
        {
            var application = Application();
            change(application);
            return application;
        }

        Func<HttpContent?> Submit(JsonObject application) => () => Json(application.ToJsonString());

        // A placeholder in the serialized application replaced by text no serializer would write.
        Func<HttpContent?> Spliced(Action<JsonObject, string> place, string replacement)
        {
            const string Marker = "PROBE-MARKER";
            var application = Application();
            place(application, Marker);
            var text = application.ToJsonString().Replace(Marker, replacement, StringComparison.Ordinal);
            return () => Json(text);
        }

        Func<HttpContent?> SplicedBytes(Action<JsonObject, string> place, byte[] bytes)
        {
            const string Marker = "PROBE-MARKER";
            var application = Application();
            place(application, Marker);
            var text = application.ToJsonString();
            var at = text.IndexOf(Marker, StringComparison.Ordinal);
            byte[] body = [.. Encoding.UTF8.GetBytes(text[..at]), .. bytes, .. Encoding.UTF8.GetBytes(text[(at + Marker.Length)..])];
            return () => Bytes(body, "application/json");
        }

        var duplicateIdNumber = Application().ToJsonString().Replace(
            $"\"idNumber\":\"{probeId}\"", $"\"idNumber\":\"{wrongCheckDigit}\",\"idNumber\":\"{probeId}\"", StringComparison.Ordinal);
        var itemWithLongName = (JsonObject)item.DeepClone();
        itemWithLongName["name"] = new string('x', 340_000);
        var itemWithUnknown = (JsonObject)item.DeepClone();
        itemWithUnknown["colour"] = "red";
        var outputs = new { outputs = new { birthCertificateNumber = "X" }, signedBy = "someone" };

        return
        [
            // Query parameters
            new("page=abc", Portal, get, $"/api/cases?applicant={anyApplicant}&page=abc", NoBody, bad, "page"),
            new("page=2147483648", Portal, get, $"/api/cases?applicant={anyApplicant}&page=2147483648", NoBody, bad, "page"),
            new("OFFSET overflow", Portal, get, $"/api/cases?applicant={anyApplicant}&page=2147483647&pageSize=100", NoBody, bad, "page"),
            new("pageSize=0", Portal, get, $"/api/cases?applicant={anyApplicant}&pageSize=0", NoBody, bad, "pageSize"),
            new("pageSize=-5", Portal, get, $"/api/cases?applicant={anyApplicant}&pageSize=-5", NoBody, bad, "pageSize"),
            new("version overflow", Portal, get, "/api/items/newborn?version=99999999999", NoBody, bad, "version"),
            new("version=abc", Portal, get, "/api/items/newborn?version=abc", NoBody, bad, "version"),
            new("status=Nope", Health, get, "/api/departments/health/tasks?status=Nope", NoBody, bad, "status"),
            new("status as a number", Health, get, "/api/departments/health/tasks?status=1", NoBody, bad, "status"),
            new("inbox page=abc", Health, get, "/api/departments/health/tasks?page=abc", NoBody, bad, "page"),
            new("inbox OFFSET overflow", Health, get, "/api/departments/health/tasks?page=2147483647&pageSize=100", NoBody, bad, "page"),
            new("fallback desk page=0", Ops, get, "/api/fallback-desk/cases?page=0", NoBody, bad, "page"),
            new("fallback desk pageSize=2147483648", Ops, get, "/api/fallback-desk/cases?pageSize=2147483648", NoBody, bad, "pageSize"),

            // Route values: ids no case, task or item can have are simply not found (nothing to name but the route)
            new("control character in a case id", Portal, get, "/api/cases/c%01x", NoBody, HttpStatusCode.NotFound, null),
            new("control character in a task id", Health, get, "/api/tasks/t%01x", NoBody, HttpStatusCode.NotFound, null),
            new("control character in an item code", Portal, get, "/api/items/new%01born", NoBody, HttpStatusCode.NotFound, null),
            new("control character in a withdrawn case id", Portal, post, "/api/cases/c%01x/withdraw", NoBody, HttpStatusCode.NotFound, null),
            new("500-character case id", Portal, get, $"/api/cases/{new string('c', 500)}", NoBody, HttpStatusCode.NotFound, null),
            new("undecodable bytes in a case id", Portal, get, "/api/cases/c%ED%A0%80x", NoBody, HttpStatusCode.NotFound, null),

            // Bytes and characters
            new("raw 0xFF", Portal, post, "/api/cases", SplicedBytes((a, m) => a["applicant"]!["name"] = m, [0xFF]), bad, "body"),
            new("overlong 0xC0 0xAF", Portal, post, "/api/cases", SplicedBytes((a, m) => a["applicant"]!["name"] = m, [0xC0, 0xAF]), bad, "body"),
            new("\\ud800 in name", Portal, post, "/api/cases", Spliced((a, m) => a["applicant"]!["name"] = m, "\\ud800"), bad, "applicant.name"),
            new("\\ud800 in form", Portal, post, "/api/cases", Spliced((a, m) => a["form"]!["babyName"] = m, "\\ud800"), bad, "form.babyName"),
            new("\\ud800 in itemCode", Portal, post, "/api/cases", Spliced((a, m) => a["itemCode"] = m, "newborn\\ud800"), bad, "itemCode"),
            new("NUL in form string", Portal, post, "/api/cases", Spliced((a, m) => a["form"]!["babyName"] = m, "a\\u0000b"), bad, "form.babyName"),
            new("line feed in name", Portal, post, "/api/cases", Spliced((a, m) => a["applicant"]!["name"] = m, "张\\n三"), bad, "applicant.name"),
            new("DEL in address", Portal, post, "/api/cases", Spliced((a, m) => a["delivery"]!["address"] = m, "\\u007f"), bad, "delivery.address"),
            new("NUL in reject reason", Health, post, $"/api/tasks/{taskId}/reject", () => Json("""{"reason":"a\u0000b"}"""), bad, "reason"),

            // Lengths and schemes
            new("900,000-character address", Portal, post, "/api/cases", Submit(With(a => a["delivery"]!["address"] = longText)), bad, "delivery.address"),
            new("900,000-character uri", Portal, post, "/api/cases", Submit(With(a => a["materials"]![0]!["uri"] = "https://files.example.gov.cn/" + longText)), bad, "materials[0].uri"),
            new("javascript: uri", Portal, post, "/api/cases", Submit(With(a => a["materials"]![0]!["uri"] = "javascript:alert(1)")), bad, "materials[0].uri"),
            new("file: uri", Portal, post, "/api/cases", Submit(With(a => a["materials"]![0]!["uri"] = "file:///etc/passwd")), bad, "materials[0].uri"),
            new("http: uri", Portal, post, "/api/cases", Submit(With(a => a["materials"]![0]!["uri"] = "http://files.example.gov.cn/a.pdf")), bad, "materials[0].uri"),
            new("supplied javascript: uri", Portal, post, $"/api/cases/{caseId}/supplements",
                () => Json("""{"materials":[{"code":"mother-id-card","uri":"javascript:alert(1)"}]}"""), bad, "materials[0].uri"),
            new("201-character applicant name", Portal, post, "/api/cases", Submit(With(a => a["applicant"]!["name"] = new string('张', 201))), bad, "applicant.name"),
            new("2001-character form string", Portal, post, "/api/cases", Submit(With(a => a["form"]!["babyName"] = new string('x', 2001))), bad, "form.babyName"),
            new("300-character item code", Ops, put, $"/api/items/{new string('a', 300)}", () => Json(item.ToJsonString()), bad, "code"),
            new("340,000-character item name", Ops, put, "/api/items/probe-item", () => Json(itemWithLongName.ToJsonString()), bad, "name"),

            // Content types
            new("text/plain", Portal, post, "/api/cases", () => Text(Application().ToJsonString(), "text/plain"), unsupported, "Content-Type"),
            new("XML", Portal, post, "/api/cases", () => Text("<application><itemCode>newborn</itemCode></application>", "application/xml"), unsupported, "Content-Type"),
            new("form-urlencoded", Portal, post, "/api/cases", () => Text("itemCode=newborn&channel=online", "application/x-www-form-urlencoded"), unsupported, "Content-Type"),
            new("no content type", Portal, post, "/api/cases", () => Bytes(Encoding.UTF8.GetBytes(Application().ToJsonString()), null), unsupported, "Content-Type"),
            new("JSON in Latin-1", Portal, post, "/api/cases", () => Text(Application().ToJsonString(), "application/json; charset=iso-8859-1"), unsupported, "Content-Type"),
            new("withdraw as text/plain", Portal, post, $"/api/cases/{caseId}/withdraw", () => Text("""{"reason":"x"}""", "text/plain"), unsupported, "Content-Type"),
            new("complete as text/plain", Health, post, $"/api/tasks/{taskId}/complete", () => Text("""{"outputs":{}}""", "text/plain"), unsupported, "Content-Type"),
            new("calendar as text/plain", Ops, put, "/api/calendar/2031", () => Text("""{"holidays":[],"workingWeekends":[]}""", "text/plain"), unsupported, "Content-Type"),
            new("item as XML", Ops, put, "/api/items/probe-item", () => Text("<item/>", "application/xml"), unsupported, "Content-Type"),

            // Duplicate, unknown and mistyped properties
            new("duplicate idNumber (bad then good)", Portal, post, "/api/cases", () => Json(duplicateIdNumber), bad, "applicant.idNumber"),
            new("duplicate top-level property", Portal, post, "/api/cases", Spliced((a, m) => a["channel"] = m, "online\",\"channel\":\"hall"), bad, "channel"),
            new("unknown top-level property", Portal, post, "/api/cases", Submit(With(a => a["nickname"] = "x")), bad, "nickname"),
            new("unknown applicant property", Portal, post, "/api/cases", Submit(With(a => a["applicant"]!["nickname"] = "x")), bad, "applicant.nickname"),
            new("unknown delivery property", Portal, post, "/api/cases", Submit(With(a => a["delivery"]!["floor"] = 3)), bad, "delivery.floor"),
            new("unknown material property", Portal, post, "/api/cases", Submit(With(a => a["materials"]![0]!["size"] = 3)), bad, "materials[0].size"),
            new("unknown deferred material property", Portal, post, "/api/cases",
                Submit(With(a => a["deferredMaterials"] = new JsonArray(new JsonObject { ["code"] = "x", ["when"] = "soon" }))), bad, "deferredMaterials[0].when"),
            new("phone as a number", Portal, post, "/api/cases", Submit(With(a => a["applicant"]!["phone"] = 13800138000)), bad, "applicant.phone"),
            new("name as an array", Portal, post, "/api/cases", Submit(With(a => a["applicant"]!["name"] = new JsonArray("张三"))), bad, "applicant.name"),
            new("channel as a number", Portal, post, "/api/cases", Submit(With(a => a["channel"] = 1)), bad, "channel"),
            new("optional matter as a number", Portal, post, "/api/cases", Submit(With(a => a["optionalMatters"] = new JsonArray(1))), bad, "optionalMatters[0]"),
            new("unknown supplements property", Portal, post, $"/api/cases/{caseId}/supplements", () => Json("""{"materials":[],"extra":1}"""), bad, "extra"),
            new("unknown withdraw property", Portal, post, $"/api/cases/{caseId}/withdraw", () => Json("""{"reason":"x","extra":1}"""), bad, "extra"),
            new("unknown evaluation property", Portal, post, $"/api/cases/{caseId}/evaluation", () => Json("""{"rating":5,"extra":1}"""), bad, "extra"),
            new("negative rating", Portal, post, $"/api/cases/{caseId}/evaluation", () => Json("""{"rating":-1}"""), bad, "rating"),
            new("rating above five", Portal, post, $"/api/cases/{caseId}/evaluation", () => Json("""{"rating":6}"""), bad, "rating"),
            new("int64-max rating", Portal, post, $"/api/cases/{caseId}/evaluation", () => Json("""{"rating":9223372036854775807}"""), bad, "rating"),
            new("rating as a string", Portal, post, $"/api/cases/{caseId}/evaluation", () => Json("""{"rating":"5"}"""), bad, "rating"),
            new("unknown complete property", Health, post, $"/api/tasks/{taskId}/complete", () => Json(JsonSerializer.Serialize(outputs)), bad, "signedBy"),
            new("unknown reject property", Health, post, $"/api/tasks/{taskId}/reject", () => Json("""{"reason":"x","extra":1}"""), bad, "extra"),
            new("unknown supplement-request property", Health, post, $"/api/tasks/{taskId}/supplement-requests",
                () => Json("""{"materials":["mother-id-card"],"extra":1}"""), bad, "extra"),
            new("supplement request material as a number", Health, post, $"/api/tasks/{taskId}/supplement-requests",
                () => Json("""{"materials":[1]}"""), bad, "materials[0]"),
            new("unknown resolve property", Ops, post, $"/api/fallback-desk/cases/{caseId}/resolve", () => Json("""{"resolution":"x","extra":1}"""), bad, "extra"),
            new("unknown item property", Ops, put, "/api/items/probe-item", () => Json(itemWithUnknown.ToJsonString()), bad, "colour"),
            new("unknown calendar property", Ops, put, "/api/calendar/2031", () => Json("""{"holidays":[],"workingWeekends":[],"extra":1}"""), bad, "extra"),
            new("duplicate calendar property", Ops, put, "/api/calendar/2031", () => Json("""{"holidays":[],"workingWeekends":[],"holidays":["2031-01-01"]}"""), bad, "holidays"),
            new("calendar date with NUL", Ops, put, "/api/calendar/2031", () => Json("""{"holidays":["2031-01-01\u0000"],"workingWeekends":[]}"""), bad, "holidays[0]"),
            // A null entry of a list reads as null into the record: each list of each body, refused before a handler sees it.
            new("null supplied material", Portal, post, $"/api/cases/{caseId}/supplements", () => Json("""{"materials":[null]}"""), bad, "materials[0]"),
            new("null requested material", Health, post, $"/api/tasks/{taskId}/supplement-requests",
                () => Json("""{"materials":["mother-id-card",null]}"""), bad, "materials[1]"),
            new("null optional matter", Portal, post, "/api/cases", Submit(With(application => application["optionalMatters"] = new JsonArray((JsonNode?)null))), bad, "optionalMatters[0]"),
            new("null subscription event", Ops, post, "/api/subscriptions",
                () => Json("""{"url":"https://hooks.example.org/x","events":[null]}"""), bad, "events[0]"),
            new("null subscription item", Ops, post, "/api/subscriptions",
                () => Json("""{"url":"https://hooks.example.org/x","events":["*"],"items":[null]}"""), bad, "items[0]"),
            new("null subscription department", Ops, post, "/api/subscriptions",
                () => Json("""{"url":"https://hooks.example.org/x","events":["*"],"departments":[null]}"""), bad, "departments[0]"),
            new("null calendar holiday", Ops, put, "/api/calendar/2031", () => Json("""{"holidays":[null],"workingWeekends":[]}"""), bad, "holidays[0]"),
            new("null calendar working weekend", Ops, put, "/api/calendar/2031", () => Json("""{"holidays":[],"workingWeekends":[null]}"""), bad, "workingWeekends[0]"),
        ];
    }

    private static async Task<string?> RunAsync(OneThingApiFactory api, Probe probe)
    {
        using var client = api.CreateClient(probe.Key);
        using var request = new HttpRequestMessage(probe.Method, new Uri(probe.Path, UriKind.Relative)) { Content = probe.Content() };
        if (probe.Method == HttpMethod.Post && probe.Path == "/api/cases")
        {
            request.Headers.Add("Idempotency-Key", $"probe-{probe.Name}".Replace(' ', '-'));
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != probe.Status)
        {
            return $"{probe.Name}: expected {(int)probe.Status}, got {(int)response.StatusCode} {Shorten(text)}";
        }
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{probe.Name}: not problem+json but {response.Content.Headers.ContentType}";
        }
        using var problem = JsonDocument.Parse(text);
        if (probe.Field is not null && (!problem.RootElement.TryGetProperty("errors", out var errors) || !errors.TryGetProperty(probe.Field, out _)))
        {
            return $"{probe.Name}: no error for '{probe.Field}' in {Shorten(text)}";
        }
        return null;
    }

    /// <summary>An item body that would publish, as ops would copy it from GET: a base for the PUT probes.</summary>
    private async Task<JsonObject> ItemForPublishingAsync()
    {
        var item = (JsonObject)JsonNode.Parse((await _driver.ItemAsync("newborn")).GetRawText())!;
        item.Remove("code");
        return item;
    }

    private async Task<long[]> CountRowsAsync()
    {
        var counts = new long[StoredTables.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = (long)(await TestDatabase.ScalarAsync(fixture.ConnectionString, $"SELECT count(*) FROM {StoredTables[i]}"))!;
        }
        return counts;
    }

    private static HttpContent? NoBody() => null;

    private static ByteArrayContent Json(string text) => Text(text, "application/json");

    private static ByteArrayContent Text(string text, string mediaType) => Bytes(Encoding.UTF8.GetBytes(text), mediaType);

    private static ByteArrayContent Bytes(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return content;
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
