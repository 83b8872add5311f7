namespace OneThing.Grains.Diagnostics;

/// <summary>
/// Lets one line per kind of failure through per interval and counts the rest, so that an outage or a flood of bad
/// requests is a line every few seconds saying how many more there were, not a line (and a stack trace) per request.
/// </summary>
public sealed class LogThrottle
{
    /// <summary>Beyond this many kinds, kinds quiet for a whole interval are forgotten: the map stays small whatever callers send.</summary>
    private const int MaxKinds = 1024;

    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public LogThrottle(TimeSpan interval, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _interval = interval;
        _time = time;
    }

    /// <summary>One line per kind every ten seconds.</summary>
    public static LogThrottle Default { get; } = new(TimeSpan.FromSeconds(10), TimeProvider.System);

    public TimeSpan Interval => _interval;

    /// <summary>
    /// Whether to write this occurrence of <paramref name="kind"/>. When it says yes, <see cref="Suppressed.Count"/> is how
    /// many occurrences were held back since the last written one, which was at <see cref="Suppressed.Since"/>.
    /// </summary>
    public bool ShouldLog(string kind, out Suppressed suppressed)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_windows.TryGetValue(kind, out var window) && now - window.LoggedAt < _interval)
            {
                window.Held++;
                suppressed = default;
                return false;
            }

            suppressed = window is null ? default : new Suppressed(window.Held, window.LoggedAt);
            if (window is null)
            {
                ForgetQuietKinds(now);
                _windows[kind] = new Window { LoggedAt = now };
            }
            else
            {
                window.LoggedAt = now;
                window.Held = 0;
            }
            return true;
        }
    }

    private void ForgetQuietKinds(DateTimeOffset now)
    {
        if (_windows.Count < MaxKinds)
        {
            return;
        }
        foreach (var (kind, window) in _windows.ToList())
        {
            if (now - window.LoggedAt >= _interval)
            {
                _windows.Remove(kind);
            }
        }
        if (_windows.Count >= MaxKinds)
        {
            _windows.Clear();
        }
    }

    /// <summary>How many occurrences were held back, since when.</summary>
    public readonly record struct Suppressed(int Count, DateTimeOffset Since)
    {
        /// <summary>" (N more since T)" to end a log line with, or nothing when none were held back.</summary>
        public string Note => Count == 0 ? "" : $" ({Count} more since {Since:O})";
    }

    private sealed class Window
    {
        public DateTimeOffset LoggedAt { get; set; }

        public int Held { get; set; }
    }
}
