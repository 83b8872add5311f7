using Orleans.Runtime.Messaging;

namespace OneThing.Api.Hosting;

/// <summary>What the API does with a grain call that failed: retry it after a pause, or let the failure through.</summary>
public readonly record struct RetryDecision(bool Retry, TimeSpan Delay)
{
    public static RetryDecision GiveUp { get; } = new(false, TimeSpan.Zero);
}

/// <summary>
/// When a failed grain call is retried. Every operation is idempotent, so a call that failed because the silo
/// holding its grain (or the gateway carrying it) died is sent again once the cluster has moved the grain, instead
/// of becoming a 503 for the client. Failures that say nothing about a lost silo (a refusal, a database error, an
/// overloaded gateway) are never retried here.
/// </summary>
public static class SiloLossRetry
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(1);

    /// <param name="failure">What the attempt failed with.</param>
    /// <param name="attempt">1 for the first call, 2 for the first retry…</param>
    /// <param name="elapsed">Since the first attempt started.</param>
    /// <param name="clusterChanged">
    /// The cluster changed since the attempt started (a gateway connection lost, a silo suspected or declared dead:
    /// <see cref="ClusterChangeWatch"/>): a time-out then means the answer died with a silo, not that the grain is slow.
    /// </param>
    public static RetryDecision Decide(Exception failure, int attempt, TimeSpan elapsed, bool clusterChanged, int maxAttempts, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (attempt >= maxAttempts || elapsed >= budget || !IsSiloLoss(failure, clusterChanged))
        {
            return RetryDecision.GiveUp;
        }
        // Doubling from 100 ms to 1 s: a gateway that vanished is replaced at once, a grain on a dead silo only once
        // membership declares the silo dead (OneThing:Cluster:ProbeTimeout × MissedProbesLimit on the silos).
        var delay = TimeSpan.FromTicks(Math.Min(LongestDelay.Ticks, FirstDelay.Ticks << Math.Min(attempt - 1, 10)));
        var left = budget - elapsed;
        return new RetryDecision(true, delay < left ? delay : left);
    }

    /// <summary>
    /// A call left unanswered while the cluster has not changed (yet): worth waiting, within the budget, for the
    /// membership to declare a silo dead before deciding. Silos declare a dead one after about
    /// <c>OneThing:Cluster:ProbeTimeout</c> × <c>MissedProbesLimit</c>, longer than one attempt's response timeout.
    /// </summary>
    public static bool AwaitsClusterChange(Exception failure, bool clusterChanged) =>
        !clusterChanged && !IsSiloLoss(failure, clusterChanged: false) && IsSiloLoss(failure, clusterChanged: true);

    /// <summary>
    /// The failures a dead silo causes: its calls rejected (<see cref="SiloUnavailableException"/> and other
    /// <see cref="OrleansMessageRejectionException"/>s, such as a forward to a silo that no longer answers), a
    /// connection to a gateway that is gone, and — only when the cluster changed meanwhile — a call left unanswered,
    /// whether the time-out struck in the client or in a silo (a message that expired while the silo placed its grain,
    /// waiting on the directory of a dead silo, comes back as an <see cref="OperationCanceledException"/>; the API
    /// passes no cancellation to grain calls, so no such exception is the caller's own).
    /// </summary>
    public static bool IsSiloLoss(Exception failure, bool clusterChanged)
    {
        for (var current = failure; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case OrleansMessageRejectionException:
                case ConnectionFailedException:
                case Orleans.Networking.Shared.SocketConnectionException:
                case TimeoutException when clusterChanged:
                case OperationCanceledException when clusterChanged:
                    return true;
            }
        }
        return false;
    }
}
