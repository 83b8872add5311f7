using Microsoft.AspNetCore.HttpsPolicy;

namespace OneThing.Api.Hosting;

/// <summary>
/// Headers every answer carries. Most answers hold personal data (cases, tasks, inboxes, applicant lists), so nothing
/// may be stored by a cache unless a route says otherwise; answers are never sniffed into another content type.
/// </summary>
public static class ResponseHeaders
{
    public const string NoStore = "no-store";

    public static IApplicationBuilder UseOneThingResponseHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var response = context.Response;
            response.OnStarting(() =>
            {
                response.Headers.XContentTypeOptions = "nosniff";
                if (string.IsNullOrEmpty(response.Headers.CacheControl))
                {
                    response.Headers.CacheControl = NoStore;
                }
                return Task.CompletedTask;
            });
            return next(context);
        });

    /// <summary>
    /// HSTS on HTTPS answers outside Development. Loopback names are not exempt: a deployment that serves HTTPS on
    /// them asked for it, and clients must not fall back to plain HTTP there either.
    /// </summary>
    public static IServiceCollection AddOneThingHsts(this IServiceCollection services) =>
        services.Configure<HstsOptions>(options =>
        {
            options.MaxAge = TimeSpan.FromDays(365);
            options.IncludeSubDomains = false;
            options.ExcludedHosts.Clear();
        });
}
