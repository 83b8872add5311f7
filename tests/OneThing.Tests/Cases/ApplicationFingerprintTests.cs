using OneThing.Api.Cases;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;

namespace OneThing.Tests.Cases;

/// <summary>
/// A stored case keeps the fingerprint of the application that created it, and a retry with the same Idempotency-Key
/// is compared against it. The fingerprint's spelling must therefore never change, or retries across an upgrade
/// would be refused as conflicts.
/// </summary>
public sealed class ApplicationFingerprintTests
{
    [Fact]
    public void AnApplicationsFingerprintIsTheOneEarlierVersionsStored()
    {
        var application = new SubmitCase(
            ItemCode: "newborn",
            Channel: "online",
            Region: "chongqing",
            Applicant: new Applicant("person", "张三", "11010519491231002X", null, "13800138000"),
            Form: new Dictionary<string, string> { ["babyName"] = "张小明", ["note"] = "<b>&'\"</b>" },
            Materials: [new MaterialRef("birth-proof", "https://files.example/出生.pdf", null)],
            OptionalMatters: ["childcare-subsidy"],
            Delivery: new Delivery("post", "重庆市渝中区"),
            Fingerprint: "ignored",
            ItemVersion: 2);

        Assert.Equal("2cf43e288e7fa3beae0cc457f00730a04a3593b842d531763af87fde36c65d27", ApplicationReader.Fingerprint(application));
    }
}
