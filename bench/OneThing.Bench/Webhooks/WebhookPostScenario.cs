using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneThing.Grains.Webhooks;

namespace OneThing.Bench.Webhooks;

/// <summary>What one kind of receiver costs per post: rounds of <c>seconds</c> each, the kinds interleaved.</summary>
public sealed record WebhookPostRow(string Receiver, int Round, long Posts, double PostsPerSecond, double CpuMicrosecondsPerPost);

public sealed record WebhookPostResult(IReadOnlyList<WebhookPostRow> Rows);

/// <summary>
/// <c>webhook-post</c>: the project's <see cref="WebhookSender"/> posting signed events to receivers in this process on
/// plain HTTP/1.1, https with HTTP/1.1 only, and https offering HTTP/2, <c>--concurrency</c> posts in flight as a
/// partition's sender has them. The CPU per post is this process's, sender and receiver together: what a post costs a
/// machine that runs both, as the lifecycle benchmark's machine does.
/// </summary>
public static class WebhookPostScenario
{
    private const int Rounds = 3;

    public static async Task<WebhookPostResult> RunAsync(BenchSettings settings)
    {
        using var certificate = LoopbackCertificate.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Listen(IPAddress.Loopback, 0, https => { https.Protocols = HttpProtocols.Http1; https.UseHttps(certificate); });
            kestrel.Listen(IPAddress.Loopback, 0, https => { https.Protocols = HttpProtocols.Http1AndHttp2; https.UseHttps(certificate); });
        });
        await using var receiver = builder.Build();
        receiver.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        await receiver.StartAsync();
        var addresses = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(address => new Uri(address)).ToList();
        (string Name, Uri Url)[] receivers =
        [
            ("http, HTTP/1.1", new Uri(addresses.Single(a => a.Scheme == "http"), "/hooks")),
            ("https, HTTP/1.1 only", new Uri(addresses.Where(a => a.Scheme == "https").ElementAt(0), "/hooks")),
            ("https, HTTP/2 offered", new Uri(addresses.Where(a => a.Scheme == "https").ElementAt(1), "/hooks")),
        ];
        var roots = LoopbackCertificate.WriteTrustedRootsFile(certificate);
        using var sender = new WebhookSender(Options.Create(new WebhookOptions { AllowInsecureUrls = true, TrustedRootsFile = roots }), TimeProvider.System);
        File.Delete(roots);
        byte[][] keys = [WebhookSignature.KeyOf(WebhookSignature.NewSecret())];
        var body = Encoding.UTF8.GetBytes(SampleEvent);
        var rows = new List<WebhookPostRow>();
        for (var round = 0; round <= Rounds; round++)
        {
            foreach (var (name, url) in receivers)
            {
                // Round 0 warms the connections and the code up and is not reported.
                var row = await PostForAsync(sender, url, body, keys, round == 0 ? TimeSpan.FromSeconds(2) : settings.Duration, settings.Concurrency);
                if (round > 0)
                {
                    rows.Add(row with { Receiver = name, Round = round });
                }
            }
        }
        await receiver.StopAsync();
        return new WebhookPostResult(rows);
    }

    private static async Task<WebhookPostRow> PostForAsync(WebhookSender sender, Uri url, byte[] body, byte[][] keys, TimeSpan duration, int concurrency)
    {
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long posts = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var id = Interlocked.Increment(ref posts);
                var result = await sender.PostAsync(url, $"msg_bench_{id}", body, keys, CancellationToken.None);
                if (!result.Delivered)
                {
                    throw new InvalidOperationException($"{url} refused a post: {result.Error}");
                }
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds;
        return new WebhookPostRow("", 0, posts, posts / elapsed, cpu / posts);
    }

    public static string Format(WebhookPostResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("| receiver | round | posts | posts/s | CPU µs per post (sender and receiver) |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var row in result.Rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Receiver} | {row.Round} | {row.Posts} | {row.PostsPerSecond:0} | {row.CpuMicrosecondsPerPost:0.0} |"));
        }
        var means = result.Rows.GroupBy(row => row.Receiver)
            .Select(rows => string.Create(CultureInfo.InvariantCulture, $"{rows.Key} {rows.Average(r => r.CpuMicrosecondsPerPost):0.0} µs"));
        text.AppendLine($"summary: webhook-post CPU per post, mean of {Rounds} rounds | {string.Join(" | ", means)}");
        return text.ToString();
    }

    /// <summary>A TaskReady as a subscriber receives it, about the size of the real ones.</summary>
    private const string SampleEvent = """
        {"position":1234567890,"caseId":"NB-20261205-000001","itemCode":"newborn","region":"500103","seq":3,"type":"TaskReady","at":"2026-12-05T10:00:00.123+08:00","actor":{"role":"system","name":null,"department":null},"matterCode":"birth-medical","taskId":"NB-20261205-000001.birth-medical","data":{"dueAt":"2026-12-12T18:00:00.000+08:00","warningAt":"2026-12-11T18:00:00.000+08:00","inputs":["birthCertificateNo"]}}
        """;
}
