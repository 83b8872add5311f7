using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Grains.Diagnostics;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// Keeps every subscription's senders running: each silo, every <see cref="WebhookOptions.WakeInterval"/>, wakes each
/// subscription, which wakes its senders (a no-op for one that runs). After a silo is lost, its senders are activated
/// again elsewhere within one interval and go on from their stored checkpoints. Every hour it also deletes outbox rows
/// delivered on a retry longer than <see cref="WebhookOptions.KeepDelivered"/> ago.
/// </summary>
public sealed partial class SubscriptionWaker(
    NpgsqlDataSource database,
    IGrainFactory grains,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    ILogger<SubscriptionWaker> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SubscriptionWaker), ServiceLifecycleStage.Active, Start, StopAsync);

    public void Dispose() => _stopping.Dispose();

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var store = new SubscriptionStore(database);
        var outbox = new WebhookOutbox(database);
        var prunedAt = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(options.Value.WakeInterval, clock);
        do
        {
            try
            {
                foreach (var id in await store.ActiveIdsAsync(cancellationToken))
                {
                    await grains.GetGrain<ISubscriptionGrain>(id).WakeAsync();
                }
                if (clock.GetUtcNow() - prunedAt >= PruneInterval)
                {
                    prunedAt = clock.GetUtcNow();
                    while (await outbox.PruneDeliveredAsync(prunedAt - options.Value.KeepDelivered, cancellationToken) > 0)
                    {
                    }
                }
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (LogThrottle.Default.ShouldLog($"webhook-wake {error.GetType().Name}", out var suppressed))
                {
                    LogFailed(logger, DatabaseFailures.Redact(error)?.Message ?? error.GetType().Name, suppressed.Note);
                }
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscriptions could not be woken or pruned; tried again next interval. {Failure}{Repeats}")]
    private static partial void LogFailed(ILogger logger, string failure, string repeats);
}
