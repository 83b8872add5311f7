using OneThing.Contracts.Cases;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Common;
using OneThing.Grains.Events;

namespace OneThing.Grains.Cases;

/// <summary>
/// Deadlines: one Orleans reminder per open case, always pointing at the case's next deadline event
/// (<see cref="DeadlinePolicy"/>). Reminders are loaded into silo memory and ticks missed while the cluster was down are
/// never replayed, so every activation and every tick re-evaluates all deadlines against the clock; flags are raised
/// once, so repeated ticks change nothing.
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
        await LoadAsync(cancellationToken);
        if (Exists)
        {
            // The projection and the deadlines below both read the definition.
            _item ??= await ResolveItemAsync(S.ItemCode!, S.ItemRegion, S.ItemVersion, cancellationToken);
            // If the last activation died between its events' write and its snapshot, or before its rows were
            // acknowledged, the rows catch up now.
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

    public Task<Outcome<CaseView>> ResolveEscalationAsync(string resolvedBy, string resolution, EventActor actor) =>
        DecideAndCommitAsync(new ResolveEscalation(resolvedBy, resolution, actor));

    /// <summary>The deadline policy at the current time; with nothing due, only re-arms the reminder.</summary>
    private async Task EvaluateDeadlinesAsync()
    {
        if (IsEnded)
        {
            await DisarmAsync();
            return;
        }
        var decision = Decide(new CheckDeadlines());
        if (decision.IsUnchanged)
        {
            await ArmReminderAsync(clock.GetUtcNow());
            return;
        }
        await CommitAsync(decision);
    }

    /// <summary>
    /// Points the case's reminder at its next deadline event. Registering is a database write, so it happens only
    /// when the reminder would otherwise fire too late (or not at all); one that fires early re-evaluates and re-arms.
    /// </summary>
    private async Task ArmReminderAsync(DateTimeOffset now)
    {
        var next = DeadlinePolicy.NextEvent(S);
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
