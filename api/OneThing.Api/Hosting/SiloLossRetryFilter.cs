using System.Runtime.ExceptionServices;
using OneThing.Grains.Diagnostics;

namespace OneThing.Api.Hosting;

/// <summary>
/// Sends a grain call again, within <c>OneThing:Cluster:CallRetryAttempts</c> and <c>:CallRetryBudget</c>, when it
/// failed because a silo died (<see cref="SiloLossRetry"/>); past the budget the failure reaches the client as a 503.
/// </summary>
public sealed partial class SiloLossRetryFilter(ClusterSettings settings, ClusterChangeWatch cluster, TimeProvider clock, ILogger<SiloLossRetryFilter> logger)
    : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var first = clock.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            Exception? failure;
            try
            {
                await context.Invoke();
                // A grain's exception comes back in the response rather than thrown.
                failure = context.Response?.Exception;
            }
            catch (Exception thrown)
            {
                failure = thrown;
            }
            if (failure is null)
            {
                return;
            }
            // Since the first attempt, not this one: a retry sent after the membership declared the silo dead can still
            // meet a stale route to it, and no further change will come to excuse its time-out.
            var changed = cluster.ChangedSince(first);
            if (SiloLossRetry.AwaitsClusterChange(failure, changed))
            {
                // Unanswered while nothing changed yet: the silo may be dead and not yet declared so. Wait, within the
                // budget, for the membership to say so; a slow cluster that stays whole fails once the budget is spent.
                changed = await cluster.WaitForChangeSinceAsync(first, settings.CallRetryBudget - clock.GetElapsedTime(first));
            }
            var decision = SiloLossRetry.Decide(failure, attempt, clock.GetElapsedTime(first), changed, settings.CallRetryAttempts, settings.CallRetryBudget);
            if (!decision.Retry)
            {
                if (context.Response?.Exception != failure)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }
                return;
            }
            if (LogThrottle.Default.ShouldLog("silo-loss-retry", out var repeated))
            {
                LogRetry(context.InterfaceName, context.MethodName, attempt, failure.GetType().Name, repeated.Note);
            }
            await Task.Delay(decision.Delay, clock);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain call {Interface}.{Method} failed after a silo was lost (attempt {Attempt}, {Failure}); sending it again{Repeats}")]
    private partial void LogRetry(string @interface, string method, int attempt, string failure, string repeats);
}
