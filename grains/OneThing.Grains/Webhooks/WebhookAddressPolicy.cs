using System.Net;
using System.Net.Sockets;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// Where webhooks may go. Receivers are outside systems: a URL that reaches this cluster's own network (loopback,
/// link-local such as the cloud metadata address, private ranges) would let whoever may subscribe probe or call
/// internal services (SSRF). The rules hold when subscribing, on the URL's host and what it resolves to, and again on
/// every connection, against DNS that answers differently later.
/// </summary>
/// <param name="AllowInsecure">
/// <c>OneThing:Webhooks:AllowInsecureUrls</c>: <c>http</c> and loopback receivers too (development and tests).
/// </param>
public sealed record WebhookAddressPolicy(bool AllowInsecure)
{
    public const int MaxUrlLength = 2000;

    /// <summary>Null when <paramref name="url"/> may be a receiver as far as its text shows; otherwise why not.</summary>
    public string? CheckUrl(string url, out Uri? parsed)
    {
        parsed = null;
        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return $"An absolute URL of at most {MaxUrlLength} characters.";
        }
        if (uri.Scheme != Uri.UriSchemeHttps && !(AllowInsecure && uri.Scheme == Uri.UriSchemeHttp))
        {
            return AllowInsecure ? "An http or https URL." : "An https URL.";
        }
        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "A URL without user information or fragment.";
        }
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(uri.DnsSafeHost, out var address)
            && !Allows(address))
        {
            return "The URL's address is loopback, link-local, private or reserved: receivers must be reachable public hosts.";
        }
        if (!AllowInsecure && uri.IsLoopback)
        {
            return "The URL names this machine: receivers must be reachable public hosts.";
        }
        parsed = uri;
        return null;
    }

    /// <summary>Whether a receiver may be reached at <paramref name="address"/>.</summary>
    public bool Allows(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return AllowInsecure;
        }
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicV6(address),
            _ => false,
        };
    }

    private static bool IsPublicV4(byte[] b) => !(
        b[0] is 0 or 10 or 127 or >= 224                       // this network, private, loopback, multicast and reserved
        || (b[0] == 100 && b[1] >= 64 && b[1] < 128)           // carrier-grade NAT
        || (b[0] == 169 && b[1] == 254)                        // link-local (cloud metadata)
        || (b[0] == 172 && b[1] >= 16 && b[1] < 32)            // private
        || (b[0] == 192 && b[1] == 168)                        // private
        || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)        // IETF protocol assignments, documentation
        || (b[0] == 198 && b[1] is 18 or 19)                   // benchmarking
        || (b[0] == 198 && b[1] == 51 && b[2] == 100)          // documentation
        || (b[0] == 203 && b[1] == 0 && b[2] == 113));         // documentation

    private static bool IsPublicV6(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return !(address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (b[0] & 0xFE) == 0xFC                           // unique local (private)
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // documentation
            || (b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0 && b[8] == 0 && b[9] == 0 && b[10] == 0 && b[11] == 0)); // IPv4-compatible and the like
    }

    /// <summary>
    /// The addresses <paramref name="host"/> stands for that may be reached; refuses (with the reason) when none may.
    /// </summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(Allows).ToArray();
        if (allowed.Length == 0 || allowed.Length != addresses.Length)
        {
            // All or nothing: a name that resolves to one public and one internal address is refused, as a client could
            // connect to either.
            throw new WebhookAddressException($"{host} resolves to an address receivers may not have (loopback, link-local, private or reserved).");
        }
        return allowed;
    }
}

public sealed class WebhookAddressException(string message) : Exception(message);
