using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OneThing.Console.Api;
using OneThing.Console.Components;
using OneThing.Console.SignIn;
using OneThing.Console.Workbench;

namespace OneThing.Console;

/// <summary>Builds the console host: its services, security and endpoints. Tests build the same host.</summary>
public static class ConsoleHost
{
    public const string CookieName = "onething-console";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var services = builder.Services;

        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section)
            .Validate(o => o.ApiUrl is { IsAbsoluteUri: true }, "OneThing:Console:ApiUrl must be an absolute URL of the API.")
            .Validate(o => o.Users.All(u => ConsoleRoles.All.Contains(u.Role)), "Each of OneThing:Console:Users needs Role hall, department or ops.")
            .Validate(o => o.Users.All(u => u.Role != ConsoleRoles.Department || !string.IsNullOrEmpty(u.Department)),
                "A user with Role department needs its Department code.")
            .Validate(o => o.SignIn.MaxFailures >= 1 && o.SignIn.Lockout > TimeSpan.Zero, "OneThing:Console:SignIn needs MaxFailures ≥ 1 and a positive Lockout.")
            .Validate(o => o.ProgressAttemptsPerMinute >= 1 && o.SignIn.AttemptsPerMinute >= 1,
                "OneThing:Console:ProgressAttemptsPerMinute and OneThing:Console:SignIn:AttemptsPerMinute must be at least 1.")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ConsoleUsers>();
        services.AddHttpClient<ConsoleApi>(ConsoleApi.HttpClientName, (provider, client) =>
        {
            client.BaseAddress = provider.GetRequiredService<IOptionsMonitor<ConsoleOptions>>().CurrentValue.ApiUrl;
            client.Timeout = TimeSpan.FromSeconds(30);
        }).RemoveAllLoggers(); // its lines carry the query, which can hold an applicant's identity number

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/sign-in";
            cookie.AccessDeniedPath = "/access-denied";
        });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "onething-console-af";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddRazorComponents();
        // Chinese as characters in the HTML, not as character references: smaller pages, readable source.
        services.AddWebEncoders(encoders => encoders.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Only the two forms anyone may try guesses on are limited, each per client address: the progress look-up
            // (case id and last 6 characters) and the sign-in (the lock-out guards one name; this, many names from one address).
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var form = HttpMethods.IsPost(context.Request.Method) ? LimitedForm(context.Request.Path) : null;
                if (form is null)
                {
                    return RateLimitPartition.GetNoLimiter("-");
                }
                var options = context.RequestServices.GetRequiredService<IOptionsMonitor<ConsoleOptions>>().CurrentValue;
                var permits = form == "/progress" ? options.ProgressAttemptsPerMinute : options.SignIn.AttemptsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter($"{form} {context.Connection.RemoteIpAddress}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "60";
                rejected.HttpContext.Response.ContentType = "text/html; charset=utf-8";
                await rejected.HttpContext.Response.WriteAsync(LimitedForm(rejected.HttpContext.Request.Path) == "/progress"
                    ? ConsoleAssets.TooManyLookUpsPage : ConsoleAssets.TooManySignInsPage, cancellationToken);
            };
        });

        var app = builder.Build();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            await next();
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        app.MapGet("/console.css", () => ConsoleAssets.Serve("console.css", "text/css; charset=utf-8")).AllowAnonymous();
        app.MapGet("/console.js", () => ConsoleAssets.Serve("console.js", "text/javascript; charset=utf-8")).AllowAnonymous();
        app.MapPost("/sign-out", SignOutAsync).AllowAnonymous();
        app.MapGet("/workbench/inbox-rows", InboxRows.GetAsync).RequireAuthorization(policy => policy.RequireRole(ConsoleRoles.Department));
        app.MapRazorComponents<App>();
        return app;
    }

    private static string? LimitedForm(PathString path) =>
        path.Equals("/progress", StringComparison.OrdinalIgnoreCase) ? "/progress"
        : path.Equals("/sign-in", StringComparison.OrdinalIgnoreCase) ? "/sign-in" : null;

    /// <summary>Ends the session; the form carries an antiforgery token, so no other site can sign a user out.</summary>
    private static async Task<Results<RedirectHttpResult, BadRequest<string>>> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return TypedResults.BadRequest("表单已失效，请刷新页面后重试。");
        }
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.Redirect("/sign-in");
    }
}
