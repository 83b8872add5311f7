using System.Diagnostics;
using System.Runtime.ExceptionServices;
using OneThing.Grains.Diagnostics;

namespace OneThing.Api.Hosting;

/// <summary>
/// Notes when the client loses a gateway connection (a silo died or left), so that a call left unanswered meanwhile
/// can be told from a slow one.
/// </summary>
public sealed class GatewayLossWatch : IClusterConnectionStatusObserver
{
    private long _lastLoss = long.MinValue;

    /// <summary>A gateway connection was lost at or after <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public bool LostSince(long timestamp) => Interlocked.Read(ref _lastLoss) >= timestamp;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Interlocked.Exchange(ref _lastLoss, Stopwatch.GetTimestamp());
        }
    }

    public void NotifyClusterConnectionLost() => Interlocked.Exchange(ref _lastLoss, Stopwatch.GetTimestamp());
}

/// <summary>
/// Sends a grain call again, within <c>OneThing:Cluster:CallRetryAttempts</c> and <c>:CallRetryBudget</c>, when it
/// failed because a silo died (<see cref="SiloLossRetry"/>); past the budget the failure reaches the client as a 503.
/// </summary>
public sealed partial class SiloLossRetryFilter(ClusterSettings settings, GatewayLossWatch gateways, ILogger<SiloLossRetryFilter> logger)
    : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var first = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
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
            var decision = SiloLossRetry.Decide(failure, attempt, Stopwatch.GetElapsedTime(first), gateways.LostSince(started),
                settings.CallRetryAttempts, settings.CallRetryBudget);
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
            await Task.Delay(decision.Delay);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain call {Interface}.{Method} failed after a silo was lost (attempt {Attempt}, {Failure}); sending it again{Repeats}")]
    private partial void LogRetry(string @interface, string method, int attempt, string failure, string repeats);
}
