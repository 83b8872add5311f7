namespace OneThing.Api.Auth;

/// <summary>The three kinds of caller, as the HTTP contract names them; each is also an authorization policy.</summary>
public static class Roles
{
    /// <summary>A channel (web portal, service-hall terminal, 12345 hotline) acting for applicants.</summary>
    public const string Portal = "portal";

    /// <summary>One department's system; its key carries the department code.</summary>
    public const string Department = "department";

    /// <summary>Operators: cluster, statistics, fallback desk.</summary>
    public const string Ops = "ops";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Portal, Department, Ops };

    /// <summary>Claim holding the caller's department code.</summary>
    public const string DepartmentClaim = "onething:department";

    /// <summary>Claim naming the configured key a caller presented (its position in <c>OneThing:Auth:Keys</c>), for limits per key.</summary>
    public const string KeyClaim = "onething:key";
}
