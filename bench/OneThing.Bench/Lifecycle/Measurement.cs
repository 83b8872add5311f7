using System.Collections.Concurrent;
using System.Diagnostics;

namespace OneThing.Bench.Lifecycle;

/// <summary>Counts, errors and latencies of one route (or of whole lifecycles) inside the measured window.</summary>
public sealed class RouteStats(string name)
{
    private const int KeptErrorMessages = 5;

    private readonly ConcurrentQueue<string> _firstErrors = new();
    private long _errors;
    private long _errorsOutsideWindow;
    private long _notModified;
    private int _messagesTaken;

    public string Name => name;

    public LatencyHistogram Latency { get; } = new();

    /// <summary>Requests answered inside the window: successes plus errors.</summary>
    public long Requests => Latency.Count + Errors;

    public long Errors => Interlocked.Read(ref _errors);

    public long ErrorsOutsideWindow => Interlocked.Read(ref _errorsOutsideWindow);

    /// <summary>Successes that were 304 answers to a conditional read.</summary>
    public long NotModified => Interlocked.Read(ref _notModified);

    public void CountNotModified() => Interlocked.Increment(ref _notModified);

    public IReadOnlyList<string> FirstErrors => [.. _firstErrors];

    public void Error(string message, bool inWindow, string phase)
    {
        if (inWindow)
        {
            Interlocked.Increment(ref _errors);
        }
        else
        {
            Interlocked.Increment(ref _errorsOutsideWindow);
        }
        // The first few messages, from whichever phase: a run that fails during warm-up must still say why.
        if (Interlocked.Increment(ref _messagesTaken) <= KeptErrorMessages)
        {
            _firstErrors.Enqueue(inWindow ? message : $"({phase}) {message}");
        }
    }
}

/// <summary>
/// The measured window and everything recorded in it. Work runs before (warm-up) and after (drain) the window too;
/// only what finishes inside it counts, so the figures describe the steady state alone.
/// </summary>
public sealed class Measurement
{
    private long _opened = long.MaxValue;
    private long _closed = long.MaxValue;
    private long _droppedStarts;

    public RouteStats Submit { get; } = new("submit");

    public RouteStats GetCase { get; } = new("getCase");

    public RouteStats Accept { get; } = new("accept");

    public RouteStats Complete { get; } = new("complete");

    public RouteStats Inbox { get; } = new("inbox");

    /// <summary>Whole lifecycles: submit until the case is seen Completed; errors are cases given up.</summary>
    public RouteStats Lifecycles { get; } = new("lifecycle");

    public IReadOnlyList<RouteStats> HttpRoutes => [Submit, GetCase, Accept, Complete, Inbox];

    public long DroppedStarts => Interlocked.Read(ref _droppedStarts);

    /// <summary>Every HTTP request's outcome per second of the window.</summary>
    public SecondBuckets Seconds { get; } = new();

    /// <summary>Set for a failover run: what clients were told was done, to read back afterwards.</summary>
    public AcknowledgedActions? Acknowledged { get; set; }

    public long OpenedAt => Volatile.Read(ref _opened);

    public TimeSpan Window => Stopwatch.GetElapsedTime(Volatile.Read(ref _opened), Volatile.Read(ref _closed));

    public void Open(long timestamp) => Volatile.Write(ref _opened, timestamp);

    public void Close(long timestamp) => Volatile.Write(ref _closed, timestamp);

    public void Succeeded(RouteStats route, long started, bool notModified = false)
    {
        var now = Stopwatch.GetTimestamp();
        if (InWindow(now))
        {
            route.Latency.Record((long)Stopwatch.GetElapsedTime(started, now).TotalMicroseconds);
            if (notModified)
            {
                route.CountNotModified();
            }
            if (route != Lifecycles)
            {
                Seconds.Count(FailoverReport.SecondOf(OpenedAt, now), succeeded: true);
            }
        }
    }

    public void Failed(RouteStats route, string message)
    {
        var now = Stopwatch.GetTimestamp();
        route.Error(message, InWindow(now), now < Volatile.Read(ref _opened) ? "warm-up" : "drain");
        if (InWindow(now) && route != Lifecycles)
        {
            Seconds.Count(FailoverReport.SecondOf(OpenedAt, now), succeeded: false);
        }
    }

    /// <summary>An open-loop start skipped because the in-flight cap was reached.</summary>
    public void Dropped()
    {
        if (InWindow(Stopwatch.GetTimestamp()))
        {
            Interlocked.Increment(ref _droppedStarts);
        }
    }

    private bool InWindow(long timestamp) => timestamp >= Volatile.Read(ref _opened) && timestamp < Volatile.Read(ref _closed);
}
