using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OneThing.Client;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;

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

/// <summary>A citizen's conditional polling of one case: the ETag of the last answer, sent back in If-None-Match.</summary>
public sealed class CitizenPoll
{
    public string? ETag { get; set; }
}

/// <summary>
/// The routes the load generator calls, through <see cref="OneThingClient"/> over one pooled HttpClient (a client per
/// key, sharing it). Every call is timed with Stopwatch timestamps from just before sending until its body is read,
/// and recorded against its route. A call returns false when it failed (the failure is recorded), so virtual users
/// never need a try/catch of their own.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private const int MaxErrorDetail = 300;

    private readonly HttpClient _http;
    private readonly Measurement _measurement;
    private readonly ItemModel _item;
    private readonly OneThingClient _portal;
    private readonly ConcurrentDictionary<string, OneThingClient> _clients = new(StringComparer.Ordinal);
    private readonly CancellationToken _abort;

    private static readonly InboxQuery ReadyPage = new() { Status = DepartmentTaskStatus.Ready, PageSize = 20 };

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
        _portal = new OneThingClient(_http, settings.Keys.Portal);
        _abort = abort;
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
        var started = Stopwatch.GetTimestamp();
        try
        {
            into.CaseId = (await _portal.SubmitCaseAsync(application.Next(), cancellationToken: _abort)).Value.CaseId;
        }
        catch (Exception error) when (IsFailure(error))
        {
            return Failed(_measurement.Submit, "POST /api/cases", error);
        }
        _measurement.Succeeded(_measurement.Submit, started);
        _measurement.Acknowledged?.CaseCreated(into.CaseId);
        return true;
    }

    /// <summary>The driving read: status and actionable tasks of the case in <paramref name="snapshot"/>.</summary>
    public async Task<bool> GetCaseAsync(CaseSnapshot snapshot)
    {
        var started = Stopwatch.GetTimestamp();
        CaseView view;
        try
        {
            view = await _portal.GetCaseAsync(snapshot.CaseId, _abort);
        }
        catch (Exception error) when (IsFailure(error))
        {
            return Failed(_measurement.GetCase, $"GET /api/cases/{snapshot.CaseId}", error);
        }
        if (Read(view, snapshot) is { } problem)
        {
            _measurement.Failed(_measurement.GetCase, $"GET /api/cases/{snapshot.CaseId} → 200: {problem}");
            return false;
        }
        _measurement.Succeeded(_measurement.GetCase, started);
        return true;
    }

    /// <summary>
    /// A citizen polling the status: the whole case is fetched and read. With a <paramref name="poll"/>, the ETag of
    /// its last answer goes along, and a 304 is an answer without a body.
    /// </summary>
    public async Task<bool> ReadCaseAsync(string caseId, CitizenPoll? poll = null)
    {
        var started = Stopwatch.GetTimestamp();
        var notModified = false;
        try
        {
            if (poll is null)
            {
                await _portal.GetCaseAsync(caseId, _abort);
            }
            else
            {
                var answer = await _portal.GetCaseAsync(caseId, poll.ETag, _abort);
                poll.ETag = answer.ETag ?? poll.ETag;
                notModified = answer.NotModified;
            }
        }
        catch (Exception error) when (IsFailure(error))
        {
            return Failed(_measurement.GetCase, $"GET /api/cases/{caseId}", error);
        }
        _measurement.Succeeded(_measurement.GetCase, started, notModified);
        return true;
    }

    public async Task<bool> AcceptAsync(string taskId, MatterModel matter)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await ClientOf(matter.Key).AcceptTaskAsync(taskId, _abort);
        }
        catch (Exception error) when (IsFailure(error))
        {
            return Failed(_measurement.Accept, $"POST /api/tasks/{taskId}/accept", error);
        }
        _measurement.Succeeded(_measurement.Accept, started);
        _measurement.Acknowledged?.TaskAccepted(taskId);
        return true;
    }

    public async Task<bool> CompleteAsync(string taskId, MatterModel matter)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await ClientOf(matter.Key).CompleteTaskAsync(taskId, matter.Completion, _abort);
        }
        catch (Exception error) when (IsFailure(error))
        {
            return Failed(_measurement.Complete, $"POST /api/tasks/{taskId}/complete", error);
        }
        _measurement.Succeeded(_measurement.Complete, started);
        _measurement.Acknowledged?.TaskCompleted(taskId);
        return true;
    }

    /// <summary>One page of a department's Ready tasks (earliest due first).</summary>
    public async Task<bool> InboxAsync(string department, string key, List<InboxTask> into)
    {
        var started = Stopwatch.GetTimestamp();
        InboxPage page;
        try
        {
            page = await ClientOf(key).ListInboxAsync(department, ReadyPage, _abort);
        }
        catch (Exception error) when (IsFailure(error))
        {
            return Failed(_measurement.Inbox, $"GET /api/departments/{department}/tasks", error);
        }
        into.Clear();
        foreach (var task in page.Items)
        {
            var matter = _item.IndexOf(task.MatterCode);
            // Another item's task is not ours to work: the bench drives one item.
            if (matter >= 0)
            {
                into.Add(new InboxTask(task.TaskId, task.CaseId, matter));
            }
        }
        _measurement.Succeeded(_measurement.Inbox, started);
        return true;
    }

    public void Dispose() => _http.Dispose();

    private OneThingClient ClientOf(string key) => _clients.GetOrAdd(key, static (key, http) => new OneThingClient(http, key), _http);

    private string? Read(CaseView view, CaseSnapshot into)
    {
        into.Status = view.Status.ToString();
        into.Actionable.Clear();
        foreach (var task in view.Tasks)
        {
            var accepted = task.Status == DepartmentTaskStatus.Accepted;
            if (accepted || task.Status == DepartmentTaskStatus.Ready)
            {
                var matter = _item.IndexOf(task.MatterCode);
                if (matter < 0)
                {
                    return $"case {into.CaseId} has a task of unknown matter {task.MatterCode}";
                }
                into.Actionable.Add(new ActionableTask(task.TaskId, matter, accepted));
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

    /// <summary>Whether a call failed in a way the run records and goes on from (an abort of the run is none: it returns false unrecorded).</summary>
    private bool IsFailure(Exception error) =>
        error is OneThingApiException or HttpRequestException or IOException or JsonException or InvalidOperationException
            or OperationCanceledException;

    /// <summary>
    /// Records a failed call. Cancellation by the abort token (the run is over) is not an error; HttpClient reports its
    /// own timeout as a cancellation, which is.
    /// </summary>
    private bool Failed(RouteStats route, string call, Exception error)
    {
        if (error is OperationCanceledException && _abort.IsCancellationRequested)
        {
            return false;
        }
        var what = error switch
        {
            OperationCanceledException => $"no answer within {_http.Timeout.TotalSeconds:0} s",
            OneThingApiException api => $"{(int)api.Status} {api.Title}: {api.Detail}{(api.Errors.Count > 0 ? " " + string.Join("; ", api.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) : "")}",
            _ => $"{error.GetType().Name}: {error.Message}",
        };
        _measurement.Failed(route, $"{call} → {Shorten(what)}");
        return false;
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxErrorDetail ? line : string.Concat(line.AsSpan(0, MaxErrorDetail), "…");
    }
}
