using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace OneThing.Console.SignIn;

public enum SignInResult
{
    Succeeded,
    Failed,
    LockedOut,
}

/// <summary>The configured staff accounts: password check, lock-out after repeated failures, and the signed-in principal.</summary>
public sealed class ConsoleUsers(IOptionsMonitor<ConsoleOptions> options, TimeProvider clock)
{
    private static readonly PasswordHasher<ConsoleUser> Hasher = new();

    // Verified against when the name is unknown, so an unknown name costs what a known one does.
    private static readonly string DecoyHash = Hasher.HashPassword(new ConsoleUser(), Guid.NewGuid().ToString());

    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, LockoutState> _lockouts = new(StringComparer.OrdinalIgnoreCase);

    public static string Hash(string password) => Hasher.HashPassword(new ConsoleUser(), password);

    public (SignInResult Result, ClaimsPrincipal? Principal) SignIn(string userName, string password)
    {
        var name = userName.Trim();
        var limits = options.CurrentValue.SignIn;
        var now = clock.GetUtcNow();
        // Unknown names are counted and locked too: the answer never tells whether a name exists.
        if (SignInLockout.IsLocked(_lockouts.GetValueOrDefault(name, LockoutState.None), now))
        {
            return (SignInResult.LockedOut, null);
        }
        var user = options.CurrentValue.Users.FirstOrDefault(u => string.Equals(u.UserName, name, StringComparison.OrdinalIgnoreCase));
        var verified = Hasher.VerifyHashedPassword(user ?? new ConsoleUser(), user?.PasswordHash ?? DecoyHash, password);
        if (user is null || verified == PasswordVerificationResult.Failed || !ConsoleRoles.All.Contains(user.Role))
        {
            var state = _lockouts.AddOrUpdate(name, _ => SignInLockout.AfterFailure(LockoutState.None, now, limits),
                (_, old) => SignInLockout.AfterFailure(old, now, limits));
            if (_lockouts.Count > MaxTracked)
            {
                // Names tried once each must not grow this without bound: past the cap, counts that lock nothing go.
                foreach (var (tracked, held) in _lockouts)
                {
                    if (!SignInLockout.IsLocked(held, now))
                    {
                        _lockouts.TryRemove(tracked, out _);
                    }
                }
            }
            return (SignInLockout.IsLocked(state, now) ? SignInResult.LockedOut : SignInResult.Failed, null);
        }
        _lockouts.TryRemove(name, out _);
        List<Claim> claims = [new(ClaimTypes.Name, user.UserName), new(ClaimTypes.Role, user.Role)];
        if (user.Department is { Length: > 0 } department)
        {
            claims.Add(new Claim(ConsoleRoles.DepartmentClaim, department));
        }
        return (SignInResult.Succeeded, new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
    }
}
