using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Tasks;

namespace OneThing.Tests.Cases;

/// <summary>Data minimisation as a rule: what one department may read of a case. No cluster, no database.</summary>
public sealed class DepartmentCaseViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static readonly ItemDefinition Item = new("sample", "样例一件事", 1, "individual", "health", new TimeLimit(WorkingDays: 10), [], [],
    [
        Matter("certificate", "health", [], ["applicant.name", "babyName"], ["certificateNumber"]),
        Matter("registration", "police", ["certificate"], ["applicant.idNumber", "certificateNumber", "householdAddress"], ["householdNumber"]),
        Matter("insurance", "medical-insurance", ["registration"], ["applicant.phone", "householdNumber"], ["insuranceNumber"]),
    ]);

    private static readonly Applicant Applicant = new("person", "张三", "11010519491231002X", null, "13800138000");

    [Fact]
    public void ADepartmentSeesOnlyTheApplicantDataItsDispatchedMattersDeclare()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.Ready, DepartmentTaskStatus.Waiting);

        var police = DepartmentCaseView.For(full, Item, "police");

        Assert.Equal(new Applicant("person", null, Applicant.IdNumber, null, null), police.Applicant);
    }

    [Fact]
    public void FormValuesAndOutputsAreOnlyTheDeclaredOnesAndWhatItProducedItself()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.Completed, DepartmentTaskStatus.Ready);

        var police = DepartmentCaseView.For(full, Item, "police");

        Assert.Equal(["householdAddress"], police.Form.Keys);
        Assert.Equal(["certificateNumber", "householdNumber"], police.Outputs.Keys.Order());
    }

    [Fact]
    public void OtherDepartmentsTasksShowTheirProgressWithoutTheirData()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.AwaitingSupplement, DepartmentTaskStatus.Waiting);

        var insurance = DepartmentCaseView.For(full, Item, "medical-insurance");

        var registration = insurance.Tasks.Single(t => t.Department == "police");
        Assert.Equal(DepartmentTaskStatus.AwaitingSupplement, registration.Status);
        Assert.Equal(full.Tasks[1].DueAt, registration.DueAt);
        Assert.Empty(registration.Inputs);
        Assert.Empty(registration.Outputs);
        Assert.Null(registration.Supplement);
        Assert.Empty(insurance.Tasks.Single(t => t.Department == "health").Outputs);
    }

    [Fact]
    public void ItsOwnTasksKeepTheInputsTheyWereHanded()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.Ready, DepartmentTaskStatus.Waiting);

        var police = DepartmentCaseView.For(full, Item, "police");

        Assert.Equal(full.Tasks[1], police.Tasks[1]);
    }

    [Fact]
    public void ADepartmentWhoseTasksAreAllStillWaitingSeesNoPersonalData()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.Ready, DepartmentTaskStatus.Waiting);

        var insurance = DepartmentCaseView.For(full, Item, "medical-insurance");

        Assert.Equal(new Applicant("person", null, null, null, null), insurance.Applicant);
        Assert.Empty(insurance.Form);
        Assert.Empty(insurance.Outputs);
        Assert.Empty(insurance.Materials);
        Assert.Equal(new Delivery("mail", null), insurance.Delivery);
        Assert.All(insurance.Tasks, t => Assert.Empty(t.Inputs));
        Assert.All(insurance.Tasks, t => Assert.Empty(t.Outputs));
    }

    [Fact]
    public void AMatterCancelledBeforeItWasDispatchedOpensNothing()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.Rejected, DepartmentTaskStatus.Cancelled);

        var insurance = DepartmentCaseView.For(full, Item, "medical-insurance");

        Assert.Null(insurance.Applicant.Phone);
        Assert.Empty(insurance.Materials);
    }

    [Fact]
    public void ADispatchedDepartmentSeesTheMaterialsButNotTheDeliveryAddress()
    {
        var full = Case(DepartmentTaskStatus.Ready, DepartmentTaskStatus.Waiting, DepartmentTaskStatus.Waiting);

        var health = DepartmentCaseView.For(full, Item, "health");

        Assert.Equal(full.Materials, health.Materials);
        Assert.Equal(new Delivery("mail", null), health.Delivery);
    }

    [Fact]
    public void TheTimelineKeepsEveryEntryButOnlyTheDetailsTheDepartmentOrTheSystemWrote()
    {
        var full = Case(DepartmentTaskStatus.Completed, DepartmentTaskStatus.Cancelled, DepartmentTaskStatus.Cancelled) with
        {
            Timeline =
            [
                new(Now, "TaskCompleted", "health", "出生医学证明"),
                new(Now, "TaskReady", CaseGrain.SystemActor, "户口登记 → police"),
                new(Now, "Withdrawn", CaseGrain.PortalActor, "搬家到上海，电话13800138000"),
            ],
            StatusReason = "搬家到上海，电话13800138000",
            Evaluation = new Evaluation(2, "张三很不满意", Now),
        };

        var police = DepartmentCaseView.For(full, Item, "police");
        var health = DepartmentCaseView.For(full, Item, "health");

        Assert.Equal([null, "户口登记 → police", null], police.Timeline.Select(e => e.Detail));
        Assert.Equal(["出生医学证明", "户口登记 → police", null], health.Timeline.Select(e => e.Detail));
        Assert.Equal(full.Timeline.Select(e => (e.At, e.Type, e.Actor)), police.Timeline.Select(e => (e.At, e.Type, e.Actor)));
        Assert.Null(police.StatusReason);
        Assert.Equal(new Evaluation(2, null, Now), police.Evaluation);
    }

    [Fact]
    public void ADeclaredDeliveryAddressIsShown()
    {
        var item = Item with { Matters = [.. Item.Matters.Select(m => m.Department == "health" ? m with { Inputs = [DepartmentCaseView.DeliveryAddressInput] } : m)] };
        var full = Case(DepartmentTaskStatus.Ready, DepartmentTaskStatus.Waiting, DepartmentTaskStatus.Waiting);

        Assert.Equal(full.Delivery, DepartmentCaseView.For(full, item, "health").Delivery);
    }

    private static MatterDefinition Matter(string code, string department, IReadOnlyList<string> dependsOn, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs) =>
        new(code, code, department, dependsOn, false, new TimeLimit(WorkingDays: 3), inputs, outputs);

    /// <summary>The sample case with its three matters in the given states, holding what such states hold.</summary>
    private static CaseView Case(DepartmentTaskStatus certificate, DepartmentTaskStatus registration, DepartmentTaskStatus insurance)
    {
        var form = new Dictionary<string, string> { ["babyName"] = "张小宝", ["householdAddress"] = "北京市海淀区某路1号", ["contactPhone"] = "13900001111" };
        var outputs = new Dictionary<string, string>();
        if (certificate == DepartmentTaskStatus.Completed)
        {
            outputs["certificateNumber"] = "C123";
        }
        if (registration == DepartmentTaskStatus.Completed)
        {
            outputs["householdNumber"] = "H456";
        }
        var values = new Dictionary<string, string>(form) { ["applicant.name"] = Applicant.Name!, ["applicant.idNumber"] = Applicant.IdNumber!, ["applicant.phone"] = Applicant.Phone! };
        foreach (var (name, value) in outputs)
        {
            values[name] = value;
        }
        var tasks = Item.Matters.Zip([certificate, registration, insurance], (matter, status) =>
        {
            var dispatched = status is not (DepartmentTaskStatus.Waiting or DepartmentTaskStatus.Cancelled);
            var inputs = dispatched ? matter.Inputs.Where(values.ContainsKey).ToDictionary(name => name, name => values[name]) : [];
            var produced = status == DepartmentTaskStatus.Completed ? matter.Outputs.ToDictionary(name => name, name => outputs[name]) : [];
            return new TaskView(TaskIds.For("case-1", matter.Code), "case-1", matter.Code, matter.Name, matter.Department, status,
                dispatched ? Now : null, dispatched ? Now.AddDays(3) : null, status == DepartmentTaskStatus.Completed ? Now : null,
                produced, inputs, status == DepartmentTaskStatus.AwaitingSupplement ? new SupplementRequest(["id-card"], "照片不清", Now) : null,
                status == DepartmentTaskStatus.Rejected ? "户籍信息不符" : null, Item.Code, false);
        }).ToList();
        return new CaseView("case-1", Item.Code, 1, "110000", "online", CaseStatus.InProgress, Now, Now.AddDays(14), null, false, false,
            Applicant, tasks, [new(Now, "Submitted", CaseGrain.PortalActor, "样例一件事 v1 via online")], outputs, form,
            [new MaterialRef("id-card", "https://files.example.gov.cn/1/id-card.pdf", null)], [], new Delivery("mail", "北京市海淀区某路1号"),
            null, null);
    }
}
