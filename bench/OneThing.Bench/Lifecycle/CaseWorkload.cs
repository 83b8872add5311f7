using System.Diagnostics;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Case-driven: the virtual user submits a case, then reads it and, for each Ready task, acts as that task's
/// department (accept, then complete with every declared output) until the case is Completed. After every
/// department action the citizen reads the case <c>reads</c> more times, as a status-polling portal would; with
/// <c>conditionalReads</c>, sending the ETag of its last answer, as a browser revalidating would.
/// </summary>
public sealed class CaseWorkload(
    ApiClient api, ItemModel item, ApplicationTemplate application, Measurement measurement, RunControl control, int reads, bool conditionalReads)
    : IWorkload
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromMilliseconds(50);

    // Newborn needs 4 rounds (its dependency depth); this leaves room for retries without looping forever.
    private readonly int _maxRounds = 4 * item.Matters.Count;

    public IReadOnlyList<Task> StartBackground() => [];

    public async Task<bool> RunLifecycleAsync(CaseSnapshot snapshot)
    {
        var started = Stopwatch.GetTimestamp();
        var poll = conditionalReads ? new CitizenPoll() : null;
        if (!await api.SubmitAsync(application, snapshot))
        {
            // A short pause keeps a refusing API from turning the run into a tight error loop.
            await control.PauseAsync(ErrorPause);
            return false;
        }

        for (var round = 0; round < _maxRounds; round++)
        {
            if (control.Stopping)
            {
                return false;
            }
            if (!await api.GetCaseAsync(snapshot))
            {
                await control.PauseAsync(ErrorPause);
                continue;
            }
            switch (snapshot.Status)
            {
                case "Completed":
                    measurement.Succeeded(measurement.Lifecycles, started);
                    return true;
                case "InProgress":
                    break;
                default:
                    measurement.Failed(measurement.Lifecycles, $"case {snapshot.CaseId} is {snapshot.Status}; the bench only completes tasks");
                    return false;
            }
            if (snapshot.Actionable.Count == 0)
            {
                // Completing a task makes its successors Ready before the call returns, so this is a finding.
                measurement.Failed(measurement.Lifecycles, $"case {snapshot.CaseId} is InProgress with no Ready or Accepted task");
                await control.PauseAsync(ErrorPause);
                continue;
            }
            foreach (var task in snapshot.Actionable)
            {
                if (control.Stopping)
                {
                    return false;
                }
                var matter = item.Matters[task.Matter];
                if (!task.Accepted)
                {
                    if (!await api.AcceptAsync(task.TaskId, matter))
                    {
                        continue; // still Ready: the next round tries again
                    }
                    await CitizenReadsAsync(snapshot.CaseId, poll);
                }
                if (await api.CompleteAsync(task.TaskId, matter))
                {
                    await CitizenReadsAsync(snapshot.CaseId, poll);
                }
            }
        }
        measurement.Failed(measurement.Lifecycles, $"case {snapshot.CaseId} was not Completed after {_maxRounds} rounds; given up");
        return false;
    }

    private async Task CitizenReadsAsync(string caseId, CitizenPoll? poll)
    {
        for (var i = 0; i < reads && !control.Stopping; i++)
        {
            await api.ReadCaseAsync(caseId, poll);
        }
    }
}
