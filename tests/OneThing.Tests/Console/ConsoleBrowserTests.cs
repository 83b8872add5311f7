using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Console;

/// <summary>
/// The console as its users drive it, in headless Chromium: the hall window, each department's workbench, ops, and
/// the public progress page. Every page visited is saved as a screenshot (<see cref="ConsoleFixture.ScreenshotFolder"/>).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleFixture fixture)
{
    private static int _seed = 7_300_000;

    [Fact]
    public async Task TheHallFilesANewbornCaseThatEveryDepartmentWorksToCompletionAndTheApplicantRates()
    {
        var seed = Interlocked.Increment(ref _seed);
        var applicantId = TestIdentities.IdNumber(seed);
        var hall = await fixture.PageAsAsync("hall");
        await hall.GotoAsync("/hall");
        await ConsoleFixture.ScreenshotAsync(hall, "hall-home");
        await hall.GetByRole(AriaRole.Button, new() { Name = "受理 新生儿出生一件事" }).ClickAsync();
        await hall.WaitForURLAsync("**/hall/file/newborn**");
        await FillNewbornAsync(hall, seed, applicantId, TestIdentities.IdNumber(seed + 1));
        await ConsoleFixture.ScreenshotAsync(hall, "hall-file");
        // A double click sends the form twice with the one Idempotency-Key of this rendering: one case.
        await hall.Locator("#file-submit").DblClickAsync();
        await hall.WaitForURLAsync("**/hall/cases/**");
        var caseId = (await hall.Locator("#case-id").TextContentAsync())!.Trim();
        await ConsoleFixture.ScreenshotAsync(hall, "hall-case-filed");
        var listed = await ApplicantCasesAsync(applicantId);
        Assert.Equal([caseId], listed);
        var filed = await fixture.Driver.CaseAsync(caseId);
        Assert.Equal("hall", filed.GetProperty("channel").GetString());

        // Each department, in the order the matters depend on one another.
        foreach (var (department, matter) in new[]
        {
            ("health", "birth-certificate"), ("police", "household-registration"), ("disease-control", "vaccination-certificate"),
            ("medical-insurance", "residents-medical-insurance"), ("hrss", "social-security-card"),
        })
        {
            await WorkAtTheWorkbenchAsync(department, $"{caseId}.{matter}");
        }

        await hall.ReloadAsync();
        Assert.Equal("已办结", (await hall.Locator("#case-status").TextContentAsync())!.Trim());
        await hall.GetByLabel("申请人评价").SelectOptionAsync("5");
        await hall.GetByLabel("评价内容").FillAsync("窗口一次办好");
        await hall.Locator("#evaluate-submit").ClickAsync();
        await Assertions.Expect(hall.Locator("#case-rating")).ToContainTextAsync("非常满意");
        await ConsoleFixture.ScreenshotAsync(hall, "hall-case-rated");
        var rated = await fixture.Driver.CaseAsync(caseId);
        Assert.Equal(5, rated.GetProperty("evaluation").GetProperty("rating").GetInt32());
        await hall.CloseAsync();
    }

    [Fact]
    public async Task MaterialsRequestedAtTheWorkbenchAreSuppliedAtTheHallWindow()
    {
        var caseId = await SubmitNewbornAsync();
        var taskId = $"{caseId}.birth-certificate";
        var health = await fixture.PageAsAsync("health");
        await health.GotoAsync($"/workbench/tasks/{Uri.EscapeDataString(taskId)}");
        await health.GetByLabel("落户方居民户口簿").CheckAsync();
        await health.GetByLabel("告知内容").FillAsync("户口簿页面不清晰，请重新扫描");
        await health.Locator("#request-supplement").ClickAsync();
        await Assertions.Expect(health.Locator("#task-status")).ToHaveTextAsync("待补正");
        await ConsoleFixture.ScreenshotAsync(health, "workbench-supplement-requested");

        var hall = await fixture.PageAsAsync("hall");
        await hall.GotoAsync($"/hall/cases/{caseId}");
        Assert.Equal("待补正", (await hall.Locator("#case-status").TextContentAsync())!.Trim());
        await ConsoleFixture.ScreenshotAsync(hall, "hall-case-supplement");
        await hall.GetByLabel("落户方居民户口簿").FillAsync("https://files.example.gov.cn/hall/household-register-2.pdf");
        await hall.Locator("#supply-submit").ClickAsync();
        await Assertions.Expect(hall.GetByRole(AriaRole.Status)).ToContainTextAsync("补正材料已提交");
        Assert.Equal("办理中", (await hall.Locator("#case-status").TextContentAsync())!.Trim());

        var task = CaseDriver.TaskOf(await fixture.Driver.CaseAsync(caseId), "birth-certificate");
        Assert.Equal("Ready", task.GetProperty("status").GetString());
        await health.CloseAsync();
        await hall.CloseAsync();
    }

    [Fact]
    public async Task TheHallFindsAnApplicantsCaseAndWithdrawsIt()
    {
        var seed = Interlocked.Increment(ref _seed);
        var caseId = await SubmitNewbornAsync(seed);
        var hall = await fixture.PageAsAsync("hall");
        await hall.GotoAsync("/hall/applicant");
        await hall.GetByLabel("身份证号码或统一社会信用代码").FillAsync(TestIdentities.IdNumber(seed));
        await hall.GetByRole(AriaRole.Button, new() { Name = "查找" }).ClickAsync();
        await hall.Locator($"#applicant-cases a[href='/hall/cases/{caseId}']").ClickAsync();
        await hall.WaitForURLAsync($"**/hall/cases/{caseId}");
        await hall.GetByLabel("撤回原因").FillAsync("申请人改日再办");
        await hall.GetByRole(AriaRole.Button, new() { Name = "撤回申请" }).ClickAsync();
        await Assertions.Expect(hall.Locator("#case-status")).ToHaveTextAsync("已撤回");
        await ConsoleFixture.ScreenshotAsync(hall, "hall-case-withdrawn");
        Assert.Equal("Withdrawn", (await fixture.Driver.CaseAsync(caseId)).GetProperty("status").GetString());
        await hall.CloseAsync();
    }

    [Fact]
    public async Task AnIdentityNumberWithAWrongCheckCharacterIsShownAtItsFieldAndFilesNothing()
    {
        var seed = Interlocked.Increment(ref _seed);
        var applicantId = TestIdentities.IdNumber(seed);
        var wrong = TestIdentities.IdNumber(seed + 1);
        wrong = wrong[..17] + (wrong[17] == '1' ? '2' : '1');
        var hall = await fixture.PageAsAsync("hall");
        await hall.GotoAsync("/hall/file/newborn");
        await FillNewbornAsync(hall, seed, applicantId, wrong);
        await hall.Locator("#file-submit").ClickAsync();
        var error = hall.Locator("#f-form-motherIdNumber-error");
        await Assertions.Expect(error).ToBeVisibleAsync();
        Assert.Equal("true", await hall.Locator("#f-form-motherIdNumber").GetAttributeAsync("aria-invalid"));
        // What was typed stays, so the clerk corrects one field.
        Assert.Equal("张小明", await hall.Locator("#f-form-babyName").InputValueAsync());
        await ConsoleFixture.ScreenshotAsync(hall, "hall-file-field-error");
        Assert.Empty(await ApplicantCasesAsync(applicantId));
        await hall.CloseAsync();
    }

    [Fact]
    public async Task TheProgressPageShowsTheRightPairAndAnswersAWrongPairAsItAnswersAMissingCase()
    {
        var seed = Interlocked.Increment(ref _seed);
        var applicantId = TestIdentities.IdNumber(seed);
        var caseId = await SubmitNewbornAsync(seed);
        var context = await fixture.NewContextAsync(width: 390);
        var page = await context.NewPageAsync();

        await LookUpAsync(page, caseId, applicantId[^6..].ToLowerInvariant());
        await Assertions.Expect(page.Locator("#progress-status")).ToHaveTextAsync("办理中");
        var shown = await page.Locator("#progress-matters").TextContentAsync();
        Assert.Contains("出生医学证明", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(applicantId, await page.ContentAsync(), StringComparison.Ordinal);
        await ConsoleFixture.ScreenshotAsync(page, "progress-found-390px");

        var wrongLast6 = applicantId[^6..] == "000000" ? "000001" : "000000";
        await LookUpAsync(page, caseId, wrongLast6);
        var wrongPair = await page.Locator("main").InnerTextAsync();
        await ConsoleFixture.ScreenshotAsync(page, "progress-not-found");
        await LookUpAsync(page, $"{caseId}x", applicantId[^6..]);
        var missingCase = await page.Locator("main").InnerTextAsync();
        Assert.Contains("未查询到办件", wrongPair, StringComparison.Ordinal);
        Assert.Equal(wrongPair.Replace(caseId, "", StringComparison.Ordinal), missingCase.Replace($"{caseId}x", "", StringComparison.Ordinal));

        // The API's answers differ in nothing but the trace id.
        var portal = fixture.Driver.Portal;
        var wrong = await portal.PostAsJsonAsync($"/api/cases/{caseId}/progress", new { idNumberLast6 = wrongLast6 });
        var missing = await portal.PostAsJsonAsync($"/api/cases/{caseId}x/progress", new { idNumberLast6 = applicantId[^6..] });
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(WithoutTraceId(await wrong.Content.ReadAsStringAsync()), WithoutTraceId(await missing.Content.ReadAsStringAsync()));
        await context.DisposeAsync();
    }

    [Fact]
    public async Task FailedSignInsAreRefusedAlikeAndRepeatedOnesLockTheName()
    {
        var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInAsync(page, "no-such-user", "whatever");
        var unknown = await page.Locator("#sign-in-error").TextContentAsync();
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-failed");
        await SignInAsync(page, ConsoleFixture.LockoutUser, "wrong-password");
        Assert.Equal(unknown, await page.Locator("#sign-in-error").TextContentAsync());
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            await SignInAsync(page, ConsoleFixture.LockoutUser, $"wrong-password-{attempt}");
        }
        Assert.Contains("锁定", await page.Locator("#sign-in-error").TextContentAsync(), StringComparison.Ordinal);
        // Locked: the right password is refused too, and no session cookie is issued.
        await SignInAsync(page, ConsoleFixture.LockoutUser, ConsoleFixture.LockoutPassword);
        Assert.Contains("锁定", await page.Locator("#sign-in-error").TextContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == OneThing.Console.ConsoleHost.CookieName);
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-locked");

        // Pages for staff send an anonymous visitor to the sign-in; a signed-in user of another role is refused.
        await page.GotoAsync("/workbench");
        Assert.Contains("/sign-in", page.Url, StringComparison.Ordinal);
        var hall = await fixture.PageAsAsync("hall");
        await hall.GotoAsync("/ops");
        Assert.Contains("/access-denied", hall.Url, StringComparison.Ordinal);
        await hall.CloseAsync();
        await context.DisposeAsync();
    }

    [Fact]
    public async Task NewWorkAppearsInAnOpenInboxWithoutAReload()
    {
        var health = await fixture.PageAsAsync("health");
        await health.GotoAsync("/workbench");
        await ConsoleFixture.ScreenshotAsync(health, "workbench-inbox");
        var caseId = await SubmitNewbornAsync();
        await Assertions.Expect(health.Locator($"tr[data-task='{caseId}.birth-certificate']")).ToBeVisibleAsync();
        await Assertions.Expect(health.Locator("#inbox-live")).ToContainTextAsync("待办已更新");
        await health.CloseAsync();
    }

    [Fact]
    public async Task OpsSeesTheClusterTheDeskAndTheStatisticsAndPublishesAnItemVersion()
    {
        var ops = await fixture.PageAsAsync("ops");
        await ops.GotoAsync("/ops");
        await Assertions.Expect(ops.Locator("#silos tbody tr")).ToHaveCountAsync(1);
        Assert.Contains("Active", await ops.Locator("#silos").TextContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(ops.Locator("#by-department")).ToBeVisibleAsync();
        await ConsoleFixture.ScreenshotAsync(ops, "ops-home");
        await ops.GotoAsync("/ops/desk");
        await ConsoleFixture.ScreenshotAsync(ops, "ops-desk");

        await ops.GotoAsync("/ops/publish?code=retirement");
        var definition = await ops.Locator("#definition").InputValueAsync();
        Assert.Contains("\"code\": \"retirement\"", definition, StringComparison.Ordinal);
        // A definition whose matter depends on one that does not exist is refused, and the page says where.
        await ops.Locator("#definition").FillAsync(definition.Replace("\"dependsOn\": []", "\"dependsOn\": [\"no-such-matter\"]", StringComparison.Ordinal));
        await ops.Locator("#publish").ClickAsync();
        await Assertions.Expect(ops.GetByRole(AriaRole.Alert)).ToContainTextAsync("matters");
        await ConsoleFixture.ScreenshotAsync(ops, "ops-publish-invalid");
        await ops.Locator("#definition").FillAsync(definition.Replace("\"name\": \"退休一件事\"", "\"name\": \"退休一件事（控制台发布）\"", StringComparison.Ordinal));
        await ops.Locator("#publish").ClickAsync();
        await Assertions.Expect(ops.Locator("#publish-done")).ToContainTextAsync("已发布 retirement");
        var published = await fixture.Driver.ItemAsync("retirement");
        Assert.Equal("退休一件事（控制台发布）", published.GetProperty("name").GetString());
        await ops.CloseAsync();
    }

    private async Task WorkAtTheWorkbenchAsync(string department, string taskId)
    {
        var page = await fixture.PageAsAsync(department);
        await page.GotoAsync("/workbench");
        await page.Locator($"tr[data-task='{taskId}'] a").ClickAsync();
        await page.WaitForURLAsync("**/workbench/tasks/**");
        await ConsoleFixture.ScreenshotAsync(page, $"workbench-{department}-task");
        await page.Locator("#accept").ClickAsync();
        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("办理中");
        var outputs = page.Locator("input[name^='outputs.']");
        for (var i = 0; i < await outputs.CountAsync(); i++)
        {
            var name = (await outputs.Nth(i).GetAttributeAsync("name"))!["outputs.".Length..];
            await outputs.Nth(i).FillAsync(name == "citizenIdNumber" ? TestIdentities.IdNumber(Interlocked.Increment(ref _seed)) : $"{name}-001");
        }
        await page.Locator("#complete").ClickAsync();
        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("已办结");
        await ConsoleFixture.ScreenshotAsync(page, $"workbench-{department}-completed");
        await page.CloseAsync();
    }

    private static async Task FillNewbornAsync(IPage page, int seed, string applicantId, string motherId)
    {
        await page.Locator("#f-applicant-name").FillAsync("李四");
        await page.Locator("#f-applicant-idNumber").FillAsync(applicantId);
        await page.Locator("#f-applicant-phone").FillAsync(TestIdentities.Phone);
        await page.Locator("#f-form-babyName").FillAsync("张小明");
        await page.Locator("#f-form-babyGender").SelectOptionAsync("male");
        await page.Locator("#f-form-birthDate").FillAsync("2026-03-01");
        await page.Locator("#f-form-birthHospital").FillAsync("重庆市妇幼保健院");
        await page.Locator("#f-form-motherName").FillAsync("李四");
        await page.Locator("#f-form-motherIdNumber").FillAsync(motherId);
        await page.Locator("#f-form-householdOf").SelectOptionAsync("mother");
        await page.Locator("#f-form-householdAddress").FillAsync("重庆市渝中区测试路1号");
        await page.Locator("#f-form-contactPhone").FillAsync(TestIdentities.Phone);
        await page.Locator("#f-material-mother-id-card").FillAsync($"https://files.example.gov.cn/{seed}/mother-id-card.pdf");
        await page.Locator("#f-material-household-register").FillAsync($"https://files.example.gov.cn/{seed}/household-register.pdf");
    }

    private async Task<string> SubmitNewbornAsync(int? seed = null) =>
        (await fixture.Driver.SubmitNewAsync("newborn", seed ?? Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;

    private async Task<List<string>> ApplicantCasesAsync(string applicantId)
    {
        var page = await fixture.Driver.Portal.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases?applicant={applicantId}", UriKind.Relative));
        return [.. page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("caseId").GetString()!)];
    }

    private static async Task LookUpAsync(IPage page, string caseId, string last6)
    {
        await page.GotoAsync("/progress");
        await page.GetByLabel("办件编号").FillAsync(caseId);
        await page.GetByLabel("证件号码后6位").FillAsync(last6);
        await page.GetByRole(AriaRole.Button, new() { Name = "查询" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        await Assertions.Expect(page.Locator("#progress-status, #progress-not-found")).ToBeVisibleAsync();
    }

    private static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("用户名").FillAsync(userName);
        await page.GetByLabel("密码").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        await Assertions.Expect(page.Locator("#sign-in-error")).ToBeVisibleAsync();
    }

    private static string WithoutTraceId(string problem)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(problem)!.AsObject();
        node.Remove("traceId");
        return node.ToJsonString();
    }
}
