using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
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

/// <summary>
/// <c>--webhook on</c>: a receiver in the load generator's process subscribed (with the ops key) to every event, so the
/// run measures what one subscriber to everything costs and how long a push takes: from the event's time (taken when
/// its case decided it, a few milliseconds before its commit) to the receiver's clock, both on this machine. It
/// checks every signature and counts repeats of a webhook-id; the subscription is deleted at the end. It is a plain
/// Kestrel endpoint, as a receiver built on ASP.NET Core would be, so that its own cost on this machine is what such a
/// receiver costs and not more.
/// </summary>
public sealed class WebhookProbe : IAsyncDisposable
{
    private readonly WebApplication _receiver;
    private readonly HttpClient _api;
    private readonly LatencyHistogram _latency = new();
    private readonly HashSet<string> _seen = [];
    private readonly Lock _lock = new();
    private byte[] _key = [];
    private string? _subscription;
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private long _inWindow;
    private long _badSignatures;
    private long _repeats;

    private WebhookProbe(WebApplication receiver, HttpClient api)
    {
        _receiver = receiver;
        _api = api;
    }

    public static async Task<WebhookProbe> StartAsync(LifecycleSettings settings)
    {
        var ops = settings.Keys.Ops ?? throw new ArgumentException("--webhook on needs an ops key in the keys file.");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = settings.WebhookCertificate is { } file ? X509CertificateLoader.LoadPkcs12FromFile(file, password: null) : null;
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            }
        }));
        var receiver = builder.Build();
        var api = ApiClient.Create(settings.Api, 4, settings.RequestTimeout);
        api.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {ops}");
        var probe = new WebhookProbe(receiver, api);
        receiver.Run(probe.ReceiveAsync);
        await receiver.StartAsync();
        var port = new Uri(receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        using var response = await api.PostAsJsonAsync("/api/subscriptions",
            new { url = $"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}/hooks/", events = new[] { "*" }, description = "lifecycle bench" });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new ArgumentException($"subscribing answered {(int)response.StatusCode}: {body} (the API must allow http receivers: OneThing:Webhooks:AllowInsecureUrls)");
        }
        using var created = JsonDocument.Parse(body);
        probe._subscription = created.RootElement.GetProperty("subscriptionId").GetString();
        probe._key = Convert.FromBase64String(created.RootElement.GetProperty("secret").GetString()!["whsec_".Length..]);
        Console.WriteLine($"lifecycle: subscribed a receiver on port {port} ({(certificate is null ? "http" : "https, HTTP/2 offered")}) to every event ({probe._subscription})");
        return probe;
    }

    public void Open(long timestamp) => Interlocked.Exchange(ref _windowStart, timestamp);

    public void Close(long timestamp) => Interlocked.Exchange(ref _windowEnd, timestamp);

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
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(_key, content.Span));
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

    public WebhookReport Report(double windowSeconds) => new(
        Interlocked.Read(ref _inWindow), Math.Round(Interlocked.Read(ref _inWindow) / windowSeconds, 1),
        _latency.Percentile(0.50) / 1000.0, _latency.Percentile(0.99) / 1000.0, _latency.MaxMicroseconds / 1000.0,
        Interlocked.Read(ref _badSignatures), _repeats);

    public async ValueTask DisposeAsync()
    {
        if (_subscription is not null)
        {
            try
            {
                using var _ = await _api.DeleteAsync($"/api/subscriptions/{_subscription}");
            }
            catch (HttpRequestException)
            {
                // The API is gone (a stopped run): the subscription's receiver is gone too, nothing else depends on it.
            }
        }
        _api.Dispose();
        await _receiver.StopAsync();
        await _receiver.DisposeAsync();
    }
}

/// <summary>What the subscriber saw in the measured window; latency from the event's time to its arrival.</summary>
public sealed record WebhookReport(long Events, double PerSecond, double P50Ms, double P99Ms, double MaxMs, long BadSignatures, long Repeats)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"  webhook: {Events} events pushed in the window = {PerSecond:0.0}/s; event to receiver p50 {P50Ms:0} ms, p99 {P99Ms:0} ms, max {MaxMs:0} ms; bad signatures {BadSignatures}; repeated webhook-ids {Repeats}\n");
}
