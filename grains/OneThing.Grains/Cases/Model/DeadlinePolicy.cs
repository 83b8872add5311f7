using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases.Model;

/// <summary>
/// The deadline rules, pure: which warnings, overdue flags, escalations and lapsed 容缺 promises are due at a given
/// time, and when the next one falls. Each flag is raised once, so deciding again at the same time causes nothing.
/// </summary>
public static class DeadlinePolicy
{
    internal static Decision Decide(Draft draft)
    {
        var (s, now) = (draft.State, draft.Now);
        if (s.ItemCode is null || CaseDecisions.IsEnded(s))
        {
            return Decision.Unchanged;
        }

        if (s.DeferredMaterials.FirstOrDefault(d => d.SuppliedAt is null && now >= d.PromisedBy) is { } lapsed)
        {
            draft.Emit(EventActor.System, new DeferredMaterialLapsed(lapsed.Code, lapsed.PromisedBy));
            CaseDecisions.CancelOpenTasks(draft, "The case ended: a deferred material did not arrive in time.");
            draft.Emit(EventActor.System, new CaseRejected(
                $"容缺受理: material {lapsed.Code} was promised by {lapsed.PromisedBy:yyyy-MM-dd HH:mm zzz} and did not arrive."));
            return draft.Decision();
        }

        string? escalate = null;
        if (s.PausedSince is null && s.DueAt is { } due)
        {
            if (!s.Warning && s.WarningAt is { } warnAt && now >= warnAt)
            {
                draft.Emit(EventActor.System, new DeadlineWarning(due));
            }
            if (!s.Overdue && now >= due)
            {
                draft.Emit(EventActor.System, new Overdue(due));
                escalate = $"The case passed its deadline ({due:yyyy-MM-dd HH:mm zzz}).";
            }
        }
        foreach (var matter in s.Matters.Where(m => m.Status is DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
        {
            if (!matter.Warning && matter.WarningAt is { } warnAt && now >= warnAt && matter.DueAt is { } dueAt)
            {
                draft.Emit(EventActor.System, new DeadlineWarning(dueAt), matter.Code);
            }
            if (!matter.Overdue && matter.DueAt is { } matterDue && now >= matterDue)
            {
                draft.Emit(EventActor.System, new Overdue(matterDue), matter.Code);
                var definition = draft.Item.FindMatter(matter.Code)!;
                escalate ??= $"{definition.Name} ({definition.Department}) passed its deadline ({matterDue:yyyy-MM-dd HH:mm zzz}).";
            }
        }
        if (escalate is not null && s.Escalation is null)
        {
            draft.Emit(EventActor.System, new Escalated(escalate));
        }
        return draft.Decision();
    }

    /// <summary>The earliest deadline event still to come: warnings, deadlines, 容缺 promises. Null when none.</summary>
    public static DateTimeOffset? NextEvent(CaseState s)
    {
        if (s.ItemCode is null || CaseDecisions.IsEnded(s))
        {
            return null;
        }
        DateTimeOffset? next = null;
        if (s.PausedSince is null)
        {
            Consider(!s.Warning, s.WarningAt);
            Consider(!s.Overdue, s.DueAt);
        }
        foreach (var matter in s.Matters.Where(m => m.Status is DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
        {
            Consider(!matter.Warning, matter.WarningAt);
            Consider(!matter.Overdue, matter.DueAt);
        }
        foreach (var promise in s.DeferredMaterials.Where(d => d.SuppliedAt is null))
        {
            Consider(true, promise.PromisedBy);
        }
        return next;

        void Consider(bool pending, DateTimeOffset? at)
        {
            if (pending && at is { } value && (next is null || value < next))
            {
                next = value;
            }
        }
    }

    /// <summary>A due time moved later by a 补正 pause: by working time for working-day limits, by the elapsed time otherwise.</summary>
    public static DateTimeOffset MoveByPause(WorkingCalendar calendar, DateTimeOffset due, DateTimeOffset pausedSince, DateTimeOffset resumedAt, TimeLimit limit) =>
        limit.WorkingDays is not null
            ? calendar.AddWorkingTime(due, calendar.WorkingTimeBetween(pausedSince, resumedAt))
            : due + (resumedAt - pausedSince);
}
