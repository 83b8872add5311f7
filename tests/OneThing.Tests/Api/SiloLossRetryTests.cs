using OneThing.Api.Hosting;
using OneThing.Grains.Common;
using Orleans.Runtime.Messaging;

namespace OneThing.Tests.Api;

/// <summary>Which failed grain calls the API sends again, and for how long: the rule alone, without a cluster.</summary>
public sealed class SiloLossRetryTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    public static TheoryData<Exception> SiloLosses() =>
    [
        new SiloUnavailableException("The target silo became unavailable"),
        new SiloUnavailableException("Forwarding failed: the target silo is not answering"),
        new ConnectionFailedException("Unable to connect to 127.0.0.1:30001"),
        new Orleans.Networking.Shared.SocketConnectionException("Connection refused"),
        new InvalidOperationException("wrapped", new SiloUnavailableException()),
    ];

    [Theory]
    [MemberData(nameof(SiloLosses))]
    public void ACallRejectedBecauseItsSiloDiedIsSentAgain(Exception failure) =>
        Assert.True(SiloLossRetry.Decide(failure, attempt: 1, TimeSpan.Zero, clusterChanged: false, maxAttempts: 20, Budget).Retry);

    [Fact]
    public void AnUnansweredCallIsSentAgainOnlyWhenASiloWasLostMeanwhile()
    {
        Assert.True(SiloLossRetry.Decide(new TimeoutException(), 1, TimeSpan.FromSeconds(8), clusterChanged: true, 20, Budget).Retry);
        Assert.False(SiloLossRetry.Decide(new TimeoutException(), 1, TimeSpan.FromSeconds(8), clusterChanged: false, 20, Budget).Retry);
        // A message that expired in a silo while it placed the grain, waiting on the dead silo's part of the directory.
        var expired = new OperationCanceledException("Message expired before placement could complete for grain case/x.");
        Assert.True(SiloLossRetry.Decide(expired, 1, TimeSpan.FromSeconds(4), clusterChanged: true, 20, Budget).Retry);
        Assert.True(SiloLossRetry.AwaitsClusterChange(expired, clusterChanged: false));
    }

    [Fact]
    public void AnUnansweredCallWaitsForTheClusterToChangeBeforeItIsDecided()
    {
        Assert.True(SiloLossRetry.AwaitsClusterChange(new TimeoutException(), clusterChanged: false));
        Assert.False(SiloLossRetry.AwaitsClusterChange(new TimeoutException(), clusterChanged: true));
        Assert.False(SiloLossRetry.AwaitsClusterChange(new SiloUnavailableException(), clusterChanged: false));
        Assert.False(SiloLossRetry.AwaitsClusterChange(new InvalidOperationException(), clusterChanged: false));
    }

    public static TheoryData<Exception> OtherFailures() =>
    [
        new GatewayTooBusyException(),
        new DatabaseWriteFailedException("PostgresException", "23505", "onething_case_events", "pk"),
        new InvalidOperationException("a fault of ours"),
        new ArgumentException("bad input"),
    ];

    [Theory]
    [MemberData(nameof(OtherFailures))]
    public void FailuresThatSayNothingOfALostSiloAreNotRetried(Exception failure) =>
        Assert.False(SiloLossRetry.Decide(failure, 1, TimeSpan.Zero, clusterChanged: true, 20, Budget).Retry);

    [Fact]
    public void RetriesStopAtTheAttemptLimitAndAtTheBudget()
    {
        var loss = new SiloUnavailableException();
        Assert.True(SiloLossRetry.Decide(loss, 19, TimeSpan.FromSeconds(1), false, 20, Budget).Retry);
        Assert.False(SiloLossRetry.Decide(loss, 20, TimeSpan.FromSeconds(1), false, 20, Budget).Retry);
        Assert.False(SiloLossRetry.Decide(loss, 2, Budget, false, 20, Budget).Retry);
        Assert.False(SiloLossRetry.Decide(loss, 1, TimeSpan.Zero, false, maxAttempts: 1, Budget).Retry);
    }

    [Fact]
    public void PausesDoubleFromATenthOfASecondToOneSecondAndNeverOutlastTheBudget()
    {
        var loss = new SiloUnavailableException();
        var delays = Enumerable.Range(1, 6).Select(a => SiloLossRetry.Decide(loss, a, TimeSpan.Zero, false, 20, Budget).Delay.TotalMilliseconds);
        Assert.Equal([100, 200, 400, 800, 1000, 1000], delays);
        Assert.Equal(TimeSpan.FromMilliseconds(300), SiloLossRetry.Decide(loss, 5, Budget - TimeSpan.FromMilliseconds(300), false, 20, Budget).Delay);
    }
}
