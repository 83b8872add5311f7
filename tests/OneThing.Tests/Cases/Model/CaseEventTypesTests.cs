using System.Text.Json;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Events;

namespace OneThing.Tests.Cases.Model;

/// <summary>Stored events are kept for years: their JSON must read back, old shapes included.</summary>
public sealed class CaseEventTypesTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));

    /// <summary>One event of every type, each member set.</summary>
    private static readonly CaseEventData[] OneOfEach =
    [
        new CaseSubmitted("newborn", 2, "chongqing", "chongqing", "online", At.AddDays(5), At.AddDays(4), ["birth-certificate"], [],
            ["mother-id-card"], new SubmittedApplication(new Applicant("person", "张三", "sealed-id", null, "sealed-phone"),
                new Dictionary<string, string> { ["babyName"] = "张小三" },
                [new MaterialRef("mother-id-card", "https://files.example.gov.cn/a.pdf", new string('a', 64))],
                new Delivery("mail", "重庆市渝中区"), "fingerprint")),
        new CaseCompleted(),
        new CaseRejected("招牌面积超出规定"),
        new CaseWithdrawn("不再办理"),
        new CaseEvaluated(5, "非常满意"),
        new TaskReady(At.AddDays(1), At, ["babyName", "applicant.name"], Returned: true),
        new TaskAccepted(),
        new TaskCompleted(new Dictionary<string, string> { ["birthCertificateNumber"] = "B-1" }),
        new TaskRejected("材料不符"),
        new TaskCancelled("The applicant withdrew the case."),
        new SupplementRequested(["bank-card", "personnel-file"], "档案缺页"),
        new SupplementProvided(["bank-card"], ["bankAccount"], true,
            new SuppliedApplication([new MaterialRef("bank-card", "https://files.example.gov.cn/b.pdf", null)],
                new Dictionary<string, string> { ["bankAccount"] = "6222" })),
        new DeadlineWarning(At.AddDays(5)),
        new Overdue(At.AddDays(5)),
        new Escalated("The case passed its deadline."),
        new EscalationResolved("窗口 王丽", "联系人社部门加急办理"),
        new DeadlineMoved(At.AddDays(7), At.AddDays(6)),
        new DeferredMaterialPromised("food-safety-rules", At.AddDays(3)),
        new DeferredMaterialDelivered("food-safety-rules"),
        new DeferredMaterialLapsed("food-safety-rules", At.AddDays(3)),
        new CaseImported(7, JsonSerializer.SerializeToElement(new { itemCode = "newborn", timeline = new[] { "x" } })),
        new LowRatingFollowUpOpened(At.AddDays(7)),
        new LowRatingResolved("窗口 王丽", "已回访，整改办理流程"),
    ];

    [Fact]
    public void TheSamplesCoverEveryKnownType()
    {
        Assert.Equal(CaseEventTypes.Names.Order(), OneOfEach.Select(CaseEventTypes.NameOf).Order());
    }

    [Fact]
    public void EveryTypeRoundTripsThroughItsJson()
    {
        foreach (var data in OneOfEach)
        {
            var json = CaseEventTypes.Serialize(data);

            var back = CaseEventTypes.Deserialize(CaseEventTypes.NameOf(data), CaseEventTypes.CurrentVersion(data), json);

            Assert.IsType(data.GetType(), back);
            // Records holding lists compare by reference, so compare what would be stored.
            Assert.Equal(json, CaseEventTypes.Serialize(back));
        }
    }

    [Fact]
    public void JsonWrittenBeforeAnOptionalMemberExistedStillReads()
    {
        var ready = Assert.IsType<TaskReady>(CaseEventTypes.Deserialize("TaskReady", 1, """{"dueAt":"2026-03-03T00:00:00+08:00","inputs":["babyName"]}"""));
        var moved = Assert.IsType<DeadlineMoved>(CaseEventTypes.Deserialize("DeadlineMoved", 1, """{"dueAt":"2026-03-03T00:00:00+08:00"}"""));
        var evaluated = Assert.IsType<CaseEvaluated>(CaseEventTypes.Deserialize("CaseEvaluated", 1, """{"rating":4}"""));

        Assert.False(ready.Returned);
        Assert.Null(ready.WarningAt);
        Assert.Equal(["babyName"], ready.Inputs);
        Assert.Null(moved.WarningAt);
        Assert.Equal((4, (string?)null), (evaluated.Rating, evaluated.Comment));
    }

    [Fact]
    public void MembersAddedByALaterVersionAreIgnored()
    {
        var rejected = CaseEventTypes.Deserialize("CaseRejected", 1, """{"reason":"材料不符","reviewedBy":"窗口 王丽","score":3}""");

        Assert.Equal(new CaseRejected("材料不符"), rejected);
    }

    [Fact]
    public void AnUnknownTypeIsRefusedByName()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CaseEventTypes.Deserialize("CaseTeleported", 1, "{}"));

        Assert.Contains("'CaseTeleported'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AVersionNewerThanThisSiloKnowsIsRefused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CaseEventTypes.Deserialize("CaseRejected", 2, """{"reason":"x"}"""));

        Assert.Equal("Event type CaseRejected version 2 is newer than this silo knows (1).", error.Message);
    }

    [Fact]
    public void AnOlderVersionWithoutAnUpcasterIsRefused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CaseEventTypes.Deserialize("CaseRejected", 0, """{"reason":"x"}"""));

        Assert.Contains("No upcaster for event type CaseRejected version 0", error.Message, StringComparison.Ordinal);
    }
}
