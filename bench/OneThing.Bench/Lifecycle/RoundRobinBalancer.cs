using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Spreads requests over several API instances in turn, as a load balancer in front of them would: it checks each
/// instance's <c>/health/ready</c> every <see cref="CheckInterval"/> and sends only to ready ones, and a request whose
/// connection is refused (so nothing of it reached a server) goes to the next instance. A request that reached an
/// instance is never sent twice: its outcome, whatever it is, is the request's. Used when <c>--api</c> names several
/// URLs, to measure an API instance's restart under load (scripts/cluster-ops.sh api-restart).
/// </summary>
public sealed class RoundRobinBalancer : DelegatingHandler
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(250);

    private readonly Instance[] _instances;
    private readonly HttpClient _probe;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _checks;
    private int _next = -1;
    private long _rerouted;

    public RoundRobinBalancer(IReadOnlyList<Uri> instances, HttpMessageHandler inner) : base(inner)
    {
        _instances = [.. instances.Select(uri => new Instance(uri))];
        // Its own connections: a probe must not wait behind the load for a pooled one.
        _probe = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        _checks = Task.Run(CheckLoopAsync);
    }

    /// <summary>Requests that went to another instance because their first one refused the connection.</summary>
    public long Rerouted => Interlocked.Read(ref _rerouted);

    public IReadOnlyList<(Uri Uri, long Requests, IReadOnlyList<string> Changes)> Report() =>
        [.. _instances.Select(instance => (instance.Uri, Interlocked.Read(ref instance.Requests), (IReadOnlyList<string>)instance.Changes()))];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.PathAndQuery : request.RequestUri.OriginalString;
        for (var attempt = 0; ; attempt++)
        {
            var instance = Pick();
            request.RequestUri = new Uri(instance.Uri, path);
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                Interlocked.Increment(ref instance.Requests);
                return response;
            }
            catch (HttpRequestException error) when (error.HttpRequestError == HttpRequestError.ConnectionError
                && error.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                && attempt < _instances.Length)
            {
                // Nothing was sent: the instance is gone. Take it out until its health check says otherwise.
                instance.MarkReady(false, "connection refused");
                Interlocked.Increment(ref _rerouted);
            }
        }
    }

    private Instance Pick()
    {
        for (var i = 0; i < _instances.Length; i++)
        {
            var candidate = _instances[(int)((uint)Interlocked.Increment(ref _next) % (uint)_instances.Length)];
            if (candidate.Ready)
            {
                return candidate;
            }
        }
        // None looks ready: try one anyway rather than fail without asking.
        return _instances[(int)((uint)Interlocked.Increment(ref _next) % (uint)_instances.Length)];
    }

    private async Task CheckLoopAsync()
    {
        using var timer = new PeriodicTimer(CheckInterval);
        try
        {
            do
            {
                await Task.WhenAll(_instances.Select(CheckAsync));
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CheckAsync(Instance instance)
    {
        try
        {
            using var response = await _probe.GetAsync(new Uri(instance.Uri, "/health/ready"), _stop.Token);
            instance.MarkReady(response.StatusCode == HttpStatusCode.OK, $"/health/ready {(int)response.StatusCode}");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested)
        {
            instance.MarkReady(false, "/health/ready unreachable");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _checks.Wait(TimeSpan.FromSeconds(5));
            _probe.Dispose();
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class Instance(Uri uri)
    {
        private readonly List<string> _changes = [];
        private volatile bool _ready = true;

        public long Requests;

        public Uri Uri { get; } = uri;

        public bool Ready => _ready;

        public void MarkReady(bool ready, string why)
        {
            lock (_changes)
            {
                if (_ready == ready)
                {
                    return;
                }
                _ready = ready;
                _changes.Add($"{DateTimeOffset.Now:HH:mm:ss.fff} {(ready ? "in" : "out")} ({why})");
            }
        }

        public List<string> Changes()
        {
            lock (_changes)
            {
                return [.. _changes];
            }
        }
    }
}
