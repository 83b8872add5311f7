namespace OneThing.Api.Hosting;

/// <summary>
/// How an API instance leaves without failing a request: on SIGTERM it first says "not ready" on /health/ready while
/// still serving for <see cref="Delay"/>, so that a load balancer (a Kubernetes Service, a proxy's health check) stops
/// sending it new requests; only then does Kestrel stop accepting, and the requests in flight finish within the host's
/// shutdown timeout. Without the delay, requests a balancer sends in the moment between SIGTERM and its next health
/// check would find the port closed.
/// </summary>
public sealed class GracefulDrain(IConfiguration configuration, TimeProvider clock, ILogger<GracefulDrain> logger) : IHostedLifecycleService
{
    public const string DelayKey = "OneThing:Api:DrainDelay";

    private volatile bool _draining;

    /// <summary>Set from SIGTERM on: readiness answers 503 "draining".</summary>
    public bool IsDraining => _draining;

    public TimeSpan Delay { get; } = TimeSpan.FromTicks(Math.Max(0, configuration.GetValue(DelayKey, TimeSpan.Zero).Ticks));

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        if (Delay <= TimeSpan.Zero)
        {
            return;
        }
        logger.LogInformation("Draining: reporting not ready for {DrainDelay} before closing the listener", Delay);
        try
        {
            await Task.Delay(Delay, clock, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
