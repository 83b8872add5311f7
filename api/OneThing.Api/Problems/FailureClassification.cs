using System.Net.Sockets;
using System.Text;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;

namespace OneThing.Api.Problems;

/// <summary>What an exception that reached the last line of error handling says about whose fault it was.</summary>
public enum FailureKind
{
    /// <summary>The request itself was malformed (framing, binding, size, text encoding): a 4xx, never retried as is.</summary>
    ClientError = 0,

    /// <summary>PostgreSQL, the cluster or the network did not answer: 503 with Retry-After.</summary>
    Unavailable = 1,

    /// <summary>A fault of ours: 500.</summary>
    Unexpected = 2,
}

/// <summary>Sorts exceptions into <see cref="FailureKind"/>s and the status each is answered with.</summary>
/// <remarks>
/// Client errors are looked for first: <see cref="BadHttpRequestException"/> is an <see cref="IOException"/>, and a
/// malformed chunk must not read as an outage. A PostgresException thrown inside a grain reaches the API as the grain's
/// <see cref="DatabaseWriteFailedException"/> or as an Orleans type, so Orleans' own exceptions count as unavailability.
/// </remarks>
public static class FailureClassification
{
    public static (FailureKind Kind, int Status) Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (Chain(exception).OfType<BadHttpRequestException>().FirstOrDefault() is { } badRequest)
        {
            return (FailureKind.ClientError, badRequest.StatusCode is >= 400 and < 500 ? badRequest.StatusCode : StatusCodes.Status400BadRequest);
        }
        if (IsInvalidText(exception))
        {
            return (FailureKind.ClientError, StatusCodes.Status400BadRequest);
        }
        if (IsInfrastructureFailure(exception))
        {
            return (FailureKind.Unavailable, StatusCodes.Status503ServiceUnavailable);
        }
        return (FailureKind.Unexpected, StatusCodes.Status500InternalServerError);
    }

    /// <summary>
    /// Text that is not valid UTF-8, or UTF-16 with an unpaired surrogate, met while the request was read or its values
    /// were turned into JSON. (A body that is not JSON arrives as a <see cref="BadHttpRequestException"/>; a bare
    /// JsonException would be our own JSON, a fault of ours.)
    /// </summary>
    public static bool IsInvalidText(Exception exception) =>
        Chain(exception).Any(current => current is DecoderFallbackException or EncoderFallbackException
            || (current is InvalidOperationException or ArgumentException
                && (current.Message.Contains("UTF-8", StringComparison.Ordinal) || current.Message.Contains("UTF-16", StringComparison.Ordinal)
                    || current.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase))));

    /// <summary>
    /// The database or the cluster failed to answer. A cancellation counts: the handler has already set aside the
    /// caller's own (a request aborted), so what is left is a time-out inside the cluster, such as a message that expired
    /// while a silo placed its grain.
    /// </summary>
    public static bool IsInfrastructureFailure(Exception exception) =>
        Chain(exception).Any(current =>
            current is DatabaseWriteFailedException or SocketException or TimeoutException or IOException or OperationCanceledException
            || DatabaseFailures.IsDatabaseFailure(current)
            || (current.GetType().Namespace ?? "").StartsWith("Orleans", StringComparison.Ordinal));

    /// <summary>What may be logged about an outage: a database failure as SQLSTATE, table and constraint; else the type and message.</summary>
    public static (string Kind, string Description) DescribeUnavailable(Exception exception)
    {
        if (DatabaseFailures.Redact(exception) is { } database)
        {
            return (database.Kind, database.Message);
        }
        var type = exception.GetType().FullName ?? exception.GetType().Name;
        var message = exception.Message.ReplaceLineEndings(" ");
        return (type, $"{type}: {(message.Length > 300 ? message[..300] + "…" : message)}");
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        var depth = 0;
        for (var current = exception; current is not null && depth < 32; current = current.InnerException, depth++)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
