using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using OneThing.Grains.Diagnostics;

namespace OneThing.Api.Problems;

/// <summary>
/// The last line of error handling (see <see cref="FailureClassification"/>): a malformed request becomes its 4xx,
/// infrastructure failures (PostgreSQL, the cluster, time-outs) 503 problem+json with Retry-After, anything else a
/// bare 500 problem. Never a stack trace in the answer, in any environment, and no exception's text but a bad
/// request's own explanation (which names the parameter or the framing error).
/// </summary>
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

        var (kind, status) = FailureClassification.Classify(exception);
        var request = httpContext.Request;
        string title, detail;
        switch (kind)
        {
            case FailureKind.ClientError:
                LogClientError(request.Method, request.Path, status, exception.GetType().Name);
                title = ReasonPhrases.GetReasonPhrase(status);
                detail = exception is BadHttpRequestException
                    ? exception.Message
                    : "The request is not valid UTF-8 JSON, or holds text with an unpaired surrogate. Correct it before sending it again.";
                break;
            case FailureKind.Unavailable:
                var (failure, description) = FailureClassification.DescribeUnavailable(exception);
                if (LogThrottle.Default.ShouldLog(failure, out var suppressed))
                {
                    LogUnavailable(request.Method, request.Path, description, suppressed.Note);
                }
                httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                title = "Service temporarily unavailable";
                detail = "The database or the cluster did not answer. Nothing was lost: retry the same request after Retry-After seconds.";
                break;
            default:
                if (LogThrottle.Default.ShouldLog(exception.GetType().FullName ?? "", out var repeated))
                {
                    LogUnexpected(exception, request.Method, request.Path, repeated.Note);
                }
                title = "Unexpected error";
                detail = "The request failed unexpectedly. It is safe to retry; operations are idempotent.";
                break;
        }

        httpContext.Response.StatusCode = status;
        // No Exception on the context: nothing about it may reach the answer, whatever the environment.
        var written = await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
        if (!written)
        {
            // A caller that accepts no JSON still gets the status, and never the developer exception page.
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            await httpContext.Response.WriteAsync($"{title}. {detail}", cancellationToken);
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} answered {Status}: the request was malformed ({ErrorType})")]
    private partial void LogClientError(string method, string path, int status, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: {Failure}{Repeats}")]
    private partial void LogUnavailable(string method, string path, string failure, string repeats);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed unexpectedly{Repeats}")]
    private partial void LogUnexpected(Exception exception, string method, string path, string repeats);
}
