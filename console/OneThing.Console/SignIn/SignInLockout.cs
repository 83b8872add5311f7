namespace OneThing.Console.SignIn;

/// <summary>Failed sign-ins of one user name: how many in a row, and until when the name is locked.</summary>
public sealed record LockoutState(int Failures, DateTimeOffset? LockedUntil)
{
    public static readonly LockoutState None = new(0, null);
}

/// <summary>
/// The lock-out rule, pure: after <see cref="SignInLimits.MaxFailures"/> failures in a row a name is locked for
/// <see cref="SignInLimits.Lockout"/>; a success clears it; while locked even the right password is refused.
/// </summary>
public static class SignInLockout
{
    public static bool IsLocked(LockoutState state, DateTimeOffset now) => state.LockedUntil is { } until && now < until;

    public static LockoutState AfterFailure(LockoutState state, DateTimeOffset now, SignInLimits limits)
    {
        // A lock that has run out starts a fresh count.
        var failures = (state.LockedUntil is { } until && now >= until ? 0 : state.Failures) + 1;
        return failures >= limits.MaxFailures
            ? new LockoutState(failures, now + limits.Lockout)
            : new LockoutState(failures, null);
    }
}
