using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Cases;

[Collection(TwoSiloClusterCollection.Name)]
public sealed class AccessAndValidationTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 500_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task EachRoleReachesOnlyItsOwnRoutes()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        var birthTask = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "birth-certificate").GetProperty("taskId").GetString();
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), Interlocked.Increment(ref _seed));

        (string Key, HttpMethod Method, string Path, object? Body, HttpStatusCode Expected)[] matrix =
        [
            ("test-health", HttpMethod.Post, "/api/cases", application, HttpStatusCode.Forbidden),
            ("test-ops", HttpMethod.Post, "/api/cases", application, HttpStatusCode.Forbidden),
            ("test-portal", HttpMethod.Post, $"/api/tasks/{birthTask}/complete", new { outputs = new { birthCertificateNumber = "X" } }, HttpStatusCode.Forbidden),
            ("test-portal", HttpMethod.Post, $"/api/tasks/{birthTask}/accept", null, HttpStatusCode.Forbidden),
            ("test-ops", HttpMethod.Post, $"/api/tasks/{birthTask}/accept", null, HttpStatusCode.Forbidden),
            ("test-portal", HttpMethod.Get, "/api/departments/health/tasks", null, HttpStatusCode.Forbidden),
            ("test-police", HttpMethod.Get, "/api/departments/health/tasks", null, HttpStatusCode.Forbidden),
            ("test-police", HttpMethod.Post, $"/api/tasks/{birthTask}/accept", null, HttpStatusCode.Forbidden),
            ("test-police", HttpMethod.Post, $"/api/tasks/{birthTask}/complete", new { outputs = new { birthCertificateNumber = "X" } }, HttpStatusCode.Forbidden),
            ("test-police", HttpMethod.Post, $"/api/tasks/{birthTask}/reject", new { reason = "not mine" }, HttpStatusCode.Forbidden),
            ("test-customs", HttpMethod.Get, $"/api/cases/{caseId}", null, HttpStatusCode.NotFound),
            ("test-customs", HttpMethod.Get, $"/api/tasks/{birthTask}", null, HttpStatusCode.NotFound),
            ("test-health", HttpMethod.Get, $"/api/cases/{caseId}", null, HttpStatusCode.OK),
            ("test-health", HttpMethod.Get, "/api/departments/health/tasks", null, HttpStatusCode.OK),
            ("test-portal", HttpMethod.Get, $"/api/cases/{caseId}", null, HttpStatusCode.OK),
            ("test-ops", HttpMethod.Get, $"/api/cases/{caseId}", null, HttpStatusCode.OK),
            ("test-health", HttpMethod.Post, $"/api/cases/{caseId}/withdraw", new { reason = "x" }, HttpStatusCode.Forbidden),
            ("test-portal", HttpMethod.Get, "/api/items", null, HttpStatusCode.OK),
            ("test-police", HttpMethod.Get, "/api/items/newborn", null, HttpStatusCode.OK),
            ("not-a-key", HttpMethod.Get, "/api/items", null, HttpStatusCode.Unauthorized),
            ("test-portal", HttpMethod.Get, "/api/cases/cdoesnotexist", null, HttpStatusCode.NotFound),
            ("test-portal", HttpMethod.Get, "/api/items/no-such-item", null, HttpStatusCode.NotFound),
        ];

        foreach (var (key, method, path, body, expected) in matrix)
        {
            using var client = fixture.Api.CreateClient(key);
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await client.SendAsync(request);
            Assert.True(expected == response.StatusCode, $"{key} {method} {path}: expected {expected}, got {response.StatusCode}");
        }
        Assert.Equal("Ready", CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "birth-certificate").GetProperty("status").GetString());
    }

    public static TheoryData<string, string> BadApplications() => new()
    {
        { "applicant.idNumber", """{"applicant":{"kind":"person","name":"张三","idNumber":"110105194912310021","phone":"13800138000"}}""" },
        { "applicant.idNumber", """{"applicant":{"kind":"person","name":"张三","idNumber":"12345","phone":"13800138000"}}""" },
        { "applicant.kind", """{"applicant":{"kind":"enterprise","name":"某公司","creditCode":"91350100M000100Y43"}}""" },
        { "applicant.phone", """{"applicant":{"kind":"person","name":"张三","idNumber":"11010519491231002X","phone":"12345"}}""" },
        { "applicant.name", """{"applicant":{"kind":"person","name":"","idNumber":"11010519491231002X"}}""" },
        { "channel", """{"channel":"fax"}""" },
        { "form.babyName", """{"form":{"babyName":null}}""" },
        { "form.birthDate", """{"form":{"birthDate":"2026-02-30"}}""" },
        { "form.babyGender", """{"form":{"babyGender":"unknown-value"}}""" },
        { "form.motherIdNumber", """{"form":{"motherIdNumber":"11010519491231002Y"}}""" },
        { "form.noSuchField", """{"form":{"noSuchField":"x"}}""" },
        { "materials", """{"materials":[]}""" },
        { "materials[0].uri", """{"materials":[{"code":"mother-id-card","uri":"not a uri"}]}""" },
        { "materials[0].code", """{"materials":[{"code":"no-such-material","uri":"https://x.example/a.pdf"}]}""" },
        { "optionalMatters", """{"optionalMatters":["birth-certificate"]}""" },
        { "delivery.address", """{"delivery":{"method":"mail"}}""" },
        { "itemCode", """{"itemCode":"no-such-item"}""" },
        { "region", $$"""{"region":"{{new string('x', 65)}}"}""" },
        { "region", """{"region":42}""" },
    };

    [Theory]
    [MemberData(nameof(BadApplications))]
    public async Task BadApplicationIs400NamingTheFieldAndStoresNothing(string field, string patch)
    {
        var seed = Interlocked.Increment(ref _seed);
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), seed);
        foreach (var (name, value) in JsonNode.Parse(patch)!.AsObject())
        {
            if (name == "form" && value is JsonObject formPatch)
            {
                foreach (var (formField, formValue) in formPatch)
                {
                    application["form"]![formField] = formValue?.DeepClone();
                }
            }
            else
            {
                application[name] = value?.DeepClone();
            }
        }

        var (status, problem) = await _driver.SubmitAsync(application);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for {field}: {problem}");
        var stored = await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_applicant_cases WHERE applicant_hash = @hash",
            ("hash", TestPrivacyKeys.Keys.ApplicantIndex.KeyOf(TestIdentities.IdNumber(seed))));
        Assert.Equal(0L, stored);
    }

    [Theory]
    [InlineData("not json at all", "body")]
    [InlineData("[1,2,3]", "body")]
    [InlineData("", "body")]
    public async Task MalformedBodyIs400(string body, string field)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _driver.Portal.PostAsync(new Uri("/api/cases", UriKind.Relative), content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task BodyOverOneMebibyteIsRefused()
    {
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), Interlocked.Increment(ref _seed));
        application["form"]!["babyName"] = new string('x', 1024 * 1024 + 10);

        var (status, problem) = await _driver.SubmitAsync(application);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("11010519491231002Y")]
    public async Task MalformedApplicantNumberInTheCaseListIs400(string applicant)
    {
        using var response = await _driver.Portal.GetAsync(new Uri($"/api/cases?applicant={applicant}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task UnknownInboxStatusIs400()
    {
        using var response = await _driver.Department("health").GetAsync(new Uri("/api/departments/health/tasks?status=Sleeping", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
