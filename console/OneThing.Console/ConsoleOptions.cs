namespace OneThing.Console;

/// <summary><c>OneThing:Console</c>: where the API is, the keys the console calls it with, and who may sign in.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "OneThing:Console";

    /// <summary>The API's base address, e.g. <c>http://127.0.0.1:5080</c>.</summary>
    public Uri? ApiUrl { get; set; }

    public ConsoleApiKeys ApiKeys { get; set; } = new();

    public List<ConsoleUser> Users { get; set; } = [];

    public SignInLimits SignIn { get; set; } = new();

    /// <summary>Progress-page look-ups one client address may make per minute.</summary>
    public int ProgressAttemptsPerMinute { get; set; } = 10;

    /// <summary>How often an open inbox asks whether its tasks changed.</summary>
    public TimeSpan InboxPollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The API keys the console holds for its users; the browser never sees one.</summary>
public sealed class ConsoleApiKeys
{
    /// <summary>A portal key: the hall window and the public progress page act as a channel.</summary>
    public string? Portal { get; set; }

    public string? Ops { get; set; }

    /// <summary>Department code → that department's key.</summary>
    public Dictionary<string, string> Departments { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A staff account: <see cref="PasswordHash"/> in ASP.NET Core Identity's PasswordHasher format.</summary>
public sealed class ConsoleUser
{
    public string UserName { get; set; } = "";

    public string PasswordHash { get; set; } = "";

    /// <summary><c>hall</c>, <c>department</c> or <c>ops</c> (<see cref="ConsoleRoles"/>).</summary>
    public string Role { get; set; } = "";

    /// <summary>The department code, for role <c>department</c>.</summary>
    public string? Department { get; set; }
}

public sealed class SignInLimits
{
    /// <summary>Failed sign-ins in a row (per user name) after which the name is locked.</summary>
    public int MaxFailures { get; set; } = 5;

    public TimeSpan Lockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in attempts one client address may make per minute, whatever the names.</summary>
    public int AttemptsPerMinute { get; set; } = 30;
}

/// <summary>The console's roles, each an authorization role of its pages.</summary>
public static class ConsoleRoles
{
    public const string Hall = "hall";
    public const string Department = "department";
    public const string Ops = "ops";

    public const string DepartmentClaim = "onething:department";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Hall, Department, Ops };

    /// <summary>Where a signed-in user starts.</summary>
    public static string HomeOf(string? role) => role switch
    {
        Hall => "/hall",
        Department => "/workbench",
        Ops => "/ops",
        _ => "/",
    };
}
