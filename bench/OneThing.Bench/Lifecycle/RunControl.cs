namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Two ways a run ends. Stop: start nothing new, let requests in flight finish (their answers fall after the window
/// and are not counted). Abort: cancel what is still in flight, when the drain takes too long.
/// </summary>
public sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();

    public bool Stopping => _stopping.IsCancellationRequested;

    public CancellationToken StoppingToken => _stopping.Token;

    public CancellationToken AbortToken => _abort.Token;

    public void Stop() => _stopping.Cancel();

    public void Abort() => _abort.Cancel();

    /// <summary>Waits <paramref name="delay"/>, or less when the run stops; never throws.</summary>
    public async Task PauseAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // stopping: the caller looks at Stopping next
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _abort.Dispose();
    }
}

/// <summary>What portal users run: one lifecycle at a time, plus whatever else the mode needs running meanwhile.</summary>
public interface IWorkload
{
    /// <summary>
    /// One case from submission until it is seen Completed (true), given up (false, recorded as a lifecycle error),
    /// or the run stops (false, not an error).
    /// </summary>
    Task<bool> RunLifecycleAsync(CaseSnapshot snapshot);

    /// <summary>Actors that run beside the portal users for the whole run (department workers in inbox mode).</summary>
    IReadOnlyList<Task> StartBackground();
}
