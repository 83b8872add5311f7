using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace OneThing.Bench.Lifecycle;

/// <summary>A case as the driving virtual user needs it: its status and the tasks it can act on.</summary>
public sealed class CaseSnapshot
{
    public string CaseId { get; set; } = "";

    public string Status { get; set; } = "";

    /// <summary>Ready and Accepted tasks (an Accepted one is left over from a completion that failed).</summary>
    public List<ActionableTask> Actionable { get; } = [];
}

public readonly record struct ActionableTask(string TaskId, int Matter, bool Accepted);

public readonly record struct InboxTask(string TaskId, string CaseId, int Matter);

/// <summary>What a call's state reads from the response headers, besides the body.</summary>
public interface IReadsResponseHeaders
{
    void Read(HttpResponseHeaders headers);
}

/// <summary>A citizen's conditional polling of one case: the ETag of the last answer, sent back in If-None-Match.</summary>
public sealed class CitizenPoll : IReadsResponseHeaders
{
    public EntityTagHeaderValue? ETag { get; private set; }

    public void Read(HttpResponseHeaders headers) => ETag = headers.ETag ?? ETag;
}

/// <summary>
/// The routes the load generator calls, over one pooled HttpClient. Every call is timed with Stopwatch timestamps
/// from just before sending until its body is read, and recorded against its route; bodies are read as streams and
/// parsed with JsonDocument for the few fields that steer the workload. A call returns false when it failed (the
/// failure is recorded), so virtual users never need a try/catch of their own.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private const int MaxErrorDetail = 300;

    private readonly HttpClient _http;
    private readonly Measurement _measurement;
    private readonly ItemModel _item;
    private readonly string _portal;
    private readonly CancellationToken _abort;
    private readonly Func<Stream, CaseSnapshot, CancellationToken, ValueTask<string?>> _readCase;
    private readonly Func<Stream, List<InboxTask>, CancellationToken, ValueTask<string?>> _readInbox;

    public ApiClient(LifecycleSettings settings, ItemModel item, Measurement measurement, CancellationToken abort)
    {
        if (settings.Apis.Count > 1)
        {
            Balancer = new RoundRobinBalancer(settings.Apis, Handler(settings.MaxConnections(item.Departments.Count)));
            _http = new HttpClient(Balancer) { BaseAddress = settings.Api, Timeout = settings.RequestTimeout, DefaultRequestVersion = HttpVersion.Version11 };
        }
        else
        {
            _http = Create(settings.Api, settings.MaxConnections(item.Departments.Count), settings.RequestTimeout);
        }
        _measurement = measurement;
        _item = item;
        _portal = $"Bearer {settings.Keys.Portal}";
        _abort = abort;
        // Made once: these readers need the item, and a lambda over `this` would be a new delegate per request.
        _readCase = ReadCaseAsync;
        _readInbox = ReadInboxAsync;
    }

    /// <summary>Spreads the load over the API instances when <c>--api</c> names several; null for one.</summary>
    public RoundRobinBalancer? Balancer { get; }

    /// <summary>How the bench's HTTP clients are set up: the measured one, and the one that fetches the item first.</summary>
    public static HttpClient Create(Uri api, int maxConnections, TimeSpan timeout) => new(Handler(maxConnections))
    {
        BaseAddress = api,
        Timeout = timeout,
        DefaultRequestVersion = HttpVersion.Version11,
    };

    private static SocketsHttpHandler Handler(int maxConnections) => new()
    {
        // Recycled now and then, as a long-running client must, but never within one short run.
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        MaxConnectionsPerServer = maxConnections,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // An http_proxy in the environment must not route loopback traffic through a proxy.
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    public async Task<bool> SubmitAsync(ApplicationTemplate application, CaseSnapshot into)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(application.Length);
        try
        {
            var length = application.Write(buffer);
            var request = Request(HttpMethod.Post, "/api/cases", _portal);
            request.Content = JsonContent(new ByteArrayContent(buffer, 0, length));
            var created = await ExchangeAsync(_measurement.Submit, request, into, static async (body, snapshot, cancellationToken) =>
            {
                using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
                snapshot.CaseId = document.RootElement.GetProperty("caseId").GetString()!;
                return null;
            });
            if (created)
            {
                _measurement.Acknowledged?.CaseCreated(into.CaseId);
            }
            return created;
        }
        finally
        {
            // The request (and with it the content over this buffer) has been disposed by now.
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The driving read: status and actionable tasks of the case in <paramref name="snapshot"/>.</summary>
    public Task<bool> GetCaseAsync(CaseSnapshot snapshot) =>
        ExchangeAsync(_measurement.GetCase, Request(HttpMethod.Get, $"/api/cases/{snapshot.CaseId}", _portal), snapshot, _readCase);

    /// <summary>
    /// A citizen polling the status: the whole case is fetched and read, nothing is parsed. With a
    /// <paramref name="poll"/>, the ETag of its last answer goes along, and a 304 is an answer without a body.
    /// </summary>
    public Task<bool> ReadCaseAsync(string caseId, CitizenPoll? poll = null)
    {
        var request = Request(HttpMethod.Get, $"/api/cases/{caseId}", _portal);
        if (poll?.ETag is { } etag)
        {
            request.Headers.IfNoneMatch.Add(etag);
        }
        return poll is null ? ExchangeAsync(_measurement.GetCase, request, 0, DrainAsync) : ExchangeAsync(_measurement.GetCase, request, poll, DrainAsync);
    }

    public async Task<bool> AcceptAsync(string taskId, MatterModel matter)
    {
        var accepted = await ExchangeAsync(_measurement.Accept, Request(HttpMethod.Post, $"/api/tasks/{taskId}/accept", matter.Authorization), 0, DrainAsync);
        if (accepted)
        {
            _measurement.Acknowledged?.TaskAccepted(taskId);
        }
        return accepted;
    }

    public async Task<bool> CompleteAsync(string taskId, MatterModel matter)
    {
        var request = Request(HttpMethod.Post, $"/api/tasks/{taskId}/complete", matter.Authorization);
        request.Content = JsonContent(new ByteArrayContent(matter.CompleteBody));
        var completed = await ExchangeAsync(_measurement.Complete, request, 0, DrainAsync);
        if (completed)
        {
            _measurement.Acknowledged?.TaskCompleted(taskId);
        }
        return completed;
    }

    /// <summary>One page of a department's Ready tasks (earliest due first).</summary>
    public Task<bool> InboxAsync(string department, string authorization, List<InboxTask> into) =>
        ExchangeAsync(_measurement.Inbox, Request(HttpMethod.Get, $"/api/departments/{department}/tasks?status=Ready&pageSize=20", authorization), into, _readInbox);

    public void Dispose() => _http.Dispose();

    private async ValueTask<string?> ReadCaseAsync(Stream body, CaseSnapshot into, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var root = document.RootElement;
        into.Status = root.GetProperty("status").GetString()!;
        into.Actionable.Clear();
        foreach (var task in root.GetProperty("tasks").EnumerateArray())
        {
            var status = task.GetProperty("status");
            var accepted = status.ValueEquals("Accepted"u8);
            if (accepted || status.ValueEquals("Ready"u8))
            {
                var matter = _item.IndexOf(task.GetProperty("matterCode"));
                if (matter < 0)
                {
                    return $"case {into.CaseId} has a task of unknown matter {task.GetProperty("matterCode")}";
                }
                into.Actionable.Add(new ActionableTask(task.GetProperty("taskId").GetString()!, matter, accepted));
            }
        }
        return null;
    }

    private async ValueTask<string?> ReadInboxAsync(Stream body, List<InboxTask> page, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        page.Clear();
        foreach (var task in document.RootElement.GetProperty("items").EnumerateArray())
        {
            var matter = _item.IndexOf(task.GetProperty("matterCode"));
            // Another item's task is not ours to work: the bench drives one item.
            if (matter >= 0)
            {
                page.Add(new InboxTask(task.GetProperty("taskId").GetString()!, task.GetProperty("caseId").GetString()!, matter));
            }
        }
        return null;
    }

    internal static HttpRequestMessage Request(HttpMethod method, string path, string authorization)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        // Precomputed header text, added unparsed: no per-request header object.
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private static ByteArrayContent JsonContent(ByteArrayContent content)
    {
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        return content;
    }

    private static async ValueTask<string?> DrainAsync<TState>(Stream body, TState _, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await body.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Sends, reads the body with <paramref name="read"/> (which returns null, or what was wrong with the body) and
    /// records the outcome. Cancellation by the abort token (the run is over) is not an error; a timeout is.
    /// </summary>
    private async Task<bool> ExchangeAsync<TState>(
        RouteStats route, HttpRequestMessage request, TState state, Func<Stream, TState, CancellationToken, ValueTask<string?>> read)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            bool notModified;
            using (request)
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _abort);
                // A 304 is a success only for the conditional read that asked for it.
                notModified = response.StatusCode == HttpStatusCode.NotModified && request.Headers.IfNoneMatch.Count > 0;
                if (!response.IsSuccessStatusCode && !notModified)
                {
                    var detail = await response.Content.ReadAsStringAsync(_abort);
                    _measurement.Failed(route, $"{Describe(request)} → {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(detail)}");
                    return false;
                }
                (state as IReadsResponseHeaders)?.Read(response.Headers);
                await using var body = await response.Content.ReadAsStreamAsync(_abort);
                if (await read(body, state, _abort) is { } problem)
                {
                    _measurement.Failed(route, $"{Describe(request)} → {(int)response.StatusCode}: {problem}");
                    return false;
                }
            }
            _measurement.Succeeded(route, started, notModified);
            return true;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception error) when (error is HttpRequestException or IOException or JsonException or KeyNotFoundException
            or InvalidOperationException or OperationCanceledException)
        {
            // HttpClient reports its own timeout as a cancellation; a missing JSON property as KeyNotFoundException.
            var what = error is OperationCanceledException ? $"no answer within {_http.Timeout.TotalSeconds:0} s" : $"{error.GetType().Name}: {error.Message}";
            _measurement.Failed(route, $"{Describe(request)} → {Shorten(what)}");
            return false;
        }
    }

    private static string Describe(HttpRequestMessage request) =>
        $"{request.Method} {(request.RequestUri is { IsAbsoluteUri: true } uri ? uri.PathAndQuery : request.RequestUri?.OriginalString)}";

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxErrorDetail ? line : string.Concat(line.AsSpan(0, MaxErrorDetail), "…");
    }
}
