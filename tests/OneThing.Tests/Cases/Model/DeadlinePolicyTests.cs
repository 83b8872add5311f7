using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;
using static OneThing.Tests.Cases.Model.CaseModel;

namespace OneThing.Tests.Cases.Model;

/// <summary>Warnings, deadlines, escalations and 容缺 promises, decided at chosen times without a clock or a reminder.</summary>
public sealed class DeadlinePolicyTests
{
    private static readonly ItemDefinition Retirement = Item("retirement");
    private static readonly ItemDefinition Restaurant = Item("open-restaurant");

    [Fact]
    public void NothingIsDueRightAfterSubmission()
    {
        Assert.True(Run(Submitted(Retirement), new CheckDeadlines(), Monday.AddMinutes(1), Retirement).Decision.IsUnchanged);
    }

    [Fact]
    public void WarningThenOverdueFireOnceEachAndEscalateOnce()
    {
        var state = Submitted(Retirement);
        var (warnAt, due) = (state.WarningAt!.Value, state.DueAt!.Value);
        var events = new List<CaseEvent>();

        var (warned, _) = Run(state, new CheckDeadlines(), warnAt, Retirement);
        events.AddRange(warned.Events);
        var warnedAgain = Run(state, new CheckDeadlines(), warnAt, Retirement).Decision;
        Assert.Contains(warned.Events, e => e.Data is DeadlineWarning && e.MatterCode is null);
        Assert.DoesNotContain(warned.Events, e => e.Data is Overdue && e.MatterCode is null);
        Assert.True(warnedAgain.IsUnchanged);
        Assert.True(state.Warning);
        Assert.False(state.Overdue);

        var (overdue, _) = Run(state, new CheckDeadlines(), due.AddMinutes(1), Retirement);
        events.AddRange(overdue.Events);
        var overdueAgain = Run(state, new CheckDeadlines(), due.AddMinutes(1), Retirement).Decision;

        Assert.True(overdueAgain.IsUnchanged);
        Assert.Single(events, e => e.Data is DeadlineWarning && e.MatterCode is null);
        Assert.Equal(due, Assert.IsType<Overdue>(Assert.Single(events, e => e.Data is Overdue && e.MatterCode is null).Data).DueAt);
        Assert.Single(events, e => e.Data is Escalated);
        Assert.All(events.Where(e => e.Data is Overdue).GroupBy(e => e.MatterCode), group => Assert.Single(group));
        Assert.True(state.Overdue && state.Warning);
        Assert.True(Matter(state, "pension-application").Overdue);
        Assert.False(string.IsNullOrEmpty(state.Escalation!.Reason));
    }

    [Fact]
    public void DeadlinesMissedLongAgoFireTogetherInOneDecision()
    {
        var state = Submitted(Retirement);

        var (decision, _) = Run(state, new CheckDeadlines(), Monday.AddDays(30), Retirement);

        Assert.Equal(["DeadlineWarning", "Overdue"], decision.Events.Where(e => e.MatterCode is null && e.Data is not Escalated).Select(e => e.Type));
        Assert.Equal("Escalated", decision.Events[^1].Type);
        Assert.Contains("The case passed its deadline", state.Escalation!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeadlineClockPausesWhileSupplementIsOutstanding()
    {
        var state = Submitted(Retirement);
        var pausedAt = Monday.AddHours(1);
        Run(state, Accept(Retirement, "pension-application"), pausedAt, Retirement);
        Run(state, RequestSupplement(Retirement, "pension-application", "personnel-file"), pausedAt, Retirement);
        var (caseDue, pensionDue) = (state.DueAt!.Value, Matter(state, "pension-application").DueAt!.Value);

        // Far past the original deadline: the stopped clocks flag nothing (the task not waiting for the applicant runs on).
        var resumedAt = Monday.AddDays(20);
        var (paused, _) = Run(state, new CheckDeadlines(), resumedAt, Retirement);

        Assert.DoesNotContain(paused.Events, e => e.Data is DeadlineWarning or Overdue && e.MatterCode is null or "pension-application");
        Assert.Contains(paused.Events, e => e.Data is Overdue && e.MatterCode == "housing-fund-freeze");
        Assert.False(state.Overdue);
        Assert.Null(DeadlinePolicy.NextEvent(state));

        Run(state, Supply("personnel-file"), resumedAt, Retirement);

        var pausedWorkingTime = WorkingDays.WorkingTimeBetween(pausedAt, resumedAt);
        Assert.Equal(WorkingDays.AddWorkingTime(caseDue, pausedWorkingTime), state.DueAt);
        Assert.Equal(WorkingDays.AddWorkingTime(pensionDue, pausedWorkingTime), Matter(state, "pension-application").DueAt);
        Assert.True(state.DueAt > resumedAt);
        Run(state, new CheckDeadlines(), resumedAt, Retirement);
        Assert.False(state.Overdue);
        Assert.False(Matter(state, "pension-application").Overdue);
    }

    [Fact]
    public void DeferredMaterialThatNeverArrivesEndsTheCaseRejected()
    {
        var promisedBy = Monday.AddDays(3);
        var state = Submitted(Restaurant, application: Application(Restaurant, leaveOut: ["food-safety-rules"],
            deferred: [new DeferredMaterial("food-safety-rules", promisedBy)]));
        Assert.True(Run(state, new CheckDeadlines(), promisedBy.AddMinutes(-1), Restaurant).Decision.Events.All(e => e.Data is DeadlineWarning or Overdue or Escalated));

        var (decision, after) = Run(state, new CheckDeadlines(), promisedBy.AddMinutes(1), Restaurant);

        Assert.Equal(["DeferredMaterialLapsed", "TaskCancelled", "TaskCancelled", "TaskCancelled", "TaskCancelled", "CaseRejected"], Types(decision));
        Assert.Equal(CaseStatus.Rejected, after.Status);
        Assert.Contains("food-safety-rules", after.StatusReason, StringComparison.Ordinal);
        Assert.All(after.Matters, m => Assert.Equal(DepartmentTaskStatus.Cancelled, m.Status));
        Assert.True(Run(after, new CheckDeadlines(), promisedBy.AddDays(1), Restaurant).Decision.IsUnchanged);
    }

    [Fact]
    public void NextEventIsTheEarliestPendingWarningOrDeadline()
    {
        var state = Submitted(Retirement);
        var freeze = Matter(state, "housing-fund-freeze");
        var candidates = state.Matters.SelectMany(m => new[] { m.WarningAt, m.DueAt }).Append(state.WarningAt).Append(state.DueAt)
            .OfType<DateTimeOffset>();

        Assert.Equal(candidates.Min(), DeadlinePolicy.NextEvent(state));
        Assert.Equal(freeze.WarningAt, DeadlinePolicy.NextEvent(state));

        Run(state, new CheckDeadlines(), freeze.WarningAt!.Value, Retirement);

        Assert.Equal(freeze.DueAt, DeadlinePolicy.NextEvent(state));
    }

    [Fact]
    public void NextEventIsAPromiseWhenItFallsFirst()
    {
        var promisedBy = Monday.AddHours(2);
        var state = Submitted(Restaurant, application: Application(Restaurant, leaveOut: ["food-safety-rules"],
            deferred: [new DeferredMaterial("food-safety-rules", promisedBy)]));

        Assert.Equal(promisedBy, DeadlinePolicy.NextEvent(state));
    }

    [Fact]
    public void EndedCaseHasNoDeadlines()
    {
        var state = Submitted(Retirement);
        Run(state, new Withdraw(null, Portal), Monday, Retirement);

        Assert.Null(DeadlinePolicy.NextEvent(state));
        Assert.True(Run(state, new CheckDeadlines(), Monday.AddDays(30), Retirement).Decision.IsUnchanged);
        Assert.Null(DeadlinePolicy.NextEvent(new CaseState()));
    }
}
