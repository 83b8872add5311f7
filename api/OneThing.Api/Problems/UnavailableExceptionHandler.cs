using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace OneThing.Api.Problems;

/// <summary>
/// The last line of error handling: infrastructure failures (PostgreSQL, the cluster, time-outs) become
/// 503 problem+json with Retry-After, anything else a bare 500 problem; never a stack trace.
/// </summary>
/// <remarks>
/// A PostgresException thrown inside a grain cannot cross the wire as itself (Orleans reports a codec or wrapped
/// error instead), so Orleans' own exception types count as infrastructure failures here too.
/// </remarks>
public sealed partial class UnavailableExceptionHandler(IProblemDetailsService problems, ILogger<UnavailableExceptionHandler> logger)
    : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true; // the caller went away; nobody is listening for an answer
        }

        var unavailable = IsInfrastructureFailure(exception);
        if (unavailable)
        {
            LogUnavailable(httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name, exception.Message);
            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            LogUnexpected(exception, httpContext.Request.Method, httpContext.Request.Path);
            httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = httpContext.Response.StatusCode,
                Title = unavailable ? "Service temporarily unavailable" : "Unexpected error",
                Detail = unavailable
                    ? "The database or the cluster did not answer. Nothing was lost: retry the same request after Retry-After seconds."
                    : "The request failed unexpectedly. It is safe to retry; operations are idempotent.",
            },
        });
    }

    public static bool IsInfrastructureFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is NpgsqlException or SocketException or TimeoutException or IOException)
            {
                return true;
            }
            var ns = current.GetType().Namespace ?? "";
            if (ns.StartsWith("Orleans", StringComparison.Ordinal) || ns.StartsWith("Npgsql", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: {ErrorType}: {ErrorMessage}")]
    private partial void LogUnavailable(string method, string path, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string method, string path);
}
