using System.Net;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Cases;

[Collection(TwoSiloClusterCollection.Name)]
public sealed class PrivacyTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public async Task IdentityNumbersAndPhonesNeverReachTheLogs()
    {
        var driver = new CaseDriver(fixture.Api);
        const int seed = 880_001;
        const string phone = "13912345678";
        var application = CaseDriver.SampleApplication(await driver.ItemAsync("newborn"), seed);
        application["applicant"]!["phone"] = phone;
        var (created, view) = await driver.SubmitAsync(application, $"privacy-{Guid.NewGuid()}");
        await driver.RunToEndAsync(view.GetProperty("caseId").GetString()!);
        application["form"]!["birthDate"] = "not a date";
        var (rejected, _) = await driver.SubmitAsync(application);

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(HttpStatusCode.BadRequest, rejected);
        Assert.NotEmpty(CapturedLogs.All);
        var idNumber = TestIdentities.IdNumber(seed);
        Assert.DoesNotContain(CapturedLogs.All, line => line.Contains(idNumber, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(CapturedLogs.All, line => line.Contains(phone, StringComparison.Ordinal));
    }
}
