using System.Security.Cryptography;
using System.Text;

namespace OneThing.Api.Health;

/// <summary>
/// <c>/metrics</c>: the Prometheus text of this API process (OpenTelemetry's reader). Anonymous by default, like
/// the health routes: it tells item codes, regions, department codes and rates, never a case, a person or a key.
/// With <c>OneThing:Metrics:ScrapeKey</c> set, a scrape must send <c>Authorization: Bearer &lt;that key&gt;</c>.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";
    public const string ScrapeKeyKey = "OneThing:Metrics:ScrapeKey";

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        var scrapeKey = routes.ServiceProvider.GetRequiredService<IConfiguration>()[ScrapeKeyKey];
        var expected = string.IsNullOrEmpty(scrapeKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(scrapeKey));
        routes.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: expected is null ? null : branch => branch.Use(async (context, next) =>
        {
            string? header = context.Request.Headers.Authorization;
            var presented = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()))
                : [];
            if (!CryptographicOperations.FixedTimeEquals(presented, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }
            await next(context);
        }), optionsName: null).AllowAnonymous().WithMetadata(new ScrapeKeyOnly()).ExcludeFromDescription();
        return routes;
    }

    /// <summary>Marks the scrape endpoint, whose bearer token is the scrape key and never an API key.</summary>
    public sealed class ScrapeKeyOnly;
}
