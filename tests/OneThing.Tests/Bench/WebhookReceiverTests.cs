using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using OneThing.Bench.Lifecycle;
using OneThing.Grains.Webhooks;

namespace OneThing.Tests.Bench;

/// <summary>
/// The lifecycle bench's webhook receiver counts what the cost figures are judged by (signatures, repeats, events in
/// the window), in the load generator's process or in one of its own.
/// </summary>
public sealed class WebhookReceiverTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheReceiverCountsBadSignaturesRepeatsAndTheEventsOfTheWindow(bool processOfItsOwn)
    {
        await using IWebhookReceiver receiver = processOfItsOwn
            ? await WebhookReceiverProcess.StartAsync(certificateFile: null, idle: false)
            : await WebhookReceiver.StartAsync(certificateFile: null);
        Assert.Equal(processOfItsOwn, receiver.Pid is not null);
        var key = RandomNumberGenerator.GetBytes(32);
        await receiver.UseKeyAsync(key);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{receiver.Port}/") };

        await PostAsync(client, "msg_before", key);
        await receiver.OpenAsync(Stopwatch.GetTimestamp());
        await PostAsync(client, "msg_1", key);
        await PostAsync(client, "msg_1", key);
        await PostAsync(client, "msg_2", RandomNumberGenerator.GetBytes(32));
        await receiver.CloseAsync(Stopwatch.GetTimestamp());
        await PostAsync(client, "msg_after", key);
        var report = await receiver.ReportAsync(windowSeconds: 1);

        Assert.Equal(3, report.Events);
        Assert.Equal(1, report.Repeats);
        Assert.Equal(1, report.BadSignatures);
        Assert.InRange(report.P50Ms, 0, 60_000);
    }

    private static async Task PostAsync(HttpClient client, string id, byte[] key)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","at":"{{DateTimeOffset.UtcNow:O}}"}""");
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, "hooks/") { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Header(id, timestamp, body, [key]));
        using var response = await client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
