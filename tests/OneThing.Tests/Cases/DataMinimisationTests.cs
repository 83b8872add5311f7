using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Cases;

/// <summary>Data minimisation through the HTTP API: a department reads a case with only what its matters declare.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class DataMinimisationTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 890_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task PoliceWithAReadyTaskSeesTheApplicantIdentityNumberItsMatterDeclaresButNotThePhone()
    {
        var seed = Interlocked.Add(ref _seed, 10);
        var caseId = (await _driver.SubmitNewAsync("school-enrolment", seed)).GetProperty("caseId").GetString()!;

        var police = await ReadAsync("police", caseId);

        Assert.Equal(TestIdentities.IdNumber(seed), police.GetProperty("applicant").GetProperty("idNumber").GetString());
        Assert.NotEqual(JsonValueKind.Null, police.GetProperty("applicant").GetProperty("name").ValueKind);
        Assert.Equal(JsonValueKind.Null, police.GetProperty("applicant").GetProperty("phone").ValueKind);
        Assert.Equal(["childIdNumber", "childName", "guardianRelation", "householdAddress"],
            police.GetProperty("form").EnumerateObject().Select(p => p.Name).Order());
        Assert.DoesNotContain(TestIdentities.Phone, police.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InANewbornCasePoliceSeesTheParentsIdentityNumbersItDeclaresButNeitherTheApplicantsNorThePhone()
    {
        var seed = Interlocked.Add(ref _seed, 10);
        var submitted = await _driver.SubmitNewAsync("newborn", seed);
        var caseId = submitted.GetProperty("caseId").GetString()!;
        await _driver.WorkAsync(CaseDriver.TaskOf(submitted, "birth-certificate"));

        var police = await ReadAsync("police", caseId);

        var applicant = police.GetProperty("applicant");
        Assert.All(["name", "idNumber", "phone"], field => Assert.Equal(JsonValueKind.Null, applicant.GetProperty(field).ValueKind));
        var form = police.GetProperty("form");
        Assert.Equal(TestIdentities.IdNumber(seed + 1), form.GetProperty("motherIdNumber").GetString());
        Assert.False(form.TryGetProperty("contactPhone", out _));
        Assert.Equal(["birthCertificateNumber"], police.GetProperty("outputs").EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain(TestIdentities.IdNumber(seed), police.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(TestIdentities.Phone, police.GetRawText(), StringComparison.Ordinal);
        var health = CaseDriver.TaskOf(police, "birth-certificate");
        Assert.Equal("Completed", health.GetProperty("status").GetString());
        Assert.Empty(health.GetProperty("inputs").EnumerateObject());
        Assert.Empty(health.GetProperty("outputs").EnumerateObject());
    }

    [Fact]
    public async Task ADepartmentWhoseTasksAreAllWaitingSeesNoPersonalData()
    {
        var seed = Interlocked.Add(ref _seed, 10);
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), seed);
        application["delivery"] = new System.Text.Json.Nodes.JsonObject { ["method"] = "mail", ["address"] = "北京市海淀区中关村大街1号" };
        var (status, submitted) = await _driver.SubmitAsync(application);
        Assert.Equal(HttpStatusCode.Created, status);

        var insurance = await ReadAsync("medical-insurance", submitted.GetProperty("caseId").GetString()!);

        var applicant = insurance.GetProperty("applicant");
        Assert.All(["name", "idNumber", "phone"], field => Assert.Equal(JsonValueKind.Null, applicant.GetProperty(field).ValueKind));
        Assert.Empty(insurance.GetProperty("form").EnumerateObject());
        Assert.Empty(insurance.GetProperty("outputs").EnumerateObject());
        Assert.Empty(insurance.GetProperty("materials").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, insurance.GetProperty("delivery").GetProperty("address").ValueKind);
        Assert.All(insurance.GetProperty("tasks").EnumerateArray(), t => Assert.Empty(t.GetProperty("inputs").EnumerateObject()));
        Assert.Equal("Waiting", CaseDriver.TaskOf(insurance, "residents-medical-insurance").GetProperty("status").GetString());
        foreach (var personal in new[] { TestIdentities.IdNumber(seed), TestIdentities.IdNumber(seed + 1), TestIdentities.Phone, "中关村" })
        {
            Assert.DoesNotContain(personal, insurance.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ThePortalAndOpsReadTheWholeApplication()
    {
        var seed = Interlocked.Add(ref _seed, 10);
        var caseId = (await _driver.SubmitNewAsync("newborn", seed)).GetProperty("caseId").GetString()!;

        foreach (var client in new[] { _driver.Portal, fixture.Api.CreateClient("test-ops") })
        {
            var view = await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases/{caseId}", UriKind.Relative));
            Assert.Equal(TestIdentities.IdNumber(seed), view.GetProperty("applicant").GetProperty("idNumber").GetString());
            Assert.Equal(TestIdentities.Phone, view.GetProperty("applicant").GetProperty("phone").GetString());
            Assert.Equal(11, view.GetProperty("form").EnumerateObject().Count());
            Assert.NotEmpty(view.GetProperty("materials").EnumerateArray());
        }
    }

    [Fact]
    public async Task ADepartmentPollingWithItsETagGets304UntilTheCaseChanges()
    {
        var submitted = await _driver.SubmitNewAsync("newborn", Interlocked.Add(ref _seed, 10));
        var caseId = submitted.GetProperty("caseId").GetString()!;
        var police = _driver.Department("police");

        using var first = await police.GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
        using var unchanged = await GetIfNoneMatchAsync(police, caseId, first.Headers.ETag!.ToString());
        await _driver.WorkAsync(CaseDriver.TaskOf(submitted, "birth-certificate"));
        using var changed = await GetIfNoneMatchAsync(police, caseId, first.Headers.ETag!.ToString());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var after = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(after.GetProperty("form").TryGetProperty("motherIdNumber", out _), "dispatched now, police sees what it declares");
    }

    private async Task<JsonElement> ReadAsync(string department, string caseId)
    {
        using var response = await _driver.Department(department).GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{department} read {caseId}: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<HttpResponseMessage> GetIfNoneMatchAsync(HttpClient client, string caseId, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/cases/{caseId}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await client.SendAsync(request);
    }
}
