using System.Net;

namespace OneThing.Client;

/// <summary>
/// A non-2xx answer of the API (other than a 304 to a conditional read): its status and its problem+json body
/// (RFC 9457). <see cref="Errors"/> names each wrong field by its JSON path, query parameter or header.
/// </summary>
public sealed class OneThingApiException : Exception
{
    public OneThingApiException()
    {
        Errors = new Dictionary<string, string[]>();
    }

    public OneThingApiException(string message) : base(message)
    {
        Errors = new Dictionary<string, string[]>();
    }

    public OneThingApiException(string message, Exception innerException) : base(message, innerException)
    {
        Errors = new Dictionary<string, string[]>();
    }

    public OneThingApiException(HttpStatusCode status, string method, string path, Problem? problem, TimeSpan? retryAfter)
        : base(Describe(status, method, path, problem))
    {
        Status = status;
        Title = problem?.Title;
        Detail = problem?.Detail;
        ProblemType = problem?.Type;
        TraceId = problem?.TraceId;
        Errors = problem?.Errors ?? new Dictionary<string, string[]>();
        RetryAfter = retryAfter;
    }

    public HttpStatusCode Status { get; }

    public string? Title { get; }

    public string? Detail { get; }

    /// <summary>The problem's <c>type</c> URI.</summary>
    public string? ProblemType { get; }

    /// <summary>The W3C trace id the API logged the request under.</summary>
    public string? TraceId { get; }

    /// <summary>Field → messages, for a 400 (and a 415, naming <c>Content-Type</c>); empty otherwise.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>From <c>Retry-After</c> on a 429 or 503: how long to wait before sending the same request again.</summary>
    public TimeSpan? RetryAfter { get; }

    private static string Describe(HttpStatusCode status, string method, string path, Problem? problem)
    {
        var text = $"{method} {path} answered {(int)status}";
        if (problem?.Title is { } title)
        {
            text += $" {title}";
        }
        if (problem?.Detail is { } detail)
        {
            text += $": {detail}";
        }
        if (problem?.Errors is { Count: > 0 } errors)
        {
            text += " (" + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) + ")";
        }
        return text;
    }
}

/// <summary>An error body as the API writes it (the <c>Problem</c> schema of the OpenAPI document).</summary>
public sealed record Problem(
    string? Type, string? Title, int? Status, string? Detail, string? Instance, IReadOnlyDictionary<string, string[]>? Errors, string? TraceId);
