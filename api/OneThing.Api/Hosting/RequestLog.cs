using System.Diagnostics;

namespace OneThing.Api.Hosting;

/// <summary>
/// One line per request at Information (category <c>OneThing.Api.Requests</c>): method, route template, status,
/// duration, the trace id problem+json gives the client, and the caller's key name. The template, never the path, so
/// no case id, identity number or key reaches the log; raise the category's level to Warning to turn the lines off.
/// </summary>
public static partial class RequestLog
{
    public const string Category = "OneThing.Api.Requests";

    /// <summary>Outside the exception handler, so a request that failed is logged with the status its client got.</summary>
    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        return app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                if (logger.IsEnabled(LogLevel.Information))
                {
                    LogRequest(logger, context.Request.Method,
                        (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "-",
                        context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                        // As ASP.NET Core's problem details name it, so a client's traceId finds its line.
                        Activity.Current?.Id ?? context.TraceIdentifier,
                        context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : "-");
                }
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Route} {Status} {DurationMs:0.0} ms trace {TraceId} key {KeyName}")]
    private static partial void LogRequest(ILogger logger, string method, string route, int status, double durationMs, string traceId, string keyName);
}
