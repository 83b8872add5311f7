using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Cases;

[Collection(TwoSiloClusterCollection.Name)]
public sealed class CaseLifecycleTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 1000;
    private readonly CaseDriver _driver = new(fixture.Api);

    private static int NextSeed() => Interlocked.Increment(ref _seed);

    [Theory]
    [InlineData("newborn")]
    [InlineData("open-restaurant")]
    [InlineData("company-info-change")]
    [InlineData("company-deregistration")]
    [InlineData("retirement")]
    public async Task ItemRunsToCompletionWithDepartmentsActingInDependencyOrder(string itemCode)
    {
        var item = await _driver.ItemAsync(itemCode);
        var submitted = await _driver.SubmitNewAsync(itemCode, NextSeed());
        var caseId = submitted.GetProperty("caseId").GetString()!;

        var ended = await _driver.RunToEndAsync(caseId);

        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.Equal(item.GetProperty("matters").GetArrayLength(), ended.GetProperty("tasks").GetArrayLength());
        foreach (var matter in item.GetProperty("matters").EnumerateArray())
        {
            var task = CaseDriver.TaskOf(ended, matter.GetProperty("code").GetString()!);
            Assert.Equal("Completed", task.GetProperty("status").GetString());
            foreach (var dependency in matter.GetProperty("dependsOn").EnumerateArray())
            {
                var before = CaseDriver.TaskOf(ended, dependency.GetString()!);
                Assert.True(task.GetProperty("readyAt").GetDateTimeOffset() >= before.GetProperty("completedAt").GetDateTimeOffset(),
                    $"{matter.GetProperty("code")} became Ready before {dependency} completed");
            }
            foreach (var output in matter.GetProperty("outputs").EnumerateArray())
            {
                Assert.True(ended.GetProperty("outputs").TryGetProperty(output.GetString()!, out _), $"case outputs lack {output}");
            }
        }
        var timeline = ended.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("Submitted", timeline[0]);
        Assert.Equal("CaseCompleted", timeline[^1]);
        Assert.Equal(item.GetProperty("matters").GetArrayLength(), timeline.Count(t => t == "TaskCompleted"));
    }

    [Fact]
    public async Task NewbornHandsTheNewHouseholdRecordToMedicalInsuranceWithoutAskingAgain()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var birth = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "birth-certificate");
        Assert.Equal("Ready", birth.GetProperty("status").GetString());
        Assert.Equal("Waiting", CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "household-registration").GetProperty("status").GetString());

        await _driver.WorkAsync(birth);
        var household = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "household-registration");
        Assert.Equal($"birthCertificateNumber-{caseId}", household.GetProperty("inputs").GetProperty("birthCertificateNumber").GetString());
        await _driver.WorkAsync(household);

        var insurance = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "residents-medical-insurance");
        Assert.Equal("Ready", insurance.GetProperty("status").GetString());
        Assert.Equal($"citizenIdNumber-{caseId}", insurance.GetProperty("inputs").GetProperty("citizenIdNumber").GetString());
        Assert.Equal("张三", insurance.GetProperty("inputs").GetProperty("applicant.name").GetString());
        var inbox = await InboxAsync("medical-insurance", "Ready");
        Assert.Contains(inbox, t => t.GetProperty("taskId").GetString() == insurance.GetProperty("taskId").GetString()
            && t.GetProperty("inputs").GetProperty("citizenIdNumber").GetString() == $"citizenIdNumber-{caseId}");
    }

    [Fact]
    public async Task RejectedMatterRejectsTheCaseAndCancelsOpenTasks()
    {
        var caseId = (await _driver.SubmitNewAsync("open-restaurant", NextSeed())).GetProperty("caseId").GetString()!;
        var signage = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "outdoor-signage");

        var (status, task) = await _driver.PostAsync(_driver.Department("housing-construction"),
            $"/api/tasks/{signage.GetProperty("taskId").GetString()}/reject", new { reason = "招牌面积超出规定" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Rejected", task.GetProperty("status").GetString());
        var view = await _driver.CaseAsync(caseId);
        Assert.Equal("Rejected", view.GetProperty("status").GetString());
        Assert.Contains("招牌面积超出规定", view.GetProperty("statusReason").GetString(), StringComparison.Ordinal);
        Assert.Equal("Cancelled", CaseDriver.TaskOf(view, "business-licence").GetProperty("status").GetString());
        Assert.Equal("Cancelled", CaseDriver.TaskOf(view, "food-business-licence").GetProperty("status").GetString());
        Assert.DoesNotContain(await InboxAsync("market-regulation", null), t => t.GetProperty("caseId").GetString() == caseId);
    }

    [Fact]
    public async Task WithdrawalCancelsOpenTasksAndTheyLeaveTheInbox()
    {
        var caseId = (await _driver.SubmitNewAsync("retirement", NextSeed())).GetProperty("caseId").GetString()!;
        Assert.Contains(await InboxAsync("hrss", "Ready"), t => t.GetProperty("caseId").GetString() == caseId);

        var (status, view) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/withdraw", new { reason = "不再办理" });
        var (again, _) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/withdraw", new { reason = "不再办理" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("Withdrawn", view.GetProperty("status").GetString());
        Assert.All(view.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("Cancelled", t.GetProperty("status").GetString()));
        Assert.DoesNotContain(await InboxAsync("hrss", null), t => t.GetProperty("caseId").GetString() == caseId);
        var pension = CaseDriver.TaskOf(view, "pension-application").GetProperty("taskId").GetString();
        var (late, _) = await _driver.PostAsync(_driver.Department("hrss"), $"/api/tasks/{pension}/accept");
        Assert.Equal(HttpStatusCode.Conflict, late);
    }

    [Fact]
    public async Task SupplementRoundTripStopsTheCaseUntilTheApplicantSuppliesEverything()
    {
        var caseId = (await _driver.SubmitNewAsync("retirement", NextSeed())).GetProperty("caseId").GetString()!;
        var pension = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "pension-application");
        var taskId = pension.GetProperty("taskId").GetString();
        var hrss = _driver.Department("hrss");
        await _driver.PostAsync(hrss, $"/api/tasks/{taskId}/accept");

        var (status, task) = await _driver.PostAsync(hrss, $"/api/tasks/{taskId}/supplement-requests",
            new { materials = new[] { "personnel-file", "bank-card" }, note = "档案缺页，银行卡不清晰" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("AwaitingSupplement", task.GetProperty("status").GetString());
        var waiting = await _driver.CaseAsync(caseId);
        Assert.Equal("AwaitingSupplement", waiting.GetProperty("status").GetString());
        Assert.Contains(waiting.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("type").GetString() == "SupplementRequested");

        var (partial, partialBody) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/supplements", new
        {
            materials = new[] { new { code = "personnel-file", uri = "https://files.example.gov.cn/new/personnel.pdf", sha256 = new string('b', 64) } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, partial);
        Assert.Contains("bank-card", partialBody.GetProperty("errors").GetProperty("materials")[0].GetString(), StringComparison.Ordinal);

        var (supplied, view) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{caseId}/supplements", new
        {
            materials = new[]
            {
                new { code = "personnel-file", uri = "https://files.example.gov.cn/new/personnel.pdf", sha256 = new string('b', 64) },
                new { code = "bank-card", uri = "https://files.example.gov.cn/new/bank-card.pdf", sha256 = new string('c', 64) },
            },
            form = new { bankAccount = "6222020000000000001" },
        });
        Assert.Equal(HttpStatusCode.OK, supplied);
        Assert.Equal("InProgress", view.GetProperty("status").GetString());
        var resumed = CaseDriver.TaskOf(view, "pension-application");
        Assert.Equal("Ready", resumed.GetProperty("status").GetString());
        Assert.Equal("6222020000000000001", resumed.GetProperty("inputs").GetProperty("bankAccount").GetString());
        Assert.Contains(await InboxAsync("hrss", "Ready"), t => t.GetProperty("taskId").GetString() == taskId);

        Assert.Equal("Completed", (await _driver.RunToEndAsync(caseId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task RacingCompletionsOfOneTaskRecordExactlyOneCompletion()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var birth = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "birth-certificate");
        var taskId = birth.GetProperty("taskId").GetString();
        var outputs = await CaseDriver.OutputsForAsync(_driver, birth);

        var same = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            _driver.PostAsync(_driver.Department("health"), $"/api/tasks/{taskId}/complete", new { outputs })));
        var other = await _driver.PostAsync(_driver.Department("health"), $"/api/tasks/{taskId}/complete",
            new { outputs = new Dictionary<string, string> { ["birthCertificateNumber"] = "different" } });

        Assert.All(same, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(HttpStatusCode.Conflict, other.Status);
        var view = await _driver.CaseAsync(caseId);
        Assert.Single(view.GetProperty("timeline").EnumerateArray(),
            e => e.GetProperty("type").GetString() == "TaskCompleted" && e.GetProperty("detail").GetString()!.Contains("出生医学证明", StringComparison.Ordinal));
        Assert.Equal("Ready", CaseDriver.TaskOf(view, "household-registration").GetProperty("status").GetString());
    }

    [Fact]
    public async Task ApplicantSeesTheirCasesNewestFirst()
    {
        var seed = NextSeed();
        var item = await _driver.ItemAsync("retirement");
        var first = (await _driver.SubmitAsync(CaseDriver.SampleApplication(item, seed))).Body.GetProperty("caseId").GetString();
        var second = (await _driver.SubmitAsync(CaseDriver.SampleApplication(item, seed))).Body.GetProperty("caseId").GetString();

        var page = await _driver.Portal.GetFromJsonAsync<JsonElement>(
            new Uri($"/api/cases?applicant={TestIdentities.IdNumber(seed)}&page=1&pageSize=10", UriKind.Relative));

        Assert.Equal(2, page.GetProperty("total").GetInt64());
        var ids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("caseId").GetString()).ToList();
        Assert.Equal([second, first], ids);
        Assert.Equal("retirement", page.GetProperty("items")[0].GetProperty("itemCode").GetString());
    }

    [Fact]
    public async Task CitizensPollingWhileDepartmentsActAlwaysReadAWholeCurrentCase()
    {
        // The case serves a document built once per change; reads racing the changes must never see a torn or
        // stale one (an earlier view shared the grain's live lists and could fail mid-serialization).
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed(), "chongqing")).GetProperty("caseId").GetString()!;
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var pollers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var portal = fixture.Api.CreateClient("test-portal");
            while (!stop.IsCancellationRequested)
            {
                using var response = await portal.GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })).ToList();

        var ended = await _driver.RunToEndAsync(caseId);
        await stop.CancelAsync();
        await Task.WhenAll(pollers);
        var reread = await _driver.CaseAsync(caseId);

        Assert.Empty(failures);
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.Equal(ended.GetProperty("timeline").GetArrayLength(), reread.GetProperty("timeline").GetArrayLength());
        Assert.All(reread.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("Completed", t.GetProperty("status").GetString()));
    }

    private async Task<List<JsonElement>> InboxAsync(string department, string? status)
    {
        var query = status is null ? "" : $"status={status}&";
        var page = await _driver.Department(department).GetFromJsonAsync<JsonElement>(
            new Uri($"/api/departments/{department}/tasks?{query}pageSize=200", UriKind.Relative));
        return page.GetProperty("items").EnumerateArray().ToList();
    }
}
