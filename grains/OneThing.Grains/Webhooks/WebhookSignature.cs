using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// Signing as the Standard Webhooks specification has it: <c>v1,</c> and the base64 HMAC-SHA256 of
/// <c>id.timestamp.body</c>, keyed with the bytes the <c>whsec_</c> secret encodes. Several signatures (during a secret's
/// rotation) are separated by spaces; a receiver accepts the message when one of them verifies.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    private const int SecretBytes = 32;

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>The key a secret encodes.</summary>
    /// <exception cref="FormatException">Not a <c>whsec_</c> secret.</exception>
    public static byte[] KeyOf(string secret)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new FormatException("A webhook secret starts with whsec_.");
        }
        return Convert.FromBase64String(secret[SecretPrefix.Length..]);
    }

    /// <summary>The <c>webhook-signature</c> header: one <c>v1,</c> signature per secret, in the order given.</summary>
    public static string Header(string messageId, long timestamp, ReadOnlySpan<byte> body, IEnumerable<string> secrets) =>
        Header(messageId, timestamp, body, [.. secrets.Select(KeyOf)]);

    /// <summary>The <c>webhook-signature</c> header: one <c>v1,</c> signature per key (<see cref="KeyOf"/>), in the order given.</summary>
    public static string Header(string messageId, long timestamp, ReadOnlySpan<byte> body, IReadOnlyList<byte[]> keys)
    {
        // Signed once per post and per key: the content is assembled in a pooled buffer, not in fresh arrays.
        var length = Encoding.UTF8.GetMaxByteCount(messageId.Length) + 22 + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(messageId, buffer);
            buffer[written++] = (byte)'.';
            timestamp.TryFormat(buffer.AsSpan(written), out var digits, provider: CultureInfo.InvariantCulture);
            written += digits;
            buffer[written++] = (byte)'.';
            body.CopyTo(buffer.AsSpan(written));
            var content = buffer.AsSpan(0, written + body.Length);
            var header = new StringBuilder(keys.Count * 48);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            foreach (var key in keys)
            {
                HMACSHA256.HashData(key, content, mac);
                header.Append(header.Length == 0 ? "v1," : " v1,").Append(Convert.ToBase64String(mac));
            }
            return header.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The <c>webhook-id</c> of an event sent to a subscription: the same for every retry and replay of it.</summary>
    public static string MessageId(Guid subscriptionId, long position) => $"msg_{subscriptionId:N}_{position}";
}
