using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace OneThing.Grains.Webhooks;

/// <summary>One post to a receiver and how it ended.</summary>
public sealed record PostResult(bool Delivered, int? HttpStatus, string? Error);

/// <summary>
/// Posts signed messages to receivers. Every connection resolves the host itself and connects only to an address the
/// <see cref="WebhookAddressPolicy"/> allows, so a name that later resolves inward (DNS rebinding) is refused then;
/// redirects are not followed and no proxy is used, for the same reason.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _client;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _clock;

    public WebhookSender(IOptions<WebhookOptions> options, TimeProvider clock)
    {
        _options = options.Value;
        _clock = clock;
        var policy = _options.AddressPolicy;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = _options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            // A receiver that offers HTTP/2 (by ALPN, over https) takes a sender's posts side by side on one connection.
            EnableMultipleHttp2Connections = true,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await policy.ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (TrustedRoots(_options) is { } trustedRoots)
        {
            var chain = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            chain.CustomTrustStore.AddRange(trustedRoots);
            handler.SslOptions.CertificateChainPolicy = chain;
        }
        // The client's own timeout: one timer per post, where a linked token of ours would add a second.
        _client = new HttpClient(handler) { Timeout = _options.Timeout };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("OneThing-Webhooks", "1"));
    }

    /// <summary>Posts <paramref name="body"/> as JSON, signed with each of <paramref name="keys"/>; a 2xx is delivered.</summary>
    public async Task<PostResult> PostAsync(Uri url, string messageId, byte[] body, IReadOnlyList<byte[]> keys, CancellationToken cancellationToken)
    {
        var timestamp = _clock.GetUtcNow().ToUnixTimeSeconds();
        // HTTP/2 where the receiver negotiates it (https), else HTTP/1.1: each post then costs the sender and the
        // receiver less (bench/README.md).
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("webhook-id", messageId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Header(messageId, timestamp, body, keys));
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode ? new PostResult(true, status, null) : new PostResult(false, status, $"HTTP {status}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PostResult(false, null, $"no answer within {_options.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException error)
        {
            return new PostResult(false, null, Describe(error));
        }
    }

    private static X509Certificate2Collection? TrustedRoots(WebhookOptions options)
    {
        if (options.TrustedRootsFile is not { Length: > 0 } file)
        {
            return null;
        }
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(file);
        return roots;
    }

    // A few words a listing can show; never the receiver's body, and nothing of the request.
    private static string Describe(HttpRequestException error) => error.InnerException switch
    {
        WebhookAddressException refused => refused.Message,
        SocketException socket => $"connection failed ({socket.SocketErrorCode})",
        _ => error.HttpRequestError == HttpRequestError.Unknown ? "request failed" : $"request failed ({error.HttpRequestError})",
    };

    public void Dispose() => _client.Dispose();
}
