using OneThing.Grains.Common;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// Deadlines: one Orleans reminder per open case, always pointing at the case's next deadline event. Reminders are
/// loaded into silo memory and ticks missed while the cluster was down are never replayed, so every activation and
/// every tick re-evaluates all deadlines against the clock; flags are set once, so repeated ticks change nothing.
/// </summary>
public sealed partial class CaseGrain : IRemindable
{
    public const string DeadlineReminder = "deadline";

    // Orleans caps a reminder's due time and period near 49 days; statutory limits can be longer, so re-arm.
    private static readonly TimeSpan LongestReminderWait = TimeSpan.FromDays(45);

    /// <summary>The deadline event the reminder currently points at (this activation's knowledge).</summary>
    private DateTimeOffset? _armedFor;
    private bool _armedThisActivation;

    /// <summary>The reminder as this activation last registered it: removing it by this handle needs no table read.</summary>
    private IGrainReminder? _reminder;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ReplayJournalAsync(cancellationToken);
        if (Exists)
        {
            // First: the projection and the deadlines below both read the definition.
            await ResolveItemAsync(cancellationToken);
            // If the last activation died between the case's write and its rows' write, the rows catch up now.
            await WriteReadModelsAsync(all: true);
        }
        if (Exists && !IsEnded)
        {
            // A deadline that passed while no silo ran fires now, not at some later tick.
            await EvaluateDeadlinesAsync();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!Exists || IsEnded)
        {
            await DisarmAsync();
            return;
        }
        await EvaluateDeadlinesAsync();
    }

    public async Task<CaseView?> CheckDeadlinesAsync()
    {
        if (!Exists)
        {
            return null;
        }
        await EvaluateDeadlinesAsync();
        return View();
    }

    public async Task<Outcome<CaseView>> ResolveEscalationAsync(string resolvedBy, string resolution)
    {
        if (!Exists || S.Escalation is null)
        {
            return Outcome<CaseView>.NotFound("No such case at the fallback desk.");
        }
        if (S.Escalation.ResolvedAt is not null)
        {
            return S.Escalation.ResolvedBy == resolvedBy && S.Escalation.Resolution == resolution
                ? Outcome<CaseView>.Ok(View())
                : Outcome<CaseView>.Conflict("This escalation was already resolved.");
        }
        var now = clock.GetUtcNow();
        return await CommitAsync(() =>
        {
            S.Escalation = S.Escalation with { ResolvedAt = now, ResolvedBy = resolvedBy, Resolution = resolution };
            Record(now, "EscalationResolved", resolvedBy, resolution);
            return Task.FromResult(Outcome<CaseView>.Ok(View()));
        });
    }

    private async Task EvaluateDeadlinesAsync()
    {
        if (IsEnded)
        {
            await DisarmAsync();
            return;
        }
        var now = clock.GetUtcNow();

        var lapsed = S.DeferredMaterials.FirstOrDefault(d => d.SuppliedAt is null && now >= d.PromisedBy);
        if (lapsed is not null)
        {
            await CommitAsync(() =>
            {
                S.Status = CaseStatus.Rejected;
                S.StatusReason = $"容缺受理: material {lapsed.Code} was promised by {lapsed.PromisedBy:yyyy-MM-dd HH:mm zzz} and did not arrive.";
                S.CompletedAt = now;
                CancelOpenTasks(now, "The case ended: a deferred material did not arrive in time.");
                Record(now, "CaseRejected", SystemActor, S.StatusReason);
                return Task.FromResult(true);
            });
            return;
        }

        var flagged = new List<MatterState>();
        var timeline = new List<(string Type, string Detail)>();
        string? escalate = null;
        if (S.PausedSince is null && S.DueAt is { } due)
        {
            if (!S.Warning && S.WarningAt is { } warnAt && now >= warnAt)
            {
                S.Warning = true;
                timeline.Add(("DeadlineWarning", $"Case due {due:yyyy-MM-dd HH:mm zzz}"));
            }
            if (!S.Overdue && now >= due)
            {
                S.Overdue = S.Warning = true;
                timeline.Add(("Overdue", $"Case was due {due:yyyy-MM-dd HH:mm zzz}"));
                escalate ??= $"The case passed its deadline ({due:yyyy-MM-dd HH:mm zzz}).";
            }
        }
        foreach (var matter in S.Matters.Where(m => m.Status is DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
        {
            var name = Item.FindMatter(matter.Code)!;
            var before = (matter.Warning, matter.Overdue);
            if (!matter.Warning && matter.WarningAt is { } warnAt && now >= warnAt)
            {
                matter.Warning = true;
                timeline.Add(("DeadlineWarning", $"{name.Name} ({name.Department}) due {matter.DueAt:yyyy-MM-dd HH:mm zzz}"));
            }
            if (!matter.Overdue && matter.DueAt is { } matterDue && now >= matterDue)
            {
                matter.Overdue = matter.Warning = true;
                timeline.Add(("Overdue", $"{name.Name} ({name.Department}) was due {matterDue:yyyy-MM-dd HH:mm zzz}"));
                escalate ??= $"{name.Name} ({name.Department}) passed its deadline ({matterDue:yyyy-MM-dd HH:mm zzz}).";
            }
            if (before != (matter.Warning, matter.Overdue))
            {
                flagged.Add(matter);
            }
        }

        if (timeline.Count == 0)
        {
            await ArmReminderAsync(now);
            return;
        }

        await CommitAsync(() =>
        {
            foreach (var (type, detail) in timeline)
            {
                Record(now, type, SystemActor, detail);
            }
            if (escalate is not null && S.Escalation is null)
            {
                S.Escalation = new Escalation(now, escalate);
                Record(now, "Escalated", SystemActor, $"To the fallback desk (办不成事窗口): {escalate}");
            }
            // The inbox shows the flags too, and an overdue task counts against its department.
            flagged.ForEach(Touch);
            return Task.FromResult(true);
        });
    }

    /// <summary>The earliest deadline event still to come: warnings, deadlines, 容缺 promises. Null when none.</summary>
    private DateTimeOffset? NextDeadlineEvent()
    {
        if (IsEnded)
        {
            return null;
        }
        var events = new List<DateTimeOffset>();
        if (S.PausedSince is null)
        {
            AddIf(!S.Warning, S.WarningAt);
            AddIf(!S.Overdue, S.DueAt);
        }
        foreach (var matter in S.Matters.Where(m => m.Status is DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted))
        {
            AddIf(!matter.Warning, matter.WarningAt);
            AddIf(!matter.Overdue, matter.DueAt);
        }
        events.AddRange(S.DeferredMaterials.Where(d => d.SuppliedAt is null).Select(d => d.PromisedBy));
        return events.Count == 0 ? null : events.Min();

        void AddIf(bool pending, DateTimeOffset? at)
        {
            if (pending && at is { } value)
            {
                events.Add(value);
            }
        }
    }

    /// <summary>
    /// Points the case's reminder at its next deadline event. Registering is a database write, so it happens only
    /// when the reminder would otherwise fire too late (or not at all); one that fires early re-evaluates and re-arms.
    /// </summary>
    private async Task ArmReminderAsync(DateTimeOffset now)
    {
        var next = NextDeadlineEvent();
        if (next is null)
        {
            await DisarmAsync();
            return;
        }
        if (_armedThisActivation && _armedFor is { } armed && armed > now && armed <= next)
        {
            return;
        }
        var wait = next.Value - now;
        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }
        if (wait > LongestReminderWait)
        {
            wait = LongestReminderWait;
        }
        // Each tick re-arms to the next event, so the period only matters if a tick's re-arm is lost: keep it minimal.
        _reminder = await this.RegisterOrUpdateReminder(DeadlineReminder, wait, reminderOptions.Value.MinimumReminderPeriod);
        _armedFor = now + wait;
        _armedThisActivation = true;
    }

    private async Task DisarmAsync()
    {
        if (_armedThisActivation && _armedFor is null)
        {
            return;
        }
        if (_reminder is not null)
        {
            try
            {
                await this.UnregisterReminder(_reminder);
            }
            catch (ReminderException)
            {
                // Another activation re-registered it since (a duplicate during a silo's failure): remove the current row.
                _reminder = null;
            }
        }
        if (_reminder is null && await this.GetReminder(DeadlineReminder) is { } stored)
        {
            await this.UnregisterReminder(stored);
        }
        _reminder = null;
        _armedFor = null;
        _armedThisActivation = true;
    }
}
