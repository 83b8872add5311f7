using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace OneThing.Api.RateLimiting;

/// <summary>
/// Counts failed authentications per client address in fixed windows. An address over its limit is refused with 429
/// for the rest of the window, whatever key it presents, a valid one included: were the right key let through, a
/// guesser would still tell it from the wrong ones at full speed.
/// </summary>
public sealed class FailedAuthenticationLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly long _windowMilliseconds;

    /// <summary>When a failure was last counted (<see cref="Environment.TickCount64"/>), so that valid requests skip the limiter when there were none.</summary>
    private long _lastFailureAt = long.MinValue / 2;

    public FailedAuthenticationLimiter(IOptions<RateLimitOptions> options)
    {
        var settings = options.Value;
        _windowMilliseconds = (long)Math.Ceiling(settings.FailedAuthWindow.TotalMilliseconds);
        if (settings.FailedAuthPerWindow > 0)
        {
            _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.FailedAuthPerWindow,
                    Window = settings.FailedAuthWindow,
                    QueueLimit = 0,
                }));
        }
    }

    /// <summary>Counts a failed authentication from <paramref name="address"/>; when that is one too many, how long until it may try again.</summary>
    public TimeSpan? RecordFailure(string address)
    {
        if (_limiter is null)
        {
            return null;
        }
        Volatile.Write(ref _lastFailureAt, Environment.TickCount64);
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired ? null : RetryAfter(lease);
    }

    /// <summary>How long <paramref name="address"/> must wait when it is over its limit now; null when it is not. Counts nothing.</summary>
    public TimeSpan? Refused(string address)
    {
        // No failure anywhere within a window: nobody can be over the limit, and the limiter's lock is not taken.
        if (_limiter is null || Environment.TickCount64 - Volatile.Read(ref _lastFailureAt) > _windowMilliseconds * 2)
        {
            return null;
        }
        using var lease = _limiter.AttemptAcquire(address, permitCount: 0);
        return lease.IsAcquired ? null : RetryAfter(lease);
    }

    /// <summary>The address a request's failures count against (IPv4 written as such even on a dual-stack socket).</summary>
    public static string AddressOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    public void Dispose() => _limiter?.Dispose();

    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
}
