using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OneThing.Api.Health;
using OneThing.Api.Hosting;
using OneThing.Contracts.Ops;

namespace OneThing.Tests.Api;

/// <summary>An API instance told to stop says "not ready" at once and keeps serving for the drain delay.</summary>
public sealed class GracefulDrainTests
{
    private readonly FakeTimeProvider _clock = new();

    private GracefulDrain Drain(string? delay) => new(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [GracefulDrain.DelayKey] = delay }).Build(),
        _clock, NullLogger<GracefulDrain>.Instance);

    [Fact]
    public async Task StoppingTurnsReadinessTo503AndWaitsTheDelayBeforeTheListenerCloses()
    {
        var drain = Drain("00:00:05");
        Assert.False(drain.IsDraining);

        var stopping = drain.StoppingAsync(CancellationToken.None);
        Assert.True(drain.IsDraining);
        // Draining is answered before PostgreSQL or the cluster would be asked.
        var ready = await HealthEndpoints.ReadyAsync(database: null!, cluster: null!, drain, CancellationToken.None);
        var answer = Assert.IsType<JsonHttpResult<HealthReport>>(ready.Result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, answer.StatusCode);
        Assert.Equal("draining", answer.Value!.Status);

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(stopping.IsCompleted, "the host went on to close the listener before the drain delay had passed");
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WithoutADelayStoppingGoesOnAtOnceAndTheHostsTimeoutCutsALongDelayShort()
    {
        var none = Drain(null);
        Assert.Equal(TimeSpan.Zero, none.Delay);
        Assert.True(none.StoppingAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.True(none.IsDraining);

        using var shutdownTimeout = new CancellationTokenSource();
        var stopping = Drain("00:10:00").StoppingAsync(shutdownTimeout.Token);
        Assert.False(stopping.IsCompleted);
        await shutdownTimeout.CancelAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
