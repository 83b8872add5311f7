using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;

namespace OneThing.Bench.Deadlines;

/// <summary>Resident memory of a process, from <c>/proc/&lt;pid&gt;/status</c>.</summary>
public readonly record struct MemorySample(long ResidentBytes, long PeakResidentBytes);

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
        using (var session = await client.StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 16, CancellationToken.None))
        {
            // The events themselves are not needed, but an unread stream would stall the runtime's writer.
            var drain = DrainAsync(session.EventStream);
            await Task.Delay(SettleTime);
            await session.StopAsync(CancellationToken.None);
            await drain;
        }
        return Read(pid);
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

    private static async Task DrainAsync(Stream events)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await events.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException)
        {
            // The session was stopped under the read: that is the end of the stream.
        }
    }
}
