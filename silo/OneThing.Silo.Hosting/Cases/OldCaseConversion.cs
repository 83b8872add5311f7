using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using Orleans.Configuration;

namespace OneThing.Silo.Hosting.Cases;

/// <summary>
/// Converts every case an earlier release stored (a snapshot with no events: no row in <c>onething_case_directory</c>)
/// by activating it, which is where a case converts itself (<c>CaseGrain</c>, <c>CaseImported</c>). Without this, a
/// case nobody reads again would never reach the event feed. Runs in the background once the silo is active; every silo
/// may run it, since a case converts once whichever silo asks; the first pass that finds none records the job done, so
/// later starts skip the scan.
/// </summary>
public sealed partial class OldCaseConversion(
    NpgsqlDataSource database, IGrainFactory grains, IOptions<ClusterOptions> cluster, ILogger<OldCaseConversion> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    public const string JobName = "convert-cases-stored-before-events";

    private const int PageSize = 200;

    /// <summary>Cases converted at a time: each is a few reads and one write, and the silo keeps serving meanwhile.</summary>
    private const int Parallelism = 4;

    private readonly CancellationTokenSource _stopping = new();
    private Task? _run;

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(OldCaseConversion), ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>
    /// Converts every old case; the number converted, or null when the job was already done. A case that fails to
    /// convert is logged and left for the next start (the job is recorded done only when none failed).
    /// </summary>
    public async Task<int?> RunAsync(CancellationToken cancellationToken)
    {
        if (await IsDoneAsync(cancellationToken))
        {
            return null;
        }
        var converted = 0;
        var failed = 0;
        var after = "";
        while (await NextPageAsync(after, cancellationToken) is { Count: > 0 } page)
        {
            await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (caseId, _) =>
                {
                    try
                    {
                        await grains.Reference<ICaseGrain>(caseId).GetEventAccessAsync(null);
                        Interlocked.Increment(ref converted);
                    }
                    catch (Exception error) when (error is not OperationCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                        LogCaseFailed(DatabaseFailures.Redact(error) ?? error, caseId);
                    }
                });
            after = page[^1];
        }
        if (failed == 0)
        {
            await using var done = database.CreateCommand("INSERT INTO onething_completed_jobs (job) VALUES ($1) ON CONFLICT (job) DO NOTHING");
            done.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JobName });
            await done.ExecuteNonQueryAsync(cancellationToken);
        }
        return converted;
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        // Off any grain scheduler, and off the start: a silo serves while old cases convert.
        _run = Task.Run(async () =>
        {
            try
            {
                if (await RunAsync(_stopping.Token) is > 0 and var converted)
                {
                    LogConverted(converted);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception error)
            {
                // The next start tries again; until then an old case still converts when it is next activated.
                LogFailed(DatabaseFailures.Redact(error) ?? error);
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_run is not null)
        {
            await _run.WaitAsync(cancellationToken);
        }
    }

    private async Task<bool> IsDoneAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT EXISTS (SELECT 1 FROM onething_completed_jobs WHERE job = $1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JobName });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The next old cases of this service in id order: a snapshot, and no directory row (no events).</summary>
    private async Task<List<string>> NextPageAsync(string after, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT s.grainidextensionstring
            FROM orleansstorage s
            WHERE s.graintypestring = 'case' AND s.serviceid = $1 AND s.grainidextensionstring > $2
              AND s.payloadbinary IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM onething_case_directory d WHERE d.case_id = s.grainidextensionstring)
            ORDER BY s.grainidextensionstring
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster.Value.ServiceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize });
        var page = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(reader.GetString(0));
        }
        return page;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Converted {Count} cases stored before events into events")]
    private partial void LogConverted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}, stored before events, did not convert; the next start tries again")]
    private partial void LogCaseFailed(Exception error, string caseId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The conversion of cases stored before events stopped; the next start resumes it")]
    private partial void LogFailed(Exception error);
}
