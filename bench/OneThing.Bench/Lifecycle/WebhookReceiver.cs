using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OneThing.Bench.Lifecycle;

/// <summary>Where <c>--webhook on</c>'s receiver runs (<c>--webhook-receiver</c>).</summary>
public enum ReceiverPlacement
{
    /// <summary>In the load generator's process (the default, as in every run before the option).</summary>
    Inline,

    /// <summary>A process of its own, whose CPU is reported on a line of its own.</summary>
    Process,

    /// <summary>
    /// A process of its own under Linux's SCHED_IDLE policy: it runs only on cycles the cluster and the load generator
    /// leave, so on a machine the bench shares with the cluster it takes next to nothing from them, as a receiver on a
    /// machine of its own would not.
    /// </summary>
    Idle,
}

/// <summary>The receiving end of <c>--webhook on</c>, wherever it runs.</summary>
public interface IWebhookReceiver : IAsyncDisposable
{
    int Port { get; }

    /// <summary>The receiver's own process, when it has one: its CPU is reported apart from the load generator's.</summary>
    int? Pid { get; }

    /// <summary>The subscription's signing key (the base64-decoded part of its secret after <c>whsec_</c>).</summary>
    Task UseKeyAsync(byte[] key);

    /// <summary>The measured window, as <see cref="Stopwatch"/> timestamps (the machine's monotonic clock).</summary>
    Task OpenAsync(long timestamp);

    Task CloseAsync(long timestamp);

    Task<WebhookReport> ReportAsync(double windowSeconds);
}

/// <summary>
/// A plain Kestrel endpoint, as a receiver built on ASP.NET Core would be, so that its own cost on this machine is what
/// such a receiver costs and not more. It checks every signature, counts repeats of a webhook-id, and measures push
/// latency: from the event's time (taken when its case decided it, a few milliseconds before its commit) to this
/// receiver's clock, both on this machine.
/// </summary>
public sealed class WebhookReceiver : IWebhookReceiver
{
    private readonly WebApplication _app;
    private readonly LatencyHistogram _latency = new();
    private readonly HashSet<string> _seen = [];
    private readonly Lock _lock = new();
    private byte[] _key = [];
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private long _inWindow;
    private long _badSignatures;
    private long _repeats;

    private WebhookReceiver(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public int? Pid => null;

    /// <summary>Listens on a free loopback port: https offering HTTP/2 with <paramref name="certificateFile"/>, else plain HTTP/1.1.</summary>
    public static async Task<WebhookReceiver> StartAsync(string? certificateFile)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = certificateFile is null ? null : X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password: null);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            }
        }));
        var receiver = new WebhookReceiver(builder.Build());
        receiver._app.Run(receiver.ReceiveAsync);
        await receiver._app.StartAsync();
        receiver.Port = new Uri(receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return receiver;
    }

    public Task UseKeyAsync(byte[] key)
    {
        Volatile.Write(ref _key, key);
        return Task.CompletedTask;
    }

    public Task OpenAsync(long timestamp)
    {
        Interlocked.Exchange(ref _windowStart, timestamp);
        return Task.CompletedTask;
    }

    public Task CloseAsync(long timestamp)
    {
        Interlocked.Exchange(ref _windowEnd, timestamp);
        return Task.CompletedTask;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var now = DateTimeOffset.UtcNow;
        var stamp = Stopwatch.GetTimestamp();
        var headers = context.Request.Headers;
        var id = headers["webhook-id"].ToString();
        using var buffer = new MemoryStream();
        var signed = Encoding.UTF8.GetBytes($"{id}.{headers["webhook-timestamp"]}.");
        buffer.Write(signed);
        await context.Request.Body.CopyToAsync(buffer);
        var content = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Volatile.Read(ref _key), content.Span));
        if (!headers["webhook-signature"].ToString().Split(' ').Contains(expected))
        {
            Interlocked.Increment(ref _badSignatures);
        }
        lock (_lock)
        {
            if (!_seen.Add(id))
            {
                _repeats++;
            }
        }
        if (stamp >= Interlocked.Read(ref _windowStart) && stamp < Interlocked.Read(ref _windowEnd))
        {
            using var json = JsonDocument.Parse(content[signed.Length..]);
            var at = json.RootElement.GetProperty("at").GetDateTimeOffset();
            _latency.Record(Math.Max(0, (long)((now - at).TotalMilliseconds * 1000)));
            Interlocked.Increment(ref _inWindow);
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    public Task<WebhookReport> ReportAsync(double windowSeconds)
    {
        long repeats;
        lock (_lock)
        {
            repeats = _repeats;
        }
        var events = Interlocked.Read(ref _inWindow);
        return Task.FromResult(new WebhookReport(events, Math.Round(events / windowSeconds, 1),
            _latency.Percentile(0.50) / 1000.0, _latency.Percentile(0.99) / 1000.0, _latency.MaxMicroseconds / 1000.0,
            Interlocked.Read(ref _badSignatures), repeats));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
