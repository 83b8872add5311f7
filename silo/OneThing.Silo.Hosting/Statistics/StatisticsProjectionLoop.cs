using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Statistics;

namespace OneThing.Silo.Hosting.Statistics;

/// <summary>Settings of section <c>OneThing:Statistics</c>.</summary>
public sealed class StatisticsOptions
{
    public const string SectionName = "OneThing:Statistics";

    /// <summary>How long the projector waits when the feed had nothing new (or another silo projects): the statistics' usual lag.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Every silo runs the statistics projector in the background; the advisory lock lets one of them project a batch at a
/// time, so a silo that dies hands the work on without any election. Full batches follow each other at once; an empty
/// feed or a taken lock waits <see cref="StatisticsOptions.PollInterval"/> (on real time: this is the silo's own work).
/// A failure is logged (once per interval while it repeats) and retried: the checkpoint did not move, so nothing is
/// lost or counted twice.
/// </summary>
public sealed partial class StatisticsProjectionLoop(
    StatisticsProjector projector, IOptions<StatisticsOptions> options, ILogger<StatisticsProjectionLoop> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(StatisticsProjectionLoop), ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    public void Dispose() => _stopping.Dispose();

    private Task StartAsync(CancellationToken cancellationToken)
    {
        // Off any grain scheduler: this loop belongs to the silo.
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await projector.ProjectNextAsync(stopping) == StatisticsProjector.BatchSize)
                {
                    continue;
                }
            }
            catch (Exception error) when (!stopping.IsCancellationRequested)
            {
                // SQLSTATE, table and constraint only: PostgreSQL's text can quote row values. During an outage every
                // poll fails the same way: one line per interval, with how many more there were.
                var failure = DatabaseFailures.Redact(error)?.Message ?? error.GetType().Name;
                if (LogThrottle.Default.ShouldLog($"statistics-projection {failure}", out var suppressed))
                {
                    LogFailed(failure, suppressed.Note);
                }
            }
            try
            {
                await Task.Delay(options.Value.PollInterval, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // The silo is stopping.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Projecting the statistics failed ({Failure}); retrying from the same checkpoint{Repeats}")]
    private partial void LogFailed(string failure, string repeats);
}
