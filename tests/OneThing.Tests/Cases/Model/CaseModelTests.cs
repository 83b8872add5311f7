using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Legacy;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;
using static OneThing.Tests.Cases.Model.CaseModel;

namespace OneThing.Tests.Cases.Model;

/// <summary>The case's rules, decided and folded without a cluster: each test runs in milliseconds.</summary>
public sealed class CaseModelTests
{
    private static readonly ItemDefinition Newborn = Item("newborn");
    private static readonly ItemDefinition Retirement = Item("retirement");
    private static readonly ItemDefinition Restaurant = Item("open-restaurant");

    // Submission.

    [Fact]
    public void SubmissionRecordsTheCaseItsPromisesAndReadiesTheMattersWithoutDependencies()
    {
        // No date from the applicant: the default promise.
        var application = Application(Restaurant, leaveOut: ["food-safety-rules"], deferred: [new DeferredMaterial("food-safety-rules", default)]);

        var (decision, state) = Run(new CaseState(), application, Monday, Restaurant);

        Assert.Equal(["CaseSubmitted", "DeferredMaterialPromised", "TaskReady", "TaskReady", "TaskReady"], Types(decision));
        Assert.Equal(Enumerable.Range(1, decision.Events.Count), decision.Events.Select(e => e.Seq));
        Assert.All(decision.Events, e => Assert.Equal(CaseId, e.CaseId));
        Assert.Equal(["business-licence", "outdoor-signage", "fire-safety-inspection"], decision.Events.Where(e => e.Data is TaskReady).Select(e => e.MatterCode));
        var submitted = Assert.IsType<CaseSubmitted>(decision.Events[0].Data);
        Assert.DoesNotContain("tobacco-retail-licence", submitted.Matters);
        Assert.Equal(CaseStatus.InProgress, state.Status);
        Assert.Equal(DepartmentTaskStatus.Waiting, Matter(state, "food-business-licence").Status);
        Assert.Equal(decision.Events.Count, state.Seq);
        Assert.Equal(WorkingDays.DueAt(Monday, CaseDecisions.DefaultPromise), Assert.Single(state.DeferredMaterials).PromisedBy);
    }

    [Fact]
    public void CaseAndTasksAreDueByTheWorkingDayCalendar()
    {
        var (decision, state) = Run(new CaseState(), Application(Newborn), Monday, Newborn);

        var due = WorkingDays.DueAt(Monday, Newborn.TimeLimit);
        Assert.Equal(due, state.DueAt);
        Assert.Equal(WorkingDays.WarningAt(Monday, due, Newborn.TimeLimit), state.WarningAt);
        var birth = Newborn.FindMatter("birth-certificate")!;
        var ready = Assert.IsType<TaskReady>(decision.Events.Single(e => e.MatterCode == "birth-certificate").Data);
        var birthDue = WorkingDays.DueAt(Monday, birth.TimeLimit);
        Assert.Equal((birthDue, WorkingDays.WarningAt(Monday, birthDue, birth.TimeLimit)), (ready.DueAt, ready.WarningAt));
        Assert.Equal(birthDue, Matter(state, "birth-certificate").DueAt);
        Assert.False(state.Warning || state.Overdue);
    }

    [Fact]
    public void OptionalMatterRunsOnlyWhenTheApplicantChoosesIt()
    {
        var state = Submitted(Restaurant, application: Application(Restaurant, optionalMatters: ["tobacco-retail-licence"]));

        Assert.Equal(DepartmentTaskStatus.Waiting, Matter(state, "tobacco-retail-licence").Status);
        Assert.Equal(["tobacco-retail-licence"], state.OptionalMatters);
    }

    [Theory]
    [InlineData("birth-certificate")]
    [InlineData("no-such-matter")]
    public void OptionalMatterTheItemDoesNotOfferIsInvalid(string matter)
    {
        var (decision, state) = Run(new CaseState(), Application(Newborn, optionalMatters: [matter]), Monday, Newborn);

        Assert.Equal(OutcomeKind.Invalid, decision.Refusal);
        Assert.Contains(matter, Assert.Single(decision.FieldErrors!["optionalMatters"]), StringComparison.Ordinal);
        Assert.Empty(decision.Events);
        Assert.Null(state.ItemCode);
    }

    [Fact]
    public void SubmittingTheSameCaseAgainIsAConflict()
    {
        var state = Submitted(Newborn);

        Assert.Equal(OutcomeKind.Conflict, Run(state, Application(Newborn), Monday, Newborn).Decision.Refusal);
    }

    // Department actions.

    [Fact]
    public void AcceptingTwiceRecordsOneAcceptance()
    {
        var state = Submitted(Retirement);

        var (first, _) = Run(state, Accept(Retirement, "housing-fund-freeze"), Monday, Retirement);
        var (second, after) = Run(state, Accept(Retirement, "housing-fund-freeze"), Monday.AddMinutes(1), Retirement);

        Assert.Equal(["TaskAccepted"], Types(first));
        Assert.True(second.IsUnchanged);
        Assert.Equal(DepartmentTaskStatus.Accepted, Matter(after, "housing-fund-freeze").Status);
        Assert.Single(after.Timeline, entry => entry.Type == "TaskAccepted");
    }

    [Fact]
    public void CompletionMustCarryExactlyTheDeclaredOutputs()
    {
        var state = Submitted(Retirement);

        var (decision, after) = Run(state, Complete(Retirement, "housing-fund-freeze",
            new Dictionary<string, string> { ["housingFundFreezeReference"] = "F-1", ["unexpected"] = "x" }), Monday, Retirement);

        Assert.Equal(OutcomeKind.Invalid, decision.Refusal);
        Assert.Equal(["outputs.housingFundBalance", "outputs.unexpected"], decision.FieldErrors!.Keys.Order());
        Assert.Equal(DepartmentTaskStatus.Ready, Matter(after, "housing-fund-freeze").Status);
    }

    [Fact]
    public void CompletionHandsItsOutputsAndTheApplicationToTheMattersThatWaitedForIt()
    {
        var state = Submitted(Newborn);
        Assert.Equal(DepartmentTaskStatus.Waiting, Matter(state, "household-registration").Status);

        var (birth, _) = Run(state, Complete(Newborn, "birth-certificate"), Monday, Newborn);

        Assert.Equal(["TaskCompleted", "TaskReady", "TaskReady"], Types(birth));
        Assert.Equal(["birth-certificate", "household-registration", "vaccination-certificate"], birth.Events.Select(e => e.MatterCode));
        var household = Matter(state, "household-registration");
        Assert.Equal(DepartmentTaskStatus.Ready, household.Status);
        Assert.Equal("birthCertificateNumber-birth-certificate", household.Inputs["birthCertificateNumber"]);
        Assert.Equal("babyName-value", household.Inputs["babyName"]);

        Run(state, Complete(Newborn, "household-registration"), Monday, Newborn);

        var insurance = Matter(state, "residents-medical-insurance");
        Assert.Equal(DepartmentTaskStatus.Ready, insurance.Status);
        Assert.Equal("citizenIdNumber-household-registration", insurance.Inputs["citizenIdNumber"]);
        Assert.Equal("张三", insurance.Inputs["applicant.name"]);
        Assert.Equal(DepartmentTaskStatus.Waiting, Matter(Submitted(Newborn), "residents-medical-insurance").Status);
    }

    [Theory]
    [InlineData("newborn")]
    [InlineData("open-restaurant")]
    [InlineData("company-info-change")]
    [InlineData("company-deregistration")]
    [InlineData("retirement")]
    public void LastCompletionCompletesTheCaseAndEveryMatterWaitedForItsDependencies(string itemCode)
    {
        var item = Item(itemCode);

        var ended = RunToEnd(Submitted(item), item, Monday);

        Assert.Equal(CaseStatus.Completed, ended.Status);
        Assert.All(ended.Matters, m => Assert.Equal(DepartmentTaskStatus.Completed, m.Status));
        Assert.Equal(item.Matters.Where(m => !m.Optional).SelectMany(m => m.Outputs).Distinct().Order(), ended.Outputs.Keys.Order());
        Assert.Equal("Submitted", ended.Timeline[0].Type);
        Assert.Equal("CaseCompleted", ended.Timeline[^1].Type);
        int SeqOf(string type, string matter) => ended.Timeline.Single(t => t.Type == type && t.MatterCode == matter).Seq!.Value;
        foreach (var matter in item.Matters.Where(m => !m.Optional))
        {
            foreach (var dependency in matter.DependsOn.Where(d => !item.FindMatter(d)!.Optional))
            {
                Assert.True(SeqOf("TaskReady", matter.Code) > SeqOf("TaskCompleted", dependency), $"{matter.Code} was Ready before {dependency} completed");
            }
        }
    }

    [Fact]
    public void RepeatedCompletionWithTheSameOutputsIsUnchangedAndWithOthersAConflict()
    {
        var state = Submitted(Newborn);
        Run(state, Complete(Newborn, "birth-certificate"), Monday, Newborn);

        var same = Run(state, Complete(Newborn, "birth-certificate"), Monday, Newborn).Decision;
        var other = Run(state, Complete(Newborn, "birth-certificate",
            new Dictionary<string, string> { ["birthCertificateNumber"] = "different" }), Monday, Newborn).Decision;

        Assert.True(same.IsUnchanged);
        Assert.Equal(OutcomeKind.Conflict, other.Refusal);
        Assert.Single(state.Timeline, t => t.Type == "TaskCompleted");
    }

    [Fact]
    public void ActingOnAWaitingTaskIsAConflict()
    {
        var decision = Run(Submitted(Newborn), Accept(Newborn, "household-registration"), Monday, Newborn).Decision;

        Assert.Equal(OutcomeKind.Conflict, decision.Refusal);
        Assert.Contains("Waiting", decision.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherDepartmentMayNotActOnTheTask()
    {
        var action = new ActOnTask("birth-certificate", new TaskAction(TaskActionKind.Accept, "police"), Department("police"));

        Assert.Equal(OutcomeKind.Forbidden, Run(Submitted(Newborn), action, Monday, Newborn).Decision.Refusal);
    }

    [Fact]
    public void UnknownMatterOrCaseIsNotFound()
    {
        var action = new ActOnTask("no-such-matter", new TaskAction(TaskActionKind.Accept, "health"), Department("health"));

        Assert.Equal(OutcomeKind.NotFound, Run(Submitted(Newborn), action, Monday, Newborn).Decision.Refusal);
        Assert.Equal(OutcomeKind.NotFound, Run(new CaseState(), Accept(Newborn, "birth-certificate"), Monday, Newborn).Decision.Refusal);
    }

    [Fact]
    public void RejectedMatterCancelsEveryOpenTaskAndRejectsTheCase()
    {
        var state = Submitted(Restaurant);

        var (decision, after) = Run(state, Reject(Restaurant, "outdoor-signage", "招牌面积超出规定"), Monday, Restaurant);

        Assert.Equal(["TaskRejected", "TaskCancelled", "TaskCancelled", "TaskCancelled", "CaseRejected"], Types(decision));
        Assert.Equal(["business-licence", "food-business-licence", "fire-safety-inspection"],
            decision.Events.Where(e => e.Data is TaskCancelled).Select(e => e.MatterCode));
        Assert.Equal(CaseStatus.Rejected, after.Status);
        Assert.Contains("招牌面积超出规定", after.StatusReason, StringComparison.Ordinal);
        Assert.Equal(DepartmentTaskStatus.Rejected, Matter(after, "outdoor-signage").Status);
        Assert.Equal(OutcomeKind.Conflict, Run(after, Complete(Restaurant, "business-licence"), Monday, Restaurant).Decision.Refusal);
    }

    [Fact]
    public void SupplementRequestForAMaterialTheItemLacksIsInvalid()
    {
        var decision = Run(Submitted(Retirement), RequestSupplement(Retirement, "pension-application", "bank-card", "no-such-material"),
            Monday, Retirement).Decision;

        Assert.Equal(OutcomeKind.Invalid, decision.Refusal);
        Assert.Contains("no-such-material", Assert.Single(decision.FieldErrors!["materials"]), StringComparison.Ordinal);
    }

    [Fact]
    public void OneSupplementRequestNamesEveryMaterialAndStopsTheClock()
    {
        var state = Submitted(Retirement);
        var at = Monday.AddHours(1);

        var (first, _) = Run(state, RequestSupplement(Retirement, "pension-application", "personnel-file", "bank-card"), at, Retirement);
        var repeat = Run(state, RequestSupplement(Retirement, "pension-application", "bank-card", "personnel-file"), at.AddHours(1), Retirement).Decision;
        var different = Run(state, RequestSupplement(Retirement, "pension-application", "bank-card"), at.AddHours(1), Retirement).Decision;

        var requested = Assert.IsType<SupplementRequested>(Assert.Single(first.Events).Data);
        Assert.Equal(["personnel-file", "bank-card"], requested.Materials);
        Assert.True(repeat.IsUnchanged);
        Assert.Equal(OutcomeKind.Conflict, different.Refusal);
        Assert.Equal(CaseStatus.AwaitingSupplement, state.Status);
        Assert.Equal(at, state.PausedSince);
        Assert.Equal(DepartmentTaskStatus.AwaitingSupplement, Matter(state, "pension-application").Status);
    }

    // Supply.

    [Fact]
    public void SupplyAnsweringTheRequestMovesTheDeadlinesByThePauseAndReturnsTheTask()
    {
        var state = Submitted(Retirement);
        var pausedAt = Monday.AddHours(1);
        Run(state, Accept(Retirement, "pension-application"), pausedAt, Retirement);
        Run(state, RequestSupplement(Retirement, "pension-application", "personnel-file", "bank-card"), pausedAt, Retirement);
        var (caseDue, taskDue, readyAt) = (state.DueAt!.Value, Matter(state, "pension-application").DueAt!.Value, Matter(state, "pension-application").ReadyAt);
        var resumedAt = Monday.AddDays(2);
        var supply = new Supply(new SupplyMaterials([Material("personnel-file"), Material("bank-card")],
            new Dictionary<string, string> { ["bankAccount"] = "6222020000000000001" }), Portal);

        var (decision, after) = Run(state, supply, resumedAt, Retirement);

        Assert.Equal(["SupplementProvided", "DeadlineMoved", "DeadlineMoved", "TaskReady"], Types(decision));
        Assert.True(Assert.IsType<SupplementProvided>(decision.Events[0].Data).AnswersRequest);
        Assert.Equal([null, "pension-application", "pension-application"], decision.Events.Skip(1).Select(e => e.MatterCode));
        Assert.True(Assert.IsType<TaskReady>(decision.Events[3].Data).Returned);
        var paused = WorkingDays.WorkingTimeBetween(pausedAt, resumedAt);
        Assert.Equal(WorkingDays.AddWorkingTime(caseDue, paused), after.DueAt);
        var pension = Matter(after, "pension-application");
        Assert.Equal(WorkingDays.AddWorkingTime(taskDue, paused), pension.DueAt);
        Assert.Equal((DepartmentTaskStatus.Ready, readyAt), (pension.Status, pension.ReadyAt));
        Assert.Equal("6222020000000000001", pension.Inputs["bankAccount"]);
        Assert.Equal((CaseStatus.InProgress, (DateTimeOffset?)null), (after.Status, after.PausedSince));
        Assert.Equal(resumedAt, pension.Supplement!.SuppliedAt);
    }

    [Fact]
    public void PartialSupplyIsInvalidNamingWhatIsStillMissing()
    {
        var state = Submitted(Retirement);
        Run(state, RequestSupplement(Retirement, "pension-application", "personnel-file", "bank-card"), Monday, Retirement);

        var (decision, after) = Run(state, Supply("personnel-file"), Monday.AddHours(1), Retirement);

        Assert.Equal(OutcomeKind.Invalid, decision.Refusal);
        Assert.Equal("Still missing: bank-card.", Assert.Single(decision.FieldErrors!["materials"]));
        Assert.Equal(CaseStatus.AwaitingSupplement, after.Status);
    }

    [Fact]
    public void SupplyWithNothingRequestedOrDeferredIsAConflict()
    {
        Assert.Equal(OutcomeKind.Conflict, Run(Submitted(Retirement), Supply("bank-card"), Monday, Retirement).Decision.Refusal);
        Assert.Equal(OutcomeKind.NotFound, Run(new CaseState(), Supply("bank-card"), Monday, Retirement).Decision.Refusal);
    }

    [Fact]
    public void DeferredMaterialDeliveredKeepsThePromiseAndTheCaseRunning()
    {
        var promisedBy = Monday.AddDays(3);
        var state = Submitted(Restaurant, application: Application(Restaurant, leaveOut: ["food-safety-rules"],
            deferred: [new DeferredMaterial("food-safety-rules", promisedBy)]));

        var (decision, after) = Run(state, Supply("food-safety-rules"), Monday.AddDays(1), Restaurant);

        Assert.Equal(["SupplementProvided", "DeferredMaterialDelivered"], Types(decision));
        Assert.False(Assert.IsType<SupplementProvided>(decision.Events[0].Data).AnswersRequest);
        Assert.Equal(Monday.AddDays(1), Assert.Single(after.DeferredMaterials).SuppliedAt);
        Assert.Contains(after.Materials, m => m.Code == "food-safety-rules");
        var check = Run(after, new CheckDeadlines(), promisedBy.AddMinutes(1), Restaurant).Decision;
        Assert.DoesNotContain(check.Events, e => e.Data is DeferredMaterialLapsed or CaseRejected);
        Assert.Equal(CaseStatus.InProgress, after.Status);
    }

    // Withdrawal and evaluation.

    [Fact]
    public void WithdrawalCancelsOpenTasksAndARepeatChangesNothing()
    {
        var state = Submitted(Retirement);

        var (decision, after) = Run(state, new Withdraw("不再办理", Portal), Monday, Retirement);
        var again = Run(after, new Withdraw("不再办理", Portal), Monday, Retirement).Decision;

        Assert.Equal(["TaskCancelled", "TaskCancelled", "TaskCancelled", "TaskCancelled", "CaseWithdrawn"], Types(decision));
        Assert.Equal((CaseStatus.Withdrawn, "不再办理"), (after.Status, after.StatusReason));
        Assert.All(after.Matters, m => Assert.Equal(DepartmentTaskStatus.Cancelled, m.Status));
        Assert.True(again.IsUnchanged);
        Assert.Equal(OutcomeKind.Conflict, Run(after, Accept(Retirement, "pension-application"), Monday, Retirement).Decision.Refusal);
    }

    [Fact]
    public void CompletedCaseCannotBeWithdrawn()
    {
        var ended = RunToEnd(Submitted(Retirement), Retirement, Monday);

        Assert.Equal(OutcomeKind.Conflict, Run(ended, new Withdraw(null, Portal), Monday, Retirement).Decision.Refusal);
    }

    [Fact]
    public void EvaluationIsTakenOnceAndOnlyAfterTheCaseEnded()
    {
        var state = Submitted(Retirement);
        var early = Run(state, new Evaluate(5, "非常满意", Portal), Monday, Retirement).Decision;
        RunToEnd(state, Retirement, Monday);

        var (first, after) = Run(state, new Evaluate(5, "非常满意", Portal), Monday.AddHours(1), Retirement);
        var same = Run(after, new Evaluate(5, "非常满意", Portal), Monday.AddHours(2), Retirement).Decision;
        var changed = Run(after, new Evaluate(1, null, Portal), Monday.AddHours(2), Retirement).Decision;

        Assert.Equal(OutcomeKind.Conflict, early.Refusal);
        Assert.Equal(["CaseEvaluated"], Types(first));
        Assert.Equal(new Evaluation(5, "非常满意", Monday.AddHours(1)), after.Evaluation);
        Assert.True(same.IsUnchanged);
        Assert.Equal(OutcomeKind.Conflict, changed.Refusal);
    }

    [Fact]
    public void ALowRatingOpensTheDesksFollowUpDueInWorkingDaysAndItsResolutionIsOnTheTimeline()
    {
        var ended = RunToEnd(Submitted(Retirement), Retirement, Monday);
        // Friday 2026-04-03 10:00; 4/4–4/6 are the Qingming holiday: 3 working days are 4/7, 4/8, 4/9.
        var friday = new DateTimeOffset(2026, 4, 3, 10, 0, 0, TimeSpan.FromHours(8));

        var (rated, state) = Run(ended, new Evaluate(2, "太慢", Portal, new TimeLimit(WorkingDays: 3)), friday, Retirement);

        Assert.Equal(["CaseEvaluated", "LowRatingFollowUpOpened"], Types(rated));
        Assert.Equal(new LowRatingFollowUp(friday, new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.FromHours(8))), state.LowRatingFollowUp);
        var ops = new EventActor("ops", "test-ops");
        var (resolved, after) = Run(state, new ResolveLowRating("窗口 王丽", "已回访", ops), friday.AddDays(1), Retirement);
        Assert.Equal(["LowRatingResolved"], Types(resolved));
        Assert.Equal("已回访", after.LowRatingFollowUp!.Resolution);
        Assert.Equal("已回访", after.Timeline[^1].Detail);
        Assert.Equal("LowRatingResolved", after.Timeline[^1].Type);
        Assert.True(Run(after, new ResolveLowRating("窗口 王丽", "已回访", ops), friday.AddDays(2), Retirement).Decision.IsUnchanged);
        Assert.Equal(OutcomeKind.Conflict, Run(after, new ResolveLowRating("窗口 王丽", "另一答复", ops), friday.AddDays(2), Retirement).Decision.Refusal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void OtherRatingsOpenNoFollowUp(int rating)
    {
        var ended = RunToEnd(Submitted(Retirement), Retirement, Monday);
        var (decision, state) = Run(ended, new Evaluate(rating, null, Portal), Monday.AddHours(1), Retirement);
        Assert.Equal(["CaseEvaluated"], Types(decision));
        Assert.Null(state.LowRatingFollowUp);
        Assert.Equal(OutcomeKind.NotFound, Run(state, new ResolveLowRating("x", "y", Portal), Monday.AddHours(2), Retirement).Decision.Refusal);
    }

    [Fact]
    public void EscalationIsResolvedOnce()
    {
        var state = Submitted(Retirement);
        var resolve = new ResolveEscalation("窗口 王丽", "联系人社部门加急办理", new EventActor("ops", "test-ops"));
        Assert.Equal(OutcomeKind.NotFound, Run(state, resolve, Monday, Retirement).Decision.Refusal);
        Run(state, new CheckDeadlines(), state.DueAt!.Value.AddMinutes(1), Retirement);
        Assert.NotNull(state.Escalation);

        var (first, after) = Run(state, resolve, state.DueAt!.Value.AddHours(1), Retirement);
        var same = Run(after, resolve, state.DueAt!.Value.AddHours(2), Retirement).Decision;
        var other = Run(after, resolve with { Resolution = "另行处理" }, state.DueAt!.Value.AddHours(2), Retirement).Decision;

        Assert.Equal(["EscalationResolved"], Types(first));
        Assert.Equal(("窗口 王丽", "联系人社部门加急办理"), (after.Escalation!.ResolvedBy, after.Escalation.Resolution));
        Assert.True(same.IsUnchanged);
        Assert.Equal(OutcomeKind.Conflict, other.Refusal);
    }

    // Properties of every decision.

    [Fact]
    public void EveryEventNamesTheMatterItConcernsAndThatMattersDepartment()
    {
        var state = Submitted(Retirement);
        var events = new List<CaseEvent>();
        foreach (var command in new CaseCommand[]
        {
            Accept(Retirement, "pension-application"),
            RequestSupplement(Retirement, "pension-application", "bank-card"),
            Supply("bank-card"),
            Complete(Retirement, "pension-application"),
            Complete(Retirement, "housing-fund-freeze"),
            Complete(Retirement, "housing-fund-withdrawal"),
            Complete(Retirement, "medical-insurance-change"),
            new Evaluate(4, null, Portal),
        })
        {
            var (decision, _) = Run(state, command, Monday.AddHours(events.Count), Retirement);
            Assert.False(decision.IsRefused, decision.Error);
            events.AddRange(decision.Events);
        }

        Assert.Equal(CaseStatus.Completed, state.Status);
        Assert.Equal(Enumerable.Range(state.Seq - events.Count + 1, events.Count), events.Select(e => e.Seq));
        foreach (var e in events)
        {
            if (e.Data is TaskReady or TaskAccepted or TaskCompleted or TaskRejected or TaskCancelled or SupplementRequested)
            {
                Assert.NotNull(e.MatterCode);
                Assert.Equal(Retirement.FindMatter(e.MatterCode)!.Department, e.Department);
                Assert.Equal($"{CaseId}.{e.MatterCode}", e.TaskId);
            }
            else if (e.Data is not DeadlineMoved)
            {
                Assert.True(e.MatterCode is null && e.Department is null, $"{e.Type} is about the case, not about {e.MatterCode}");
            }
        }
        Assert.All(events.Where(e => e.Data is TaskAccepted or TaskCompleted), e => Assert.Equal(e.Department, e.Actor.Department));
    }

    [Fact]
    public void DecideNeverChangesTheStateItIsGiven()
    {
        var waiting = Submitted(Retirement);
        Run(waiting, RequestSupplement(Retirement, "pension-application", "bank-card"), Monday, Retirement);
        var promised = Submitted(Restaurant, application: Application(Restaurant, leaveOut: ["food-safety-rules"],
            deferred: [new DeferredMaterial("food-safety-rules", Monday.AddDays(1))]));
        (CaseState State, CaseCommand Command, ItemDefinition Item)[] cases =
        [
            (Submitted(Newborn), Complete(Newborn, "birth-certificate"), Newborn),
            (Submitted(Restaurant), Reject(Restaurant, "outdoor-signage", "招牌面积超出规定"), Restaurant),
            (waiting, Supply("bank-card"), Retirement),
            (Submitted(Retirement), new Withdraw(null, Portal), Retirement),
            (Submitted(Retirement), new CheckDeadlines(), Retirement),
            (promised, new CheckDeadlines(), Restaurant),
            (promised, Supply("food-safety-rules"), Restaurant),
        ];

        foreach (var (state, command, item) in cases)
        {
            var before = CaseStateJson.ToElement(state).GetRawText();

            var decision = CaseDecisions.Decide(state, CaseId, command, Monday.AddDays(30), item, WorkingDays);

            Assert.NotEmpty(decision.Events);
            Assert.Equal(before, CaseStateJson.ToElement(state).GetRawText());
        }
    }
}
