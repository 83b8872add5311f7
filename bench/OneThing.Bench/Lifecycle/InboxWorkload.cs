using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Inbox-driven: one poller per department reads its Ready tasks (GET .../tasks?status=Ready&amp;pageSize=20) and
/// accepts and completes them, up to <c>workers</c> at a time; it waits <c>poll-ms</c> only after an empty page.
/// Portal users submit a case and wait for it: each department action on their case is passed to them, and they
/// read the case <c>reads</c> times per action; when every matter is done they read it once more and expect
/// Completed. So the portal side stays a closed loop, yet departments learn of work only from their inboxes.
/// </summary>
public sealed class InboxWorkload(
    ApiClient api, ItemModel item, ApplicationTemplate application, Measurement measurement, RunControl control, LifecycleSettings settings)
    : IWorkload
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromMilliseconds(50);

    // A case with no department action for this long is stuck, and its portal user moves on.
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, TrackedCase> _cases = new(StringComparer.Ordinal);

    public IReadOnlyList<Task> StartBackground() =>
        item.Matters.GroupBy(m => m.Department)
            .Select(department => Task.Run(() => RunDepartmentAsync(department.Key, department.First().Key)))
            .ToList();

    public async Task<bool> RunLifecycleAsync(CaseSnapshot snapshot)
    {
        var started = Stopwatch.GetTimestamp();
        if (!await api.SubmitAsync(application, snapshot))
        {
            await control.PauseAsync(ErrorPause);
            return false;
        }
        // A department may have acted before the submission answered; then its tracker exists already.
        var tracked = _cases.GetOrAdd(snapshot.CaseId, static _ => new TrackedCase());
        var poll = settings.ConditionalReads ? new CitizenPoll() : null;
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(control.StoppingToken);
        try
        {
            while (true)
            {
                patience.CancelAfter(StallLimit);
                bool last;
                try
                {
                    last = await tracked.Actions.Reader.ReadAsync(patience.Token);
                }
                catch (OperationCanceledException) when (!control.Stopping)
                {
                    measurement.Failed(measurement.Lifecycles, $"case {snapshot.CaseId}: no department action for {StallLimit.TotalSeconds:0} s; given up");
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                for (var i = 0; i < settings.Reads && !control.Stopping; i++)
                {
                    await api.ReadCaseAsync(snapshot.CaseId, poll);
                }
                if (!last)
                {
                    continue;
                }
                if (!await api.GetCaseAsync(snapshot))
                {
                    return false;
                }
                if (snapshot.Status != "Completed")
                {
                    measurement.Failed(measurement.Lifecycles, $"case {snapshot.CaseId} is {snapshot.Status} although every task was completed");
                    return false;
                }
                measurement.Succeeded(measurement.Lifecycles, started);
                return true;
            }
        }
        finally
        {
            _cases.TryRemove(snapshot.CaseId, out _);
        }
    }

    private async Task RunDepartmentAsync(string department, string key)
    {
        var page = new List<InboxTask>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.WorkersPerDepartment };
        while (!control.Stopping)
        {
            if (!await api.InboxAsync(department, key, page))
            {
                await control.PauseAsync(ErrorPause);
                continue;
            }
            if (page.Count == 0)
            {
                await control.PauseAsync(settings.PollInterval);
                continue;
            }
            await Parallel.ForEachAsync(page, parallel, async (task, _) => await WorkAsync(task));
        }
    }

    private async Task WorkAsync(InboxTask task)
    {
        if (control.Stopping)
        {
            return;
        }
        var matter = item.Matters[task.Matter];
        // Cases left over from an earlier run get a tracker nobody reads; it is dropped with the workload.
        var tracked = _cases.GetOrAdd(task.CaseId, static _ => new TrackedCase());
        if (!await api.AcceptAsync(task.TaskId, matter))
        {
            return; // still Ready: a later poll finds it again
        }
        tracked.Actions.Writer.TryWrite(false);
        if (await api.CompleteAsync(task.TaskId, matter))
        {
            tracked.Actions.Writer.TryWrite(tracked.MarkCompleted(task.Matter, item.Matters.Count));
        }
    }

    /// <summary>The department actions on one case, as its portal user learns of them.</summary>
    private sealed class TrackedCase
    {
        private long _completed;

        /// <summary>One entry per action; true for the completion that finished the last matter.</summary>
        public Channel<bool> Actions { get; } = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });

        /// <summary>True only for the completion that finishes the case; a repeated completion counts once.</summary>
        public bool MarkCompleted(int matter, int matters)
        {
            var bit = 1L << matter;
            var before = Interlocked.Or(ref _completed, bit);
            var all = matters == 64 ? -1L : (1L << matters) - 1;
            return (before & bit) == 0 && (before | bit) == all;
        }
    }
}
