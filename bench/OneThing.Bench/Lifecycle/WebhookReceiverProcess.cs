using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// A <see cref="WebhookReceiver"/> in a process of its own (<c>OneThing.Bench webhook-receiver</c>), driven through its
/// standard input and output one line at a time: it answers <c>port N</c> once it listens, then takes <c>key</c>,
/// <c>open</c> and <c>close</c> (each answered with <c>ok</c> once it holds, so a post made after it is counted by it)
/// and <c>report</c> (answered with <c>report {json}</c>); it stops at the end of its input.
/// </summary>
public sealed class WebhookReceiverProcess : IWebhookReceiver
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly SemaphoreSlim _turn = new(1, 1);

    private WebhookReceiverProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int? Pid => _process.Id;

    /// <summary>Starts the receiver's process; under SCHED_IDLE (<c>chrt --idle 0</c>) when <paramref name="idle"/>.</summary>
    public static async Task<WebhookReceiverProcess> StartAsync(string? certificateFile, bool idle)
    {
        // Run as this bench runs: through the dotnet host with the entry assembly, or as its own executable.
        var host = Environment.ProcessPath!;
        var throughDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        var start = new ProcessStartInfo(idle ? "chrt" : host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (idle)
        {
            // chrt replaces itself with the receiver, so the process started is the receiver's own.
            foreach (var argument in new[] { "--idle", "0", host })
            {
                start.ArgumentList.Add(argument);
            }
        }
        if (throughDotnet)
        {
            start.ArgumentList.Add(typeof(WebhookReceiverProcess).Assembly.Location);
        }
        start.ArgumentList.Add("webhook-receiver");
        if (certificateFile is not null)
        {
            start.ArgumentList.Add("--webhook-certificate");
            start.ArgumentList.Add(certificateFile);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("the webhook receiver's process did not start");
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(StartLimit);
        if (first is null || !first.StartsWith("port ", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"the webhook receiver's process did not say its port (it said: {first ?? "nothing"})");
        }
        return new WebhookReceiverProcess(process, int.Parse(first["port ".Length..], CultureInfo.InvariantCulture));
    }

    public Task UseKeyAsync(byte[] key) => SendAsync($"key {Convert.ToBase64String(key)}");

    public Task OpenAsync(long timestamp) => SendAsync(string.Create(CultureInfo.InvariantCulture, $"open {timestamp}"));

    public Task CloseAsync(long timestamp) => SendAsync(string.Create(CultureInfo.InvariantCulture, $"close {timestamp}"));

    public async Task<WebhookReport> ReportAsync(double windowSeconds)
    {
        var answer = await ExchangeAsync(string.Create(CultureInfo.InvariantCulture, $"report {windowSeconds:R}"));
        return answer.StartsWith("report ", StringComparison.Ordinal)
            ? JsonSerializer.Deserialize<WebhookReport>(answer["report ".Length..])!
            : throw new InvalidOperationException($"the webhook receiver's process answered '{answer}' to report");
    }

    private async Task SendAsync(string line)
    {
        if (await ExchangeAsync(line) != "ok")
        {
            throw new InvalidOperationException($"the webhook receiver's process did not take '{line.Split(' ')[0]}'");
        }
    }

    /// <summary>One command and its answer line, one exchange at a time.</summary>
    private async Task<string> ExchangeAsync(string line)
    {
        await _turn.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
            return await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the webhook receiver's process ended");
        }
        finally
        {
            _turn.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync().WaitAsync(StartLimit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        _process.Dispose();
        _turn.Dispose();
    }

    /// <summary>The <c>webhook-receiver</c> scenario: the receiving process's side of the lines above.</summary>
    public static async Task<int> RunAsync(string? certificateFile)
    {
        await using var receiver = await WebhookReceiver.StartAsync(certificateFile);
        var output = Console.Out;
        await output.WriteLineAsync($"port {receiver.Port}");
        await output.FlushAsync();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var (verb, argument) = line.IndexOf(' ') is var space and > 0 ? (line[..space], line[(space + 1)..]) : (line, "");
            switch (verb)
            {
                case "key":
                    await receiver.UseKeyAsync(Convert.FromBase64String(argument));
                    await AcknowledgeAsync(output);
                    break;
                case "open":
                    await receiver.OpenAsync(long.Parse(argument, CultureInfo.InvariantCulture));
                    await AcknowledgeAsync(output);
                    break;
                case "close":
                    await receiver.CloseAsync(long.Parse(argument, CultureInfo.InvariantCulture));
                    await AcknowledgeAsync(output);
                    break;
                case "report":
                    var report = await receiver.ReportAsync(double.Parse(argument, CultureInfo.InvariantCulture));
                    await output.WriteLineAsync($"report {JsonSerializer.Serialize(report)}");
                    await output.FlushAsync();
                    break;
                default:
                    await Console.Error.WriteLineAsync($"onething-bench webhook-receiver: unknown command '{verb}'");
                    return 2;
            }
        }
        return 0;
    }

    private static async Task AcknowledgeAsync(TextWriter output)
    {
        await output.WriteLineAsync("ok");
        await output.FlushAsync();
    }
}
