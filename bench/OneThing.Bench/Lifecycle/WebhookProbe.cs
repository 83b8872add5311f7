using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// <c>--webhook on</c>: a receiver subscribed (with the ops key) to every event, so the run measures what one subscriber
/// to everything costs and how long a push takes. The receiver runs in the load generator's process, or in one of its
/// own (<see cref="ReceiverPlacement"/>); the subscription is deleted at the end.
/// </summary>
public sealed class WebhookProbe : IAsyncDisposable
{
    private readonly IWebhookReceiver _receiver;
    private readonly HttpClient _api;
    private string? _subscription;

    private WebhookProbe(IWebhookReceiver receiver, HttpClient api)
    {
        _receiver = receiver;
        _api = api;
    }

    /// <summary>The receiver's own process, when it has one.</summary>
    public int? ReceiverPid => _receiver.Pid;

    public static async Task<WebhookProbe> StartAsync(LifecycleSettings settings)
    {
        var ops = settings.Keys.Ops ?? throw new ArgumentException("--webhook on needs an ops key in the keys file.");
        var certificate = settings.WebhookCertificate;
        IWebhookReceiver receiver = settings.WebhookReceiver == ReceiverPlacement.Inline
            ? await WebhookReceiver.StartAsync(certificate)
            : await WebhookReceiverProcess.StartAsync(certificate, idle: settings.WebhookReceiver == ReceiverPlacement.Idle);
        var api = ApiClient.Create(settings.Api, 4, settings.RequestTimeout);
        api.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {ops}");
        var probe = new WebhookProbe(receiver, api);
        using var response = await api.PostAsJsonAsync("/api/subscriptions",
            new { url = $"{(certificate is null ? "http" : "https")}://127.0.0.1:{receiver.Port}/hooks/", events = new[] { "*" }, description = "lifecycle bench" });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            await probe.DisposeAsync();
            throw new ArgumentException($"subscribing answered {(int)response.StatusCode}: {body} (the API must allow http receivers: OneThing:Webhooks:AllowInsecureUrls)");
        }
        using var created = JsonDocument.Parse(body);
        probe._subscription = created.RootElement.GetProperty("subscriptionId").GetString();
        await receiver.UseKeyAsync(Convert.FromBase64String(created.RootElement.GetProperty("secret").GetString()!["whsec_".Length..]));
        var place = settings.WebhookReceiver switch
        {
            ReceiverPlacement.Inline => "in this process",
            ReceiverPlacement.Process => string.Create(CultureInfo.InvariantCulture, $"in process {receiver.Pid}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"in process {receiver.Pid} under SCHED_IDLE"),
        };
        Console.WriteLine($"lifecycle: subscribed a receiver on port {receiver.Port} ({(certificate is null ? "http" : "https, HTTP/2 offered")}, {place}) to every event ({probe._subscription})");
        return probe;
    }

    public Task OpenAsync(long timestamp) => _receiver.OpenAsync(timestamp);

    public Task CloseAsync(long timestamp) => _receiver.CloseAsync(timestamp);

    public Task<WebhookReport> ReportAsync(double windowSeconds) => _receiver.ReportAsync(windowSeconds);

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
        await _receiver.DisposeAsync();
    }
}

/// <summary>What the subscriber saw in the measured window; latency from the event's time to its arrival.</summary>
public sealed record WebhookReport(long Events, double PerSecond, double P50Ms, double P99Ms, double MaxMs, long BadSignatures, long Repeats)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"  webhook: {Events} events pushed in the window = {PerSecond:0.0}/s; event to receiver p50 {P50Ms:0} ms, p99 {P99Ms:0} ms, max {MaxMs:0} ms; bad signatures {BadSignatures}; repeated webhook-ids {Repeats}\n");
}
