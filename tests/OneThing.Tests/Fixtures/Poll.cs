using System.Diagnostics;

namespace OneThing.Tests.Fixtures;

/// <summary>Bounded polling for the few waits on real time (failure detection, reminder ticks).</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string failureMessage)
    {
        var clock = Stopwatch.StartNew();
        var last = default(T);
        Exception? lastError = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                lastError = error; // the cluster may be mid-failover; keep asking until the bound
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        throw new TimeoutException($"{failureMessage} (waited {timeout.TotalSeconds:0} s; last value: {last}; last error: {lastError?.Message})");
    }
}
