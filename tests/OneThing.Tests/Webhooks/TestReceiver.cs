using System.Collections.Concurrent;
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

namespace OneThing.Tests.Webhooks;

/// <summary>One request a receiver got, as it arrived.</summary>
public sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string ContentType, byte[] Body, int AnsweredStatus)
{
    public JsonElement Json => JsonSerializer.Deserialize<JsonElement>(Body);

    /// <summary>The HTTP version it came by, e.g. <c>HTTP/2</c>.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>
    /// Verifies the signature as a receiver following the Standard Webhooks specification would, written here from the
    /// specification rather than with the project's signer: HMAC-SHA256 of id.timestamp.body with the secret's bytes.
    /// </summary>
    public bool VerifiesWith(string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes($"{Id}.{Timestamp}."), .. Body]));
        return Signature.Split(' ').Any(s => s.StartsWith("v1,", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s[3..]), Encoding.ASCII.GetBytes(expected)));
    }
}

/// <summary>
/// A real HTTP receiver on 127.0.0.1 (Kestrel inside the test): records every request, answers what
/// <see cref="Answer"/> says, and can be stopped and started again on the same port.
/// </summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private WebApplication? _app;
    private int _port;

    /// <summary>The status to answer a request with; 200 unless a test says otherwise.</summary>
    public Func<ReceivedWebhook, int> Answer { get; set; } = _ => 200;

    /// <summary>How long the receiver takes before it answers: a slow peer keeps posts in flight.</summary>
    public TimeSpan AnswerDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Set before starting: the receiver listens on https with this certificate, offering HTTP/1.1 and HTTP/2.</summary>
    public X509Certificate2? Certificate { get; init; }

    public string Url => $"{(Certificate is null ? "http" : "https")}://127.0.0.1:{_port}/hooks";

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>The requests answered 2xx, by webhook-id, the first of each.</summary>
    public IReadOnlyList<ReceivedWebhook> Delivered => [.. _received.Where(r => r.AnsweredStatus is >= 200 and < 300).DistinctBy(r => r.Id)];

    public static async Task<TestReceiver> StartAsync()
    {
        var receiver = new TestReceiver();
        await receiver.StartAsync(0);
        return receiver;
    }

    /// <summary>Starts a receiver made with a <see cref="Certificate"/>: https on a free port.</summary>
    public Task StartTlsAsync() => StartAsync(0);

    /// <summary>Listens again on the port it had: a receiver back after an outage.</summary>
    public Task RestartAsync() => StartAsync(_port);

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (Certificate is not null)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(Certificate);
            }
        }));
        var app = builder.Build();
        app.MapPost("/hooks", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers;
            var request = new ReceivedWebhook(headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(),
                headers["webhook-signature"].ToString(), context.Request.ContentType ?? "", body.ToArray(), 0) { Protocol = context.Request.Protocol };
            if (AnswerDelay > TimeSpan.Zero)
            {
                await Task.Delay(AnswerDelay);
            }
            var status = Answer(request);
            _received.Enqueue(request with { AnsweredStatus = status });
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        _port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

