using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OneThing.Api.Auth;
using OneThing.Contracts.Departments;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Tasks;

namespace OneThing.Api.AccessLog;

/// <summary>
/// 查询留痕: records who read a case's data, off the read's path. A read only queues its row (no database call, no
/// allocation beyond the queue's slot); one writer copies the queue into <c>onething_case_access_log</c> every
/// <see cref="CaseAccessLogOptions.FlushInterval"/>, in COPY batches.
/// </summary>
/// <remarks>
/// <para>Portal reads are not recorded: the portal is the applicant's own channel, and the log is what it shows them.
/// A 304 is not recorded either: the caller already holds that revision, whose read was recorded.</para>
/// <para>A graceful stop writes everything queued, after the server has answered its last request. A crash loses
/// what was queued and not yet written: about one flush interval of reads, or, while the database does not answer,
/// everything held since it stopped answering. When the queue is full (a long database outage) reads are still
/// served and their rows are dropped, counted in a warning: an audit trail that stops the reads would turn a database
/// outage into an outage of every case read.</para>
/// </remarks>
public sealed partial class CaseAccessLog(
    NpgsqlDataSource database,
    TimeProvider clock,
    IOptions<CaseAccessLogOptions> options,
    ILogger<CaseAccessLog> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(5);

    private readonly CaseAccessLogOptions _options = options.Value;
    private readonly Channel<CaseAccess> _queue = Channel.CreateBounded<CaseAccess>(
        new BoundedChannelOptions(options.Value.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Callers by principal: a key's principal is shared by all its requests, so each is described once.</summary>
    private readonly ConditionalWeakTable<ClaimsPrincipal, Reader> _readers = new();
    private readonly ConcurrentDictionary<Endpoint, string> _routes = new();

    /// <summary>One write at a time: the timer's, a flush's, or the last one at shutdown. Never disposed: a late stop still takes it.</summary>
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly List<CaseAccess> _batch = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _writer = Task.CompletedTask;

    private long _dropped;
    private int _failures;
    private TimeSpan _backoff;
    private DateTimeOffset _retryAt;
    private readonly LogThrottle _warnings = new(WarningInterval, clock);

    /// <summary>Rows written since start; for tests and measurements.</summary>
    public long Written { get; private set; }

    /// <summary>Rows dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a department's or ops' read of <paramref name="caseId"/> through the request's route.</summary>
    public void Record(HttpContext context, string caseId)
    {
        var reader = _readers.GetValue(context.User, static user => Reader.Of(user));
        if (reader.Role is Roles.Portal or null)
        {
            return;
        }
        Enqueue(new CaseAccess(caseId, clock.GetUtcNow(), reader.Role, reader.Name, reader.Department, RouteOf(context)));
    }

    /// <summary>An inbox page: one read for each case whose row on the page carries inputs.</summary>
    public void RecordInboxPage(HttpContext context, IReadOnlyList<TaskView> tasks)
    {
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            if (task.Inputs.Count > 0 && recorded.Add(task.CaseId))
            {
                Record(context, task.CaseId);
            }
        }
    }

    public void Enqueue(CaseAccess access)
    {
        if (!_queue.Writer.TryWrite(access))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes everything queued so far, now; throws when the database does not take it.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!await WriteQueuedAsync(waitOutBackoff: false, cancellationToken))
        {
            throw new InvalidOperationException($"The access log could not be written; {_batch.Count} row(s) wait for the next attempt.");
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = WriteEveryIntervalAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// After every hosted service stopped, the web server too: no read can queue a row any more. May run twice (a host
    /// stopped by its owner and by its own run loop); the second finds nothing left to write.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        try
        {
            while (!await WriteQueuedAsync(waitOutBackoff: false, cancellationToken))
            {
                await Task.Delay(_options.FlushInterval, cancellationToken);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException)
        {
            LogLostAtShutdown(_batch.Count + _queue.Reader.Count);
        }
        WarnOfDrops(force: true);
    }

    private async Task WriteEveryIntervalAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                // Not cancelled by the stop: a COPY cut off while it commits could be written again by the last flush.
                await WriteQueuedAsync(waitOutBackoff: true, CancellationToken.None);
                WarnOfDrops(force: false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: StoppedAsync writes what is left.
        }
    }

    /// <returns>False when a batch could not be written (it stays for the next attempt).</returns>
    private async Task<bool> WriteQueuedAsync(bool waitOutBackoff, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (waitOutBackoff && _failures > 0 && clock.GetUtcNow() < _retryAt)
            {
                return false;
            }
            while (true)
            {
                while (_batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var access))
                {
                    _batch.Add(access);
                }
                if (_batch.Count == 0)
                {
                    return true;
                }
                try
                {
                    await CopyAsync(_batch, cancellationToken);
                }
                catch (Exception error) when (error is not (OperationCanceledException or ObjectDisposedException))
                {
                    NoteFailure(error);
                    return false;
                }
                Written += _batch.Count;
                _batch.Clear();
                NoteSuccess();
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task CopyAsync(List<CaseAccess> rows, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY onething_case_access_log (case_id, at, role, name, department, route) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(row.CaseId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(row.At, NpgsqlDbType.TimestampTz, cancellationToken);
            await copy.WriteAsync(row.Role, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(row.Name, NpgsqlDbType.Text, cancellationToken);
            if (row.Department is { } department)
            {
                await copy.WriteAsync(department, NpgsqlDbType.Text, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            await copy.WriteAsync(row.Route, NpgsqlDbType.Text, cancellationToken);
        }
        await copy.CompleteAsync(cancellationToken);
    }

    /// <summary>Retries back off to <see cref="LongestBackoff"/>; the failure is logged once per <see cref="WarningInterval"/>, with a count.</summary>
    private void NoteFailure(Exception error)
    {
        _failures++;
        var now = clock.GetUtcNow();
        _backoff = _backoff == TimeSpan.Zero ? _options.FlushInterval : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, LongestBackoff.Ticks));
        _retryAt = now + _backoff;
        if (_warnings.ShouldLog("write failed", out _))
        {
            // SQLSTATE, table and constraint only: PostgreSQL's message text can quote row data.
            LogWriteFailed(_failures, DatabaseFailures.Redact(error)?.Message ?? error.GetType().Name, _batch.Count + _queue.Reader.Count);
        }
    }

    private void NoteSuccess()
    {
        if (_failures > 0)
        {
            LogWriteRecovered(_failures);
        }
        _failures = 0;
        _backoff = TimeSpan.Zero;
    }

    private void WarnOfDrops(bool force)
    {
        if (Interlocked.Read(ref _dropped) == 0 || !(_warnings.ShouldLog("dropped", out _) || force))
        {
            return;
        }
        LogDropped(Interlocked.Exchange(ref _dropped, 0), _options.QueueCapacity);
    }

    /// <summary>The route's template, such as <c>GET /api/cases/{caseId}</c>, described once per endpoint.</summary>
    private string RouteOf(HttpContext context) =>
        context.GetEndpoint() is { } endpoint
            ? _routes.GetOrAdd(endpoint, static (routed, method) =>
                $"{routed.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? method} {(routed as RouteEndpoint)?.RoutePattern.RawText ?? routed.DisplayName}",
                context.Request.Method)
            : $"{context.Request.Method} {context.Request.Path}";

    private sealed record Reader(string? Role, string Name, string? Department)
    {
        public static Reader Of(ClaimsPrincipal user)
        {
            var role = user.FindFirst(ClaimTypes.Role)?.Value;
            return new Reader(role, user.Identity?.Name ?? role ?? "", user.DepartmentCode());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The access log could not be written ({Failures} attempt(s) so far: {Failure}); {Pending} read(s) wait and are retried")]
    private partial void LogWriteFailed(int failures, string failure, int pending);

    [LoggerMessage(Level = LogLevel.Information, Message = "The access log is written again after {Failures} failed attempt(s)")]
    private partial void LogWriteRecovered(int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The access log's queue was full ({Capacity} reads): {Dropped} read(s) were served without their row")]
    private partial void LogDropped(long dropped, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "The access log could not be written before shutdown: {Lost} read(s) are not recorded")]
    private partial void LogLostAtShutdown(int lost);
}
