using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OneThing.Api.Hosting;

namespace OneThing.Tests.Api;

/// <summary>How the API's watch of the cluster tells a change, without a cluster: gateway notices and time alone.</summary>
public sealed class ClusterChangeWatchTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly NpgsqlDataSource _neverOpened = NpgsqlDataSource.Create("Host=127.0.0.1;Database=never_opened");
    private readonly ClusterChangeWatch _watch;

    public ClusterChangeWatchTests() =>
        _watch = new ClusterChangeWatch(_neverOpened, new ClusterSettings(), _clock, NullLogger<ClusterChangeWatch>.Instance);

    [Fact]
    public void LosingAGatewayIsAChangeAndGainingOneIsNot()
    {
        var before = _clock.GetTimestamp();
        _watch.NotifyGatewayCountChanged(2, 1, connectionRecovered: true);
        Assert.False(_watch.ChangedSince(before));
        _watch.NotifyGatewayCountChanged(1, 2, connectionRecovered: false);
        Assert.True(_watch.ChangedSince(before));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_watch.ChangedSince(_clock.GetTimestamp()));
    }

    [Fact]
    public async Task AWaitEndsWhenTheClusterChanges()
    {
        var started = _clock.GetTimestamp();
        var waiting = _watch.WaitForChangeSinceAsync(started, TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(3));
        _watch.NotifyClusterConnectionLost();
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AWaitEndsAtItsLimitWhenNothingChanges()
    {
        var waiting = _watch.WaitForChangeSinceAsync(_clock.GetTimestamp(), TimeSpan.FromSeconds(10));
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(waiting.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(await _watch.WaitForChangeSinceAsync(_clock.GetTimestamp(), TimeSpan.Zero));
    }

    public async ValueTask DisposeAsync()
    {
        _watch.Dispose();
        await _neverOpened.DisposeAsync();
    }
}
