using OneThing.Grains.Diagnostics;

namespace OneThing.Api.Hosting;

/// <summary>
/// The domain counts an API that is only a client of the cluster contributes to its own <c>/metrics</c>: the new cases
/// and the task completions it acknowledged. An API hosting its silo counts nothing here, since its silo counts
/// the stored events in the same process (<see cref="OneThingMetrics"/>).
/// </summary>
public sealed class ApiMetrics(bool countsAcknowledged)
{
    public void CaseSubmitted(string itemCode, string? region)
    {
        if (countsAcknowledged)
        {
            OneThingMetrics.Acknowledged.CaseSubmitted(itemCode, region);
        }
    }

    public void TaskCompleted(string department)
    {
        if (countsAcknowledged)
        {
            OneThingMetrics.Acknowledged.TaskCompleted(department);
        }
    }
}
