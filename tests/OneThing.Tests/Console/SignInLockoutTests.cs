using Microsoft.Extensions.Configuration;
using OneThing.Console;
using OneThing.Console.SignIn;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Console;

/// <summary>The lock-out rule alone, without a host.</summary>
public sealed class SignInLockoutTests
{
    private static readonly SignInLimits Limits = new() { MaxFailures = 3, Lockout = TimeSpan.FromMinutes(15) };
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ANameIsLockedAtTheConfiguredFailureAndStaysLockedForTheConfiguredTime()
    {
        var state = LockoutState.None;
        state = SignInLockout.AfterFailure(state, Now, Limits);
        state = SignInLockout.AfterFailure(state, Now, Limits);
        Assert.False(SignInLockout.IsLocked(state, Now));
        state = SignInLockout.AfterFailure(state, Now, Limits);
        Assert.True(SignInLockout.IsLocked(state, Now));
        Assert.True(SignInLockout.IsLocked(state, Now.AddMinutes(14)));
        Assert.False(SignInLockout.IsLocked(state, Now.AddMinutes(15)));
    }

    [Fact]
    public void AFailureAfterALockRanOutStartsTheCountAgain()
    {
        var state = new LockoutState(3, Now);
        state = SignInLockout.AfterFailure(state, Now.AddMinutes(1), Limits);
        Assert.Equal(1, state.Failures);
        Assert.False(SignInLockout.IsLocked(state, Now.AddMinutes(1)));
    }

    [Fact]
    public void UnknownNamesAreCountedAndLockedLikeKnownOnes()
    {
        var users = new ConsoleUsers(new StaticOptions(new ConsoleOptions { SignIn = Limits }), TimeProvider.System);
        Assert.Equal(SignInResult.Failed, users.SignIn("nobody", "x").Result);
        Assert.Equal(SignInResult.Failed, users.SignIn("nobody", "x").Result);
        Assert.Equal(SignInResult.LockedOut, users.SignIn("NOBODY", "x").Result);
    }

    [Fact]
    public void EveryDevelopmentUserSignsInWithTheDocumentedPasswordAndActsWithItsDepartmentsDevelopmentKey()
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(BuiltProcess.AssemblyOf(Path.Combine("console", "OneThing.Console"), "OneThing.Console.dll")))!;
        var repository = Path.GetFullPath(Path.Combine(root, "..", "..", "..", ".."));
        var console = new ConfigurationBuilder().AddJsonFile(Path.Combine(repository, "console", "OneThing.Console", "appsettings.Development.json")).Build()
            .GetSection(ConsoleOptions.Section).Get<ConsoleOptions>()!;
        var apiKeys = new ConfigurationBuilder().AddJsonFile(Path.Combine(repository, "api", "OneThing.Api", "appsettings.Development.json")).Build()
            .GetSection("OneThing:Auth:Keys").GetChildren()
            .Where(key => key["Department"] is not null).ToDictionary(key => key["Department"]!, key => key["Key"]!);
        var users = new ConsoleUsers(new StaticOptions(console), TimeProvider.System);

        Assert.All(console.Users, user => Assert.Equal(SignInResult.Succeeded, users.SignIn(user.UserName, $"{user.UserName}-dev-password").Result));
        // A department user for every department the API has a development key for, acting with that key.
        Assert.Equal(apiKeys.Keys.Order(), console.Users.Where(u => u.Role == "department").Select(u => u.Department!).Order());
        Assert.All(apiKeys, key => Assert.Equal(key.Value, console.ApiKeys.Departments[key.Key]));
    }

    [Fact]
    public void TheRightPasswordSignsInWithTheRoleAndDepartmentAndClearsTheCount()
    {
        var options = new ConsoleOptions
        {
            SignIn = Limits,
            Users = [new ConsoleUser { UserName = "health", PasswordHash = ConsoleUsers.Hash("secret"), Role = "department", Department = "health" }],
        };
        var users = new ConsoleUsers(new StaticOptions(options), TimeProvider.System);
        Assert.Equal(SignInResult.Failed, users.SignIn("health", "wrong").Result);
        Assert.Equal(SignInResult.Failed, users.SignIn("health", "wrong").Result);
        var (result, principal) = users.SignIn("health", "secret");
        Assert.Equal(SignInResult.Succeeded, result);
        Assert.True(principal!.IsInRole("department"));
        Assert.Equal("health", principal.FindFirst(ConsoleRoles.DepartmentClaim)?.Value);
        Assert.Equal(SignInResult.Failed, users.SignIn("health", "wrong").Result);
    }

    private sealed class StaticOptions(ConsoleOptions value) : Microsoft.Extensions.Options.IOptionsMonitor<ConsoleOptions>
    {
        public ConsoleOptions CurrentValue => value;

        public ConsoleOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConsoleOptions, string?> listener) => null;
    }
}
