using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Diagnostics;

/// <summary>
/// The built silo as ops start it, with its HTTP port (<c>OneThing:Silo:HttpPort</c>) and JSON logs, in a cluster of its
/// own on a database of its own.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private SiloProcess(RunningProcess process, string connectionString, string clusterId, int httpPort)
    {
        Process = process;
        ConnectionString = connectionString;
        ClusterId = clusterId;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
    }

    public RunningProcess Process { get; }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    /// <summary>The silo's own HTTP port: health and metrics.</summary>
    public HttpClient Http { get; }

    /// <summary>Starts a silo on a fresh database and waits until it reports itself ready.</summary>
    public static async Task<SiloProcess> StartAsync(string purpose)
    {
        var connectionString = await TestDatabase.CreateEmptyAsync(purpose);
        var clusterId = $"obs-{Guid.NewGuid():N}";
        var httpPort = RunningProcess.FreePort();
        var process = RunningProcess.Start(BuiltProcess.SiloAssembly, [], new Dictionary<string, string?>
        {
            ["ConnectionStrings:OneThing"] = connectionString,
            ["OneThing:Cluster:ClusterId"] = clusterId,
            ["OneThing:Cluster:ServiceId"] = clusterId,
            ["OneThing:Cluster:SiloPort"] = RunningProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["OneThing:Cluster:GatewayPort"] = RunningProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["OneThing:Silo:HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["Logging:Console:FormatterName"] = "json",
        }.Concat(TestPrivacyKeys.Settings));
        var silo = new SiloProcess(process, connectionString, clusterId, httpPort);
        try
        {
            await Poll.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("the silo exited: " + string.Join('\n', process.Lines));
                }
                using var response = await silo.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                return response.StatusCode;
            }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the silo process never reported ready");
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        return silo;
    }

    public async Task<string> ScrapeAsync() => await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
    }
}

/// <summary>Reads samples out of a Prometheus text exposition.</summary>
public static partial class Prometheus
{
    /// <summary>The sum of every sample of <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 when none.</summary>
    public static double Value(string exposition, string name, params (string Label, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in exposition.Split('\n'))
        {
            var match = Sample().Match(line);
            if (!match.Success || match.Groups["name"].Value != name)
            {
                continue;
            }
            var found = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (labels.All(label => found.TryGetValue(label.Label, out var value) && value == label.Value))
            {
                sum += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    /// <summary>Whether any sample's name starts with <paramref name="prefix"/>: a family of metrics is there.</summary>
    public static bool HasFamily(string exposition, string prefix) =>
        exposition.Split('\n').Any(line => !line.StartsWith('#') && line.StartsWith(prefix, StringComparison.Ordinal));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
