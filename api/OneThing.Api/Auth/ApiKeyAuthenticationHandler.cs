using OneThing.Grains.Events;
using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using OneThing.Api.RateLimiting;
using OneThing.Grains.Diagnostics;

namespace OneThing.Api.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> against the configured keys. Challenges and
/// refusals answer problem+json like every other error. Failed attempts count against the client's address
/// (<see cref="FailedAuthenticationLimiter"/>); an address over its limit is answered 429 until its window ends.
/// </summary>
/// <remarks>
/// A failed attempt is reported as no result rather than a failure: ASP.NET Core writes a line for every failure,
/// and a flood of wrong keys must not become a flood of lines. They are logged here, once per interval with a count.
/// </remarks>
public sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyIndex keys,
    FailedAuthenticationLimiter failures,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        // A scraper's token is the scrape key: not an API key, and no failed authentication of its address.
        if (string.IsNullOrEmpty(header) || Context.GetEndpoint()?.Metadata.GetMetadata<Health.MetricsEndpoint.ScrapeKeyOnly>() is not null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var address = FailedAuthenticationLimiter.AddressOf(Context);
        var principal = header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? keys.Find(header.AsSpan(BearerPrefix.Length).Trim())
            : null;
        if (principal is null)
        {
            var retryAfter = failures.RecordFailure(address);
            Context.Features.Set(new AuthenticationRefused(retryAfter));
            if (LogThrottle.Default.ShouldLog(retryAfter is null ? "authentication failed" : "authentication limited", out var suppressed))
            {
                if (retryAfter is null)
                {
                    LogFailed(Logger, address, suppressed.Note);
                }
                else
                {
                    LogLimited(Logger, address, suppressed.Note);
                }
            }
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (failures.Refused(address) is { } wait)
        {
            Context.Features.Set(new AuthenticationRefused(wait));
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Context.Features.Get<AuthenticationRefused>()?.RetryAfter is { } retryAfter
            ? RateLimitingSetup.WriteTooManyRequestsAsync(Context, retryAfter,
                "Too many failed authentications from this address; every request with a key is refused until the window ends.")
            : WriteProblemAsync(StatusCodes.Status401Unauthorized, "Authentication required",
                "Send 'Authorization: Bearer <api key>' with a key issued to your channel, department or ops team.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
            "Your API key's role or department may not use this resource.");

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
        }
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Authentication failed: unknown or malformed API key from {Address}{Repeats}")]
    private static partial void LogFailed(ILogger logger, string address, string repeats);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too many failed authentications: {Address} is refused with 429 until its window ends{Repeats}")]
    private static partial void LogLimited(ILogger logger, string address, string repeats);

    /// <summary>Why a request with a key is not authenticated, and when it is over the limit, how long it must wait.</summary>
    private sealed record AuthenticationRefused(TimeSpan? RetryAfter);
}

/// <summary>
/// The configured keys by their SHA-256 digest, each with the principal its callers act as, rebuilt when the keys
/// change. A request hashes the key it presents and looks the digest up: no scan over every key, nothing allocated.
/// Looking up a digest rather than comparing keys is also what keeps timing from telling how much of a key was right.
/// The principals are shared by every request with the same key, so nothing may change them.
/// </summary>
public sealed class ApiKeyIndex : IDisposable
{
    private const int StackLimit = 256;
    private volatile Dictionary<Digest, ClaimsPrincipal> _principals;
    private readonly IDisposable? _subscription;

    public ApiKeyIndex(IOptionsMonitor<ApiKeyOptions> keys)
    {
        _principals = Build(keys.CurrentValue);
        _subscription = keys.OnChange(changed => _principals = Build(changed));
    }

    public ClaimsPrincipal? Find(ReadOnlySpan<char> presented)
    {
        var length = Encoding.UTF8.GetMaxByteCount(presented.Length);
        byte[]? rented = null;
        var utf8 = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(presented, utf8);
            return _principals.GetValueOrDefault(Digest.Of(utf8[..written]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private static Dictionary<Digest, ClaimsPrincipal> Build(ApiKeyOptions options)
    {
        var principals = new Dictionary<Digest, ClaimsPrincipal>();
        foreach (var (entry, position) in options.Keys.Select((entry, position) => (entry, position)).Where(key => !string.IsNullOrEmpty(key.entry.Key)))
        {
            List<Claim> claims =
            [
                new(ClaimTypes.Role, entry.Role),
                new(ClaimTypes.Name, entry.Name ?? entry.Department ?? entry.Role),
                new(Roles.KeyClaim, position.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ];
            if (entry.Department is { Length: > 0 } department)
            {
                claims.Add(new Claim(Roles.DepartmentClaim, department));
            }
            // Validation refuses repeated keys; the first one wins should validation ever be bypassed.
            principals.TryAdd(Digest.Of(Encoding.UTF8.GetBytes(entry.Key)),
                new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName)));
        }
        return principals;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Digest(ulong A, ulong B, ulong C, ulong D)
    {
        public static Digest Of(ReadOnlySpan<byte> key)
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(key, hash);
            return MemoryMarshal.Read<Digest>(hash);
        }
    }
}

public static class ApiKeyAuthenticationExtensions
{
    public static IServiceCollection AddOneThingAuth(this IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(ApiKeyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ApiKeyIndex>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Portal, policy => policy.RequireRole(Roles.Portal))
            .AddPolicy(Roles.Department, policy => policy.RequireRole(Roles.Department).RequireClaim(Roles.DepartmentClaim))
            .AddPolicy(Roles.Ops, policy => policy.RequireRole(Roles.Ops));
        return services;
    }

    /// <summary>The department code of a caller with role department, or null.</summary>
    public static string? DepartmentCode(this ClaimsPrincipal user) => user.FindFirst(Roles.DepartmentClaim)?.Value;

    /// <summary>The caller as the case's events record it: its role, its key's name and its department.</summary>
    public static EventActor Actor(this ClaimsPrincipal user) =>
        new(Roles.All.FirstOrDefault(user.IsInRole) ?? "unknown", user.Identity?.Name, user.DepartmentCode());
}
