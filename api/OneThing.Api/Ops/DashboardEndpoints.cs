using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using OneThing.Api.Auth;
using OneThing.Api.RateLimiting;
using Orleans.Dashboard;

namespace OneThing.Api.Ops;

/// <summary>
/// The Orleans Dashboard at <c>/dashboard</c>, for ops only. A script sends its ops key as usual
/// (<c>Authorization: Bearer</c>); a browser signs in once at <c>/dashboard/sign-in</c> with an ops key and gets a cookie
/// (HttpOnly, SameSite=Strict, Secure over HTTPS, 8 hours) that is good for the dashboard alone, never for the API.
/// </summary>
public static class DashboardEndpoints
{
    public const string Path = "/dashboard";
    public const string SignInPath = "/dashboard/sign-in";
    public const string CookieScheme = "OneThing.Dashboard";
    public const string CookieName = "onething-dashboard";
    private const string AccessScheme = "OneThing.DashboardAccess";
    private const string Policy = "dashboard";

    public static IServiceCollection AddOneThingDashboardAccess(this IServiceCollection services)
    {
        services.AddAntiforgery(options => options.Cookie.Name = "onething-dashboard-antiforgery");
        services.AddAuthentication()
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.Cookie.Path = Path;
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = false;
                options.LoginPath = SignInPath;
                options.Events.OnRedirectToLogin = context =>
                {
                    // A browser is sent to the sign-in; anything else hears 401.
                    if (AcceptsHtml(context.Request))
                    {
                        context.Response.Redirect(SignInPath);
                    }
                    else
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    }
                    return Task.CompletedTask;
                };
                options.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            })
            // A request with a key is judged by its key; one without, by the cookie.
            .AddPolicyScheme(AccessScheme, null, options => options.ForwardDefaultSelector = context =>
                string.IsNullOrEmpty(context.Request.Headers.Authorization) ? CookieScheme : ApiKeyAuthenticationHandler.SchemeName);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(AccessScheme).RequireRole(Roles.Ops));
        return services;
    }

    public static IEndpointRouteBuilder MapOneThingDashboard(this IEndpointRouteBuilder routes)
    {
        var signIn = routes.MapGroup(SignInPath).AllowAnonymous().ExcludeFromDescription();
        signIn.MapGet("", (Delegate)SignInForm);
        signIn.MapPost("", (Delegate)SignInAsync);
        routes.MapPost($"{Path}/sign-out", (Delegate)SignOutAsync).AllowAnonymous().ExcludeFromDescription();
        routes.MapOrleansDashboard(Path).RequireAuthorization(Policy).ExcludeFromDescription();
        return routes;
    }

    /// <summary>The form: one field for the ops key, with an antiforgery token.</summary>
    public static IResult SignInForm(HttpContext context, IAntiforgery antiforgery) => Form(context, antiforgery, null, StatusCodes.Status200OK);

    /// <summary>
    /// Checks the antiforgery token and the key; an ops key gets the cookie and goes to the dashboard. A wrong key counts
    /// as a failed authentication of the address, as on every route.
    /// </summary>
    public static async Task<IResult> SignInAsync(HttpContext context, IAntiforgery antiforgery, ApiKeyIndex keys, FailedAuthenticationLimiter failures)
    {
        if (!context.Request.HasFormContentType)
        {
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return Form(context, antiforgery, "The form expired; sign in again.", StatusCodes.Status400BadRequest);
        }
        var address = FailedAuthenticationLimiter.AddressOf(context);
        if (failures.Refused(address) is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Form(context, antiforgery, "Too many failed sign-ins from this address; wait and try again.", StatusCodes.Status429TooManyRequests);
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var key = form["key"].ToString().Trim();
        var principal = key.Length is > 0 and <= 512 ? keys.Find(key) : null;
        if (principal is null)
        {
            failures.RecordFailure(address);
            return Form(context, antiforgery, "Unknown key.", StatusCodes.Status401Unauthorized);
        }
        if (!principal.IsInRole(Roles.Ops))
        {
            return Form(context, antiforgery, "Only an ops key opens the dashboard.", StatusCodes.Status403Forbidden);
        }
        // The cookie holds who signed in (the key's name and role), never the key.
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, principal.Identity?.Name ?? Roles.Ops), new Claim(ClaimTypes.Role, Roles.Ops)],
            CookieScheme);
        await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
        return Results.Redirect($"{Path}/");
    }

    public static async Task<IResult> SignOutAsync(HttpContext context)
    {
        await context.SignOutAsync(CookieScheme);
        return Results.Redirect(SignInPath);
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.Any(value => value?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    private static IResult Form(HttpContext context, IAntiforgery antiforgery, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var message = error is null ? "" : $"<p role=\"alert\">{WebUtility.HtmlEncode(error)}</p>";
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>OneThing · Orleans Dashboard sign-in</title></head>
            <body>
            <h1>Orleans Dashboard</h1>
            {message}
            <form method="post" action="{SignInPath}">
            <input type="hidden" name="{WebUtility.HtmlEncode(tokens.FormFieldName)}" value="{WebUtility.HtmlEncode(tokens.RequestToken)}">
            <label>Ops API key <input type="password" name="key" autocomplete="off" required></label>
            <button type="submit">Sign in</button>
            </form>
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
