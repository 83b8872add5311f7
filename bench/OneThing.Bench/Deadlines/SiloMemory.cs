using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace OneThing.Bench.Deadlines;

/// <summary>
/// Resident memory of a process, from <c>/proc/&lt;pid&gt;/status</c>, and after a full collection the size of its
/// managed heap: what live objects hold, whether or not the runtime has handed the freed rest back to the system.
/// </summary>
public readonly record struct MemorySample(long ResidentBytes, long PeakResidentBytes, long? ManagedHeapBytes = null);

/// <summary>
/// Reads the silo's memory the way ops would see it (resident set size) after a full garbage collection, so that
/// garbage the silo has not yet had a reason to collect does not count as memory the open cases hold.
/// </summary>
public static class SiloMemory
{
    // Microsoft-Windows-DotNETRuntime keywords GC (0x1) and GCHeapCollect (0x800000): enabling the latter makes the
    // runtime run one induced, blocking full collection, as dotnet-gcdump does before it walks the heap.
    private const long GcKeywords = 0x1 | 0x800000;

    // The collection runs as soon as the session starts; a few seconds cover it on a heap of some gigabytes, and
    // the regions it frees are handed back to the system in the moment after it.
    private static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(4);

    public static async Task<MemorySample> AfterFullCollectionAsync(int pid)
    {
        var client = new DiagnosticsClient(pid);
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeywords);
        long? heap;
        using (var session = await client.StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 16, CancellationToken.None))
        {
            // The stream must be read anyway (an unread one stalls the runtime's writer); its GC events say how big
            // the heap is after the full collection.
            var reading = Task.Run(() => ManagedHeapAfterFullCollection(session.EventStream));
            await Task.Delay(SettleTime);
            await session.StopAsync(CancellationToken.None);
            heap = await reading;
        }
        return Read(pid) with { ManagedHeapBytes = heap };
    }

    /// <summary>The heap size the runtime reports after the last gen2 collection in <paramref name="events"/>.</summary>
    private static long? ManagedHeapAfterFullCollection(Stream events)
    {
        long? heap = null;
        var fullCollection = false;
        try
        {
            using var source = new EventPipeEventSource(events);
            source.Clr.GCStart += start => fullCollection = start.Depth == 2;
            source.Clr.GCHeapStats += stats =>
            {
                if (fullCollection)
                {
                    heap = stats.TotalHeapSize;
                }
            };
            source.Process();
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or EndOfStreamException)
        {
            // The session was stopped under the read: that is the end of the stream.
        }
        return heap;
    }

    public static MemorySample Read(int pid)
    {
        long resident = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
        }
        return new MemorySample(resident * 1024, peak * 1024);
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
}
