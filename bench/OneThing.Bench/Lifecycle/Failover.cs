using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Successes and errors of every HTTP request per second of the measured window: what a failover does to clients
/// over time, not only in total.
/// </summary>
public sealed class SecondBuckets
{
    private const int MaxSeconds = 3600;
    private readonly long[] _succeeded = new long[MaxSeconds];
    private readonly long[] _failed = new long[MaxSeconds];

    public void Count(int second, bool succeeded)
    {
        if (second is >= 0 and < MaxSeconds)
        {
            Interlocked.Increment(ref (succeeded ? _succeeded : _failed)[second]);
        }
    }

    public long Succeeded(int second) => Interlocked.Read(ref _succeeded[second]);

    public long Failed(int second) => Interlocked.Read(ref _failed[second]);
}

/// <summary>
/// What the clients were told was done: cases created (2xx on submit) and tasks accepted or completed (2xx). After a
/// silo was killed, every one of them must still be there.
/// </summary>
public sealed class AcknowledgedActions
{
    private readonly ConcurrentDictionary<string, byte> _cases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _tasks = new(StringComparer.Ordinal);

    public int Cases => _cases.Count;

    public int Tasks => _tasks.Count;

    public void CaseCreated(string caseId) => _cases.TryAdd(caseId, 0);

    public void TaskAccepted(string taskId) => _tasks.AddOrUpdate(taskId, 1, (_, rank) => Math.Max(rank, 1));

    public void TaskCompleted(string taskId) => _tasks[taskId] = 2;

    /// <summary>
    /// Reads every acknowledged case back and counts acknowledged actions it does not show: a case that is gone, a
    /// task acknowledged as accepted or completed that the case holds as less.
    /// </summary>
    public async Task<(int Checked, int Lost, IReadOnlyList<string> Examples)> VerifyAsync(HttpClient http, string portalAuthorization)
    {
        var byCase = _cases.Keys.ToDictionary(id => id, _ => new List<(string TaskId, int Rank)>(), StringComparer.Ordinal);
        foreach (var (taskId, rank) in _tasks)
        {
            var caseId = taskId[..taskId.LastIndexOf('.')];
            (byCase.TryGetValue(caseId, out var list) ? list : byCase[caseId] = []).Add((taskId, rank));
        }
        var lost = 0;
        var examples = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(byCase, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (entry, cancellationToken) =>
        {
            var (caseId, tasks) = entry;
            var statuses = await ReadTaskStatusesAsync(http, portalAuthorization, caseId, cancellationToken);
            var missing = statuses is null
                ? [$"case {caseId} cannot be read"]
                : tasks.Where(t => Rank(statuses.GetValueOrDefault(t.TaskId)) < t.Rank)
                    .Select(t => $"{t.TaskId} was acknowledged as {(t.Rank == 2 ? "Completed" : "Accepted")} but is {statuses.GetValueOrDefault(t.TaskId) ?? "absent"}")
                    .ToList();
            if (missing.Count > 0)
            {
                Interlocked.Add(ref lost, missing.Count);
                foreach (var message in missing.Take(2))
                {
                    if (examples.Count < 5)
                    {
                        examples.Enqueue(message);
                    }
                }
            }
        });
        return (byCase.Count, lost, [.. examples]);
    }

    private static int Rank(string? status) => status switch
    {
        "Accepted" or "AwaitingSupplement" => 1,
        "Completed" => 2,
        _ => 0,
    };

    private static async Task<Dictionary<string, string>?> ReadTaskStatusesAsync(
        HttpClient http, string authorization, string caseId, CancellationToken cancellationToken)
    {
        // The cluster may still be settling after the kill: a few tries, a second apart.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var request = ApiClient.Request(HttpMethod.Get, $"/api/cases/{caseId}", authorization);
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
                    return document.RootElement.GetProperty("tasks").EnumerateArray().ToDictionary(
                        t => t.GetProperty("taskId").GetString()!, t => t.GetProperty("status").GetString()!, StringComparer.Ordinal);
                }
            }
            catch (HttpRequestException)
            {
                // retried below
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        return null;
    }
}

/// <summary>What killing a silo under load cost the clients.</summary>
/// <param name="KilledAtSecond">Second of the window in which the silo was sent SIGKILL.</param>
/// <param name="ErrorsAfterKill">Failed HTTP requests from the kill to the end of the window.</param>
/// <param name="ErrorSeconds">From the kill to the last second with a failed request (0: none failed).</param>
/// <param name="RecoverySeconds">From the kill to the first second whose successes reach 80 % of the rate before it.</param>
/// <param name="LostActions">Acknowledged actions the cases no longer show (must be 0).</param>
public sealed record FailoverReport(
    int KilledPid,
    int KilledAtSecond,
    double SuccessesPerSecondBefore,
    long ErrorsAfterKill,
    int ErrorSeconds,
    int? RecoverySeconds,
    int CasesChecked,
    int AcknowledgedTasks,
    int LostActions,
    IReadOnlyList<string> LostExamples,
    IReadOnlyList<long[]> Timeline)
{
    public static async Task<FailoverReport> BuildAsync(
        int pid, int killedAt, int seconds, SecondBuckets buckets, AcknowledgedActions acknowledged, HttpClient http, string portal)
    {
        var before = killedAt == 0 ? 0 : Enumerable.Range(0, killedAt).Average(s => (double)buckets.Succeeded(s));
        var errors = Enumerable.Range(killedAt, Math.Max(0, seconds - killedAt)).Sum(buckets.Failed);
        var lastError = Enumerable.Range(killedAt, Math.Max(0, seconds - killedAt)).LastOrDefault(s => buckets.Failed(s) > 0, -1);
        int? recovery = null;
        for (var s = killedAt + 1; s < seconds; s++)
        {
            if (buckets.Succeeded(s) >= 0.8 * before && buckets.Failed(s) == 0)
            {
                recovery = s - killedAt;
                break;
            }
        }
        var (checkedCases, lost, examples) = await acknowledged.VerifyAsync(http, portal);
        var timeline = Enumerable.Range(0, seconds).Select(s => new[] { (long)s, buckets.Succeeded(s), buckets.Failed(s) }).ToList();
        return new FailoverReport(pid, killedAt, Math.Round(before, 1), errors, lastError < 0 ? 0 : lastError - killedAt + 1, recovery,
            checkedCases, acknowledged.Tasks, lost, examples, timeline);
    }

    public string Format()
    {
        var recovered = RecoverySeconds is { } r ? FormattableString.Invariant($"{r} s") : "— (not within the window)";
        return FormattableString.Invariant($"  failover: pid {KilledPid} killed (SIGKILL) at second {KilledAtSecond} of the window; before it {SuccessesPerSecondBefore:0} successful requests/s\n")
            + FormattableString.Invariant($"            {ErrorsAfterKill} failed requests after the kill, the last {ErrorSeconds} s after it; throughput back to 80 % (and no errors) after {recovered}\n")
            + FormattableString.Invariant($"            acknowledged actions lost: {LostActions} ({CasesChecked} cases and {AcknowledgedTasks} acknowledged tasks read back)\n")
            + string.Concat(LostExamples.Select(e => $"            lost: {e}\n"))
            + $"            per second (succeeded/failed): {string.Join(" ", Timeline.Select(t => FormattableString.Invariant($"{t[1]}/{t[2]}")))}\n";
    }

    public string Summary() => FormattableString.Invariant(
        $" | failover errors {ErrorsAfterKill} over {ErrorSeconds} s, recovered {(RecoverySeconds is { } r ? FormattableString.Invariant($"{r} s") : "no")}, lost {LostActions}");

    public static int SecondOf(long openedTimestamp, long now) => (int)Stopwatch.GetElapsedTime(openedTimestamp, now).TotalSeconds;
}
