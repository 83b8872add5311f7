using System.Net;
using System.Text.Json;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Webhooks;

/// <summary>Notices to applicants through a gateway subscription: 一次告知 across departments, completions, the phone.</summary>
[Collection(WebhookClusterCollection.Name)]
public sealed class ApplicantNoticeTests(WebhookClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static int _seed = 5_300_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task TwoDepartmentsMissingMaterialsInOneRoundAreToldInOneNoticeAndTheCaseEndsWithANoticeToo()
    {
        await using var gateway = await TestReceiver.StartAsync();
        var ops = fixture.Api.CreateClient("test-ops");
        var (status, created) = await _driver.PostAsync(ops, "/api/subscriptions",
            new { url = gateway.Url, events = new[] { "*" }, kind = "applicant-notice", items = new[] { "newborn" } });
        Assert.True(status == HttpStatusCode.Created, created.ToString());
        var secret = created.GetProperty("secret").GetString()!;

        var submitted = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));
        var caseId = submitted.GetProperty("caseId").GetString()!;
        await _driver.WorkAsync(CaseDriver.TaskOf(submitted, "birth-certificate"));
        var view = await _driver.CaseAsync(caseId);
        // Police and disease control examine side by side, and each finds something missing.
        var (police, _) = await _driver.PostAsync(_driver.Department("police"),
            $"/api/tasks/{CaseDriver.TaskOf(view, "household-registration").GetProperty("taskId").GetString()}/supplement-requests",
            new { materials = new[] { "household-register" }, note = "户口簿需为原件扫描件" });
        var (disease, _) = await _driver.PostAsync(_driver.Department("disease-control"),
            $"/api/tasks/{CaseDriver.TaskOf(view, "vaccination-certificate").GetProperty("taskId").GetString()}/supplement-requests",
            new { materials = new[] { "mother-id-card", "household-register" } });
        Assert.Equal(HttpStatusCode.OK, police);
        Assert.Equal(HttpStatusCode.OK, disease);

        var supplementNotices = await Poll.UntilAsync(() => Task.FromResult(NoticesOf(gateway, caseId, "SupplementRequested")), n => n.Count >= 1, Patience,
            "no supplement notice reached the gateway");
        var notice = supplementNotices.Single().Json;
        Assert.Equal(caseId, notice.GetProperty("caseId").GetString());
        Assert.Equal(TestIdentities.Phone, notice.GetProperty("phone").GetString());
        var materials = notice.GetProperty("params").GetProperty("materials").GetString()!;
        Assert.Contains("落户方居民户口簿", materials, StringComparison.Ordinal);
        Assert.Contains("母亲居民身份证", materials, StringComparison.Ordinal);
        Assert.Equal(1, materials.Split('、').Count(m => m == "落户方居民户口簿"));
        Assert.Contains("户口簿需为原件扫描件", notice.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(supplementNotices.Single().VerifiesWith(secret));

        var (supplied, body) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/supplements", new
        {
            materials = new[]
            {
                new { code = "household-register", uri = "https://files.example.gov.cn/hr.pdf", sha256 = new string('b', 64) },
                new { code = "mother-id-card", uri = "https://files.example.gov.cn/id.pdf", sha256 = new string('c', 64) },
            },
        });
        Assert.True(supplied == HttpStatusCode.OK, body.ToString());
        await _driver.RunToEndAsync(caseId);

        await Poll.UntilAsync(() => Task.FromResult(NoticesOf(gateway, caseId, "CaseCompleted")), n => n.Count == 1, Patience, "no completion notice");
        var all = gateway.Delivered.Where(r => r.Json.GetProperty("caseId").GetString() == caseId).ToList();
        Assert.Single(all, r => r.Json.GetProperty("template").GetString() == "SupplementRequested");
        var birth = all.Single(r => r.Json.GetProperty("template").GetString() == "TaskCompleted"
            && r.Json.GetProperty("text").GetString()!.Contains("出生医学证明", StringComparison.Ordinal)).Json;
        Assert.StartsWith("birthCertificateNumber-", birth.GetProperty("params").GetProperty("certificate").GetString()!.Replace("证照编号：", "", StringComparison.Ordinal),
            StringComparison.Ordinal);
        Assert.Equal("CaseCompleted", all[^1].Json.GetProperty("template").GetString());
        // The round's second request was settled by the first one's notice, not sent on its own.
        var deliveries = (await GetJsonAsync(ops, $"/api/subscriptions/{created.GetProperty("subscriptionId").GetGuid()}/deliveries?limit=1000"))
            .GetProperty("items").EnumerateArray().Where(d => d.GetProperty("caseId").GetString() == caseId && d.GetProperty("type").GetString() == "SupplementRequested").ToList();
        Assert.Equal(2, deliveries.Count);
        Assert.Contains(deliveries, d => d.GetProperty("lastError").GetString()?.StartsWith("told in msg_", StringComparison.Ordinal) == true);
    }

    private static List<ReceivedWebhook> NoticesOf(TestReceiver gateway, string caseId, string template) =>
        [.. gateway.Delivered.Where(r => r.Json.GetProperty("caseId").GetString() == caseId && r.Json.GetProperty("template").GetString() == template)];

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {response.StatusCode}");
        return JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync());
    }
}
