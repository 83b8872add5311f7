using Npgsql;

namespace OneThing.Api.Hosting;

/// <summary>
/// Notes when the cluster changed: the client lost a gateway connection (a silo it talked to died or left), or the
/// membership table changed (a silo suspected, declared dead, or joined). A grain call left unanswered across such a
/// change was most likely waiting on the lost silo (its grain, or a directory entry it held) rather than on a slow
/// one, so <see cref="SiloLossRetryFilter"/> sends it again. The membership is read because the client only connects
/// to the gateways it knows, and a silo that joined after it may die before it was ever one of them.
/// </summary>
public sealed partial class ClusterChangeWatch(NpgsqlDataSource database, ClusterSettings settings, TimeProvider clock, ILogger<ClusterChangeWatch> logger)
    : BackgroundService, IClusterConnectionStatusObserver
{
    /// <summary>Often enough that a silo declared dead is noticed within a second; one indexed row per read.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private long _lastChange = long.MinValue;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="timestamp">From the <see cref="TimeProvider"/> this watch was given (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public bool ChangedSince(long timestamp)
    {
        lock (_gate)
        {
            return _lastChange >= timestamp;
        }
    }

    /// <summary>Completes when the cluster has changed at or after <paramref name="timestamp"/>, or after <paramref name="limit"/>.</summary>
    /// <returns>Whether it changed.</returns>
    public async Task<bool> WaitForChangeSinceAsync(long timestamp, TimeSpan limit)
    {
        Task next;
        lock (_gate)
        {
            if (_lastChange >= timestamp)
            {
                return true;
            }
            next = _next.Task;
        }
        if (limit <= TimeSpan.Zero)
        {
            return false;
        }
        using var timeout = new CancellationTokenSource(limit, clock);
        await Task.WhenAny(next, Task.Delay(Timeout.InfiniteTimeSpan, clock, timeout.Token)).ConfigureAwait(false);
        return ChangedSince(timestamp);
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Changed();
        }
    }

    public void NotifyClusterConnectionLost() => Changed();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int? known = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var command = database.CreateCommand(
                    "SELECT version FROM orleansmembershipversiontable WHERE deploymentid = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = settings.ClusterId });
                var version = await command.ExecuteScalarAsync(stoppingToken) is int value ? value : (int?)null;
                if (known is not null && version != known)
                {
                    Changed();
                }
                known = version;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                // The database is away: /health/ready says so, and the next read tries again.
                LogUnreadable(error.GetType().Name);
            }
            try
            {
                await Task.Delay(PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _lastChange = clock.GetTimestamp();
            changed = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The cluster's membership could not be read ({Failure})")]
    private partial void LogUnreadable(string failure);
}
