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
    public static string Header(string messageId, long timestamp, ReadOnlySpan<byte> body, IEnumerable<string> secrets)
    {
        var signed = SignedContent(messageId, timestamp, body);
        return string.Join(' ', secrets.Select(secret => "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), signed))));
    }

    private static byte[] SignedContent(string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return content;
    }

    /// <summary>The <c>webhook-id</c> of an event sent to a subscription: the same for every retry and replay of it.</summary>
    public static string MessageId(Guid subscriptionId, long position) => $"msg_{subscriptionId:N}_{position}";
}
