using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OneThing.Api.Auth;

namespace OneThing.Api.RateLimiting;

/// <summary>
/// ASP.NET Core's rate limiter, configured from <c>OneThing:RateLimits</c>: failed authentications per client address
/// (counted by the authentication handler, see <see cref="FailedAuthenticationLimiter"/>) and, when configured,
/// requests per API key. Both answer 429 problem+json with Retry-After.
/// </summary>
public static class RateLimitingSetup
{
    public static IServiceCollection AddOneThingRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>()
            .BindConfiguration(RateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<FailedAuthenticationLimiter>();
        services.Configure<OpenApiOptions>("v1", openApi => openApi.AddOperationTransformer<TooManyRequestsOpenApi>());
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((options, limits) =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (rejected, _) => WriteTooManyRequestsAsync(rejected.HttpContext,
                rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : limits.Value.PerKey.Window,
                "This API key has made more requests than its limit allows in the current window.").AsValueTask();
            var perKey = limits.Value.PerKey;
            if (perKey.PermitLimit > 0)
            {
                options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    context.User.FindFirst(Roles.KeyClaim)?.Value is { } key
                        ? RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                        {
                            PermitLimit = perKey.PermitLimit,
                            Window = perKey.Window,
                            QueueLimit = 0,
                        })
                        : RateLimitPartition.GetNoLimiter(""));
            }
        });
        return services;
    }

    /// <summary>429 problem+json with Retry-After in whole seconds, rounded up.</summary>
    public static async Task WriteTooManyRequestsAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = $"{detail} Retry after {seconds} s." },
        });
    }

    private static ValueTask AsValueTask(this Task task) => new(task);
}
