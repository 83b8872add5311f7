using Microsoft.Extensions.Logging;
using Npgsql;
using OneThing.Grains.Diagnostics;

namespace OneThing.Silo.Database;

/// <summary>
/// Keeps a monthly partition of <c>onething_case_events</c> ready ahead of its first case: at start and every
/// <see cref="Interval"/>, from last month (a clock a little behind still finds its partition) for
/// <see cref="Months"/> months. Every silo does it, one at a time under an advisory lock; a partition that exists is
/// left alone, so they need not agree who. A failure is logged and tried again next time: without its partition a
/// month's events still land in the default one, so the silo never stops for it.
/// </summary>
public sealed partial class EventPartitionUpkeep(NpgsqlDataSource database, TimeProvider clock, ILogger<EventPartitionUpkeep> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(12);

    /// <summary>Last month, this month and the next two: every month is prepared at least a month before it begins.</summary>
    public const int Months = 4;

    /// <summary>The advisory lock the upkeep holds while it creates partitions (next to the schema migrator's).</summary>
    private const long LockKey = 0x0E71_1A6C_0002;

    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // After the schema migration (ServiceLifecycleStage.First), before grains run: the first events find their month.
        lifecycle.Subscribe(nameof(EventPartitionUpkeep), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>
    /// Creates the partitions missing from last month on (of the UTC month <paramref name="clock"/> says); the number
    /// created, or null when the database refused (logged).
    /// </summary>
    public async Task<int?> EnsureAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var firstMonth = new DateOnly(now.Year, now.Month, 1).AddMonths(-1);
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Silos starting together queue here: otherwise two could both find a month missing and the second's
            // CREATE TABLE would fail on the first's.
            await using (var locking = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
            {
                await locking.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var command = new NpgsqlCommand("SELECT onething_ensure_event_partitions($1::date, $2)", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = firstMonth });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Months });
            var created = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            await transaction.CommitAsync(cancellationToken);
            if (created > 0)
            {
                LogCreated(created, firstMonth.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), Months);
            }
            return created;
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // SQLSTATE, table and constraint only: PostgreSQL's text can quote row values.
            LogFailed(DatabaseFailures.Redact(error)?.Message ?? error.GetType().Name, Interval);
            return null;
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        // Off any grain scheduler: this loop belongs to the silo.
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
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
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await EnsureAsync(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Created} monthly partitions of the case events ({Months} months from {FirstMonth})")]
    private partial void LogCreated(int created, string firstMonth, int months);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Preparing the monthly partitions of the case events failed ({Failure}); a month without its partition stores its events in the default one. Retrying in {Interval}")]
    private partial void LogFailed(string failure, TimeSpan interval);
}
