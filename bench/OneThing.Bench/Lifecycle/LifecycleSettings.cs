using System.Globalization;

namespace OneThing.Bench.Lifecycle;

public enum LoadMode
{
    /// <summary>Each virtual user drives its own case: it reads the case and acts for every department in turn.</summary>
    Case,

    /// <summary>Departments find their work in their inboxes; portal users only submit and watch.</summary>
    Inbox,
}

/// <summary>Settings of the lifecycle scenario; see bench/README.md for what each one changes.</summary>
public sealed record LifecycleSettings(
    Uri Api,
    string ItemCode,
    string? Region,
    LoadMode Mode,
    int Reads,
    int Concurrency,
    TimeSpan Duration,
    TimeSpan Warmup,
    double? Rate,
    int MaxInFlight,
    int WorkersPerDepartment,
    TimeSpan PollInterval,
    TimeSpan RequestTimeout,
    ApiKeys Keys,
    string? Postgres,
    IReadOnlyList<KeyValuePair<string, int>> Pids,
    int? KillPid = null,
    TimeSpan KillAt = default,
    string? Label = null,
    bool ConditionalReads = false,
    bool Webhook = false)
{
    public const int DefaultReads = 3;

    /// <summary>Every API instance of <c>--api</c>; <see cref="Api"/> is the first.</summary>
    public IReadOnlyList<Uri> Apis { get; init; } = [Api];

    /// <summary>
    /// <c>--webhook-certificate</c>: a PKCS#12 file (<c>receiver-certificate</c> makes one) with which the webhook receiver
    /// listens on https, offering HTTP/2, as receivers do in production; the silo must trust it
    /// (<c>OneThing:Webhooks:TrustedRootsFile</c>). Without it the receiver takes plain HTTP/1.1.
    /// </summary>
    public string? WebhookCertificate { get; init; }

    /// <summary><c>--webhook-receiver inline|process|idle</c>: where the webhook receiver runs (<see cref="ReceiverPlacement"/>).</summary>
    public ReceiverPlacement WebhookReceiver { get; init; }

    public static readonly IReadOnlyCollection<string> OptionNames =
    [
        "api", "item", "region", "mode", "reads", "concurrency", "seconds", "warmup", "rate", "max-in-flight", "workers",
        "poll-ms", "timeout", "portal-key", "keys-file", "pg", "pids", "results", "kill-pid", "kill-at", "label",
        "conditional-reads", "webhook", "webhook-certificate", "webhook-receiver",
    ];

    public static LifecycleSettings From(BenchSettings settings)
    {
        // Several URLs, comma-separated: API instances the load is spread over in turn (RoundRobinBalancer).
        var apis = new List<Uri>();
        foreach (var apiText in (settings.Text("api") ?? "http://127.0.0.1:5080").Split(','))
        {
            if (!Uri.TryCreate(apiText, UriKind.Absolute, out var instance) || instance.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"--api expects http(s) base URLs such as http://127.0.0.1:5080, comma-separated, got '{apiText}'.");
            }
            apis.Add(instance);
        }
        var api = apis[0];
        var mode = settings.Text("mode") switch
        {
            null or "case" => LoadMode.Case,
            "inbox" => LoadMode.Inbox,
            var other => throw new ArgumentException($"--mode is case or inbox, got '{other}'."),
        };
        double? rate = settings.Text("rate") is null ? null : settings.Double("rate", 0);
        // Chongqing by default, where the identity numbers and the delivery address are: its newborn variant runs 10 matters.
        var region = settings.Text("region") ?? "chongqing";
        var lifecycle = new LifecycleSettings(
            api,
            settings.Text("item") ?? "newborn",
            region is "none" or "" ? null : region,
            mode,
            settings.Int("reads", DefaultReads),
            settings.Int("concurrency", 64),
            TimeSpan.FromSeconds(settings.Double("seconds", 20)),
            TimeSpan.FromSeconds(settings.Double("warmup", 5)),
            rate,
            settings.Int("max-in-flight", 2000),
            settings.Int("workers", 4),
            TimeSpan.FromMilliseconds(settings.Double("poll-ms", 100)),
            TimeSpan.FromSeconds(settings.Double("timeout", 30)),
            ApiKeys.Load(settings.Text("keys-file"), settings.Text("portal-key")),
            settings.Text("pg"),
            ParsePids(settings.Text("pids")),
            settings.Text("kill-pid") is null ? null : settings.Int("kill-pid", 0),
            TimeSpan.FromSeconds(settings.Double("kill-at", 10)),
            settings.Text("label") is { Length: > 0 } label ? label : null,
            settings.Text("conditional-reads") switch
            {
                null or "off" => false,
                "on" => true,
                var other => throw new ArgumentException($"--conditional-reads is on or off, got '{other}'."),
            },
            settings.Text("webhook") switch
            {
                null or "off" => false,
                "on" => true,
                var other => throw new ArgumentException($"--webhook is on or off, got '{other}'."),
            })
        {
            Apis = apis,
            WebhookCertificate = settings.Text("webhook-certificate") is { Length: > 0 } certificate ? certificate : null,
            WebhookReceiver = settings.Text("webhook-receiver") switch
            {
                null or "inline" => ReceiverPlacement.Inline,
                "process" => ReceiverPlacement.Process,
                "idle" => ReceiverPlacement.Idle,
                var other => throw new ArgumentException($"--webhook-receiver is inline, process or idle, got '{other}'."),
            },
        };
        if (lifecycle.WebhookReceiver != ReceiverPlacement.Inline && !lifecycle.Webhook)
        {
            throw new ArgumentException("--webhook-receiver needs --webhook on.");
        }
        if (lifecycle.WebhookCertificate is { } file && (!lifecycle.Webhook || !File.Exists(file)))
        {
            throw new ArgumentException($"--webhook-certificate needs --webhook on and an existing PKCS#12 file, got '{file}'.");
        }

        if (lifecycle.Label is { } text && !text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"--label names the result file: letters, digits and '-' only, got '{text}'.");
        }
        if (lifecycle.Reads < 0 || lifecycle.Concurrency < 1 || lifecycle.MaxInFlight < 1 || lifecycle.WorkersPerDepartment < 1)
        {
            throw new ArgumentException("--reads must be 0 or more; --concurrency, --max-in-flight and --workers at least 1.");
        }
        if (lifecycle.KillPid is <= 0 || (lifecycle.KillPid is not null && (lifecycle.KillAt <= TimeSpan.Zero || lifecycle.KillAt >= lifecycle.Duration)))
        {
            throw new ArgumentException("--kill-pid expects a process id, and --kill-at a second inside the measured window.");
        }
        if (lifecycle.Duration <= TimeSpan.Zero || lifecycle.Warmup < TimeSpan.Zero || rate is <= 0)
        {
            throw new ArgumentException("--seconds and --rate must be positive, --warmup 0 or more.");
        }
        return lifecycle;
    }

    /// <summary>
    /// lifecycle-case.json for the default workload; other read counts and open-loop runs get their own file, so
    /// bench.sh's two case runs (reads 3 and 0) do not overwrite each other, and <c>--label</c> (a deployment
    /// such as <c>cohost</c>) is appended last.
    /// </summary>
    public string ResultName
    {
        get
        {
            if (KillPid is not null)
            {
                // scripts/pg-failover.sh kills the database primary instead of a silo: --label pg.
                return Label is null ? "failover" : $"failover-{Label}";
            }
            var name = $"lifecycle-{Mode.ToString().ToLowerInvariant()}";
            if (Reads != DefaultReads)
            {
                name += string.Create(CultureInfo.InvariantCulture, $"-reads{Reads}");
            }
            if (Rate is { } r)
            {
                name += string.Create(CultureInfo.InvariantCulture, $"-rate{r:0.##}");
            }
            if (ConditionalReads)
            {
                name += "-etag";
            }
            if (Webhook)
            {
                name += WebhookReceiver == ReceiverPlacement.Inline ? "-webhook" : $"-webhook-{WebhookReceiver.ToString().ToLowerInvariant()}";
            }
            return Label is null ? name : $"{name}-{Label}";
        }
    }

    /// <summary>Connections the pool may open: every request that can be in flight at once gets its own.</summary>
    public int MaxConnections(int departments)
    {
        var portal = Rate is null ? Concurrency : MaxInFlight;
        return Mode == LoadMode.Inbox ? portal + (departments * WorkersPerDepartment) : portal;
    }

    public object Parameters() => new
    {
        api = Api.ToString(),
        item = ItemCode,
        mode = Mode.ToString().ToLowerInvariant(),
        reads = Reads,
        conditionalReads = ConditionalReads,
        webhookReceiver = Webhook ? (WebhookCertificate is null ? "http, HTTP/1.1" : "https, HTTP/2 offered") : null,
        webhookReceiverRuns = Webhook ? WebhookReceiver.ToString().ToLowerInvariant() : null,
        loop = Rate is null ? "closed" : "open",
        concurrency = Rate is null ? Concurrency : (int?)null,
        rate = Rate,
        maxInFlight = Rate is null ? (int?)null : MaxInFlight,
        workersPerDepartment = Mode == LoadMode.Inbox ? WorkersPerDepartment : (int?)null,
        pollMs = Mode == LoadMode.Inbox ? PollInterval.TotalMilliseconds : (double?)null,
        seconds = Duration.TotalSeconds,
        warmupSeconds = Warmup.TotalSeconds,
        keys = Keys.Source,
        pids = Pids.ToDictionary(p => p.Key, p => p.Value),
        postgres = Postgres is not null,
        killAtSecond = KillPid is null ? (double?)null : KillAt.TotalSeconds,
        label = Label,
    };

    private static List<KeyValuePair<string, int>> ParsePids(string? text)
    {
        var pids = new List<KeyValuePair<string, int>>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !int.TryParse(part.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                throw new ArgumentException($"--pids expects name=pid pairs separated by commas (silo=123,api=456,postgres=789), got '{part}'.");
            }
            pids.Add(new(part[..equals], pid));
        }
        return pids;
    }
}
