using System.Globalization;
using OneThing.Bench.Lifecycle;

namespace OneThing.Bench.Deadlines;

/// <summary>Settings of the deadlines scenario; see bench/README.md for what each one changes.</summary>
public sealed record DeadlineSettings(
    Uri Api,
    string ItemCode,
    int Cases,
    int DueCases,
    int SpreadHours,
    int Concurrency,
    TimeSpan DueLead,
    TimeSpan IdleWait,
    TimeSpan FlagTimeout,
    TimeSpan RequestTimeout,
    ApiKeys Keys,
    string Postgres,
    int? SiloPid)
{
    public static readonly IReadOnlyCollection<string> OptionNames =
    [
        "api", "item", "cases", "due-cases", "spread-hours", "concurrency", "due-lead", "idle-wait", "flag-timeout",
        "timeout", "keys-file", "portal-key", "ops-key", "pg", "silo-pid", "results",
    ];

    public static DeadlineSettings From(BenchSettings settings)
    {
        var apiText = settings.Text("api") ?? "http://127.0.0.1:5080";
        if (!Uri.TryCreate(apiText, UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--api expects an http(s) base URL such as http://127.0.0.1:5080, got '{apiText}'.");
        }
        var postgres = settings.Text("pg")
            ?? throw new ArgumentException("--pg <connection string> is required: tardiness and the reminder table are read from the database.");
        var keys = ApiKeys.Load(settings.Text("keys-file"), settings.Text("portal-key"));
        keys = keys with { Ops = settings.Text("ops-key") ?? keys.Ops };
        if (keys.Ops is null)
        {
            throw new ArgumentException($"{keys.Source} has no key of role ops under OneThing:Auth:Keys; pass --ops-key (the scenario publishes its item).");
        }
        int? siloPid = settings.Text("silo-pid") is null ? null : settings.Int("silo-pid", 0);

        var result = new DeadlineSettings(
            api,
            settings.Text("item") ?? "bench-deadline",
            settings.Int("cases", 200_000),
            settings.Int("due-cases", 1_000),
            settings.Int("spread-hours", 8),
            settings.Int("concurrency", 64),
            TimeSpan.FromSeconds(settings.Double("due-lead", 120)),
            TimeSpan.FromSeconds(settings.Double("idle-wait", 210)),
            TimeSpan.FromSeconds(settings.Double("flag-timeout", 300)),
            TimeSpan.FromSeconds(settings.Double("timeout", 30)),
            keys,
            postgres,
            siloPid);
        if (result.Cases < 0 || result.DueCases < 1 || result.SpreadHours < 1 || result.Concurrency < 1)
        {
            throw new ArgumentException("--cases must be 0 or more; --due-cases, --spread-hours and --concurrency 1 or more.");
        }
        if (result.DueLead < TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException("--due-lead must be at least 30 seconds: the due cases are submitted inside it.");
        }
        return result;
    }

    public object Parameters() => new
    {
        api = Api.ToString(),
        item = ItemCode,
        cases = Cases,
        dueCases = DueCases,
        spreadHours = SpreadHours,
        concurrency = Concurrency,
        dueLeadSeconds = DueLead.TotalSeconds,
        idleWaitSeconds = IdleWait.TotalSeconds,
        flagTimeoutSeconds = FlagTimeout.TotalSeconds,
        siloPid = SiloPid,
    };

    public static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
