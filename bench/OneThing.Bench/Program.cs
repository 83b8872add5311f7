using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using OneThing.Bench;
using OneThing.Bench.Deadlines;
using OneThing.Bench.Lifecycle;
using OneThing.Bench.Scale;
using OneThing.Bench.Storage;
using OneThing.Bench.Webhooks;

// dotnet run --project bench/OneThing.Bench -c Release -- storage [--seconds 15] [--concurrency 32] [--grains 2000]
// dotnet run --project bench/OneThing.Bench -c Release -- lifecycle [--api http://127.0.0.1:5080] [--mode case|inbox] [--reads 3] ...
// dotnet run --project bench/OneThing.Bench -c Release -- deadlines --pg "<connection string>" [--silo-pid P] [--cases 200000] ...
// dotnet run --project bench/OneThing.Bench -c Release -- scale --pg "<connection string>" [--api URL] [--cases 2000000] [--open-cases 200000]
// dotnet run --project bench/OneThing.Bench -c Release -- webhook-post [--seconds 5] [--concurrency 16]
// dotnet run --project bench/OneThing.Bench -c Release -- receiver-certificate --out DIR
// (webhook-receiver [--webhook-certificate FILE] is the receiver's own process that lifecycle --webhook-receiver process|idle starts)
// scripts/bench.sh starts a throwaway PostgreSQL, runs storage (which makes its own database), then starts the silo
// and the API and runs lifecycle against them. Exit codes: 0 measured, 1 measured but requests failed, 2 could not run.
var scenario = args.Length > 0 ? args[0] : "storage";
BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args.Skip(1).ToList());
}
catch (ArgumentException error)
{
    Console.Error.WriteLine($"onething-bench: {error.Message}");
    return 2;
}

switch (scenario)
{
    case "storage":
        return await RunStorageAsync(settings);
    case "lifecycle":
        return await RunLifecycleAsync(settings);
    case "deadlines":
        return await RunDeadlinesAsync(settings);
    case "scale":
        return await RunScaleAsync(settings);
    case "webhook-post":
        return await RunWebhookPostAsync(settings);
    case "receiver-certificate":
        return WriteReceiverCertificate(settings);
    case "webhook-receiver":
        settings.WarnAboutUnknown("webhook-receiver", ["webhook-certificate"]);
        return await WebhookReceiverProcess.RunAsync(settings.Text("webhook-certificate"));
    default:
        Console.Error.WriteLine($"onething-bench: unknown scenario '{scenario}' (known: storage, lifecycle, deadlines, scale, webhook-post, receiver-certificate, webhook-receiver).");
        return 2;
}

static async Task<int> RunStorageAsync(BenchSettings settings)
{
    settings.WarnAboutUnknown("storage", ["seconds", "concurrency", "grains", "results"]);
    var server = Environment.GetEnvironmentVariable("ConnectionStrings__OneThing");
    if (string.IsNullOrEmpty(server))
    {
        Console.Error.WriteLine("onething-bench: ConnectionStrings__OneThing is not set; run scripts/bench.sh, which starts PostgreSQL.");
        return 2;
    }

    // Each run gets a fresh database on that server, so runs never measure each other's rows.
    var database = await CreateDatabaseAsync(server, $"onething_bench_{DateTime.UtcNow:yyyyMMddHHmmss}");
    var result = await StorageScenario.RunAsync(database, settings);
    Console.WriteLine();
    Console.WriteLine("| scenario | grain writes/s | plain upserts/s | ratio (goal >= 0.5) |");
    Console.WriteLine("|---|---:|---:|---:|");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| storage | {result.GrainWritesPerSecond:0} | {result.PlainUpsertsPerSecond:0} | {result.Ratio:0.00} |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"summary: storage c={settings.Concurrency} | grain writes {result.GrainWritesPerSecond:0}/s | plain upserts {result.PlainUpsertsPerSecond:0}/s | ratio {result.Ratio:0.00}"));
    await WriteResultAsync(settings.ResultsDirectory, "storage", "storage",
        new { seconds = settings.Duration.TotalSeconds, settings.Concurrency, settings.Grains }, result);
    return 0;
}

static async Task<int> RunLifecycleAsync(BenchSettings settings)
{
    if (ReadSettings("lifecycle", LifecycleSettings.OptionNames, settings, LifecycleSettings.From) is not { } lifecycle)
    {
        return 2;
    }

    var result = await LifecycleScenario.RunAsync(lifecycle);
    if (result is null)
    {
        return 2;
    }
    await WriteResultAsync(settings.ResultsDirectory, result.Failover is null ? "lifecycle" : "failover", lifecycle.ResultName, lifecycle.Parameters(), result);
    // Killing a silo is expected to fail some requests; what must not happen is a lost acknowledged action or no recovery.
    return result.Failover is { } failover
        ? (failover.LostActions > 0 || failover.RecoverySeconds is null ? 1 : 0)
        : (result.Errors + result.ErrorsOutsideWindow > 0 ? 1 : 0);
}

static async Task<int> RunDeadlinesAsync(BenchSettings settings)
{
    if (ReadSettings("deadlines", DeadlineSettings.OptionNames, settings, DeadlineSettings.From) is not { } deadlines)
    {
        return 2;
    }

    var result = await DeadlineScenario.RunAsync(deadlines);
    if (result is null)
    {
        return 2;
    }
    Console.Write(result.Format());
    await WriteResultAsync(settings.ResultsDirectory, "deadlines", "deadlines", deadlines.Parameters(), result);
    return result.Clean ? 0 : 1;
}

static async Task<int> RunScaleAsync(BenchSettings settings)
{
    if (ReadSettings("scale", ScaleSettings.OptionNames, settings, ScaleSettings.From) is not { } scale)
    {
        return 2;
    }
    var result = await ScaleScenario.RunAsync(scale);
    Console.Write(ScaleScenario.Format(result));
    await WriteResultAsync(settings.ResultsDirectory, "scale", $"scale-{scale.EndedCases + scale.OpenCases}", scale.Parameters(), result);
    return 0;
}

static async Task<int> RunWebhookPostAsync(BenchSettings settings)
{
    settings.WarnAboutUnknown("webhook-post", ["seconds", "concurrency", "results"]);
    var result = await WebhookPostScenario.RunAsync(settings);
    Console.Write(WebhookPostScenario.Format(result));
    await WriteResultAsync(settings.ResultsDirectory, "webhook-post", "webhook-post",
        new { seconds = settings.Duration.TotalSeconds, settings.Concurrency }, result);
    return 0;
}

static int WriteReceiverCertificate(BenchSettings settings)
{
    settings.WarnAboutUnknown("receiver-certificate", ["out"]);
    if (settings.Text("out") is not { Length: > 0 } directory)
    {
        Console.Error.WriteLine("onething-bench: receiver-certificate needs --out DIR.");
        return 2;
    }
    var (pkcs12, pem) = LoopbackCertificate.WriteReceiverFiles(directory);
    Console.WriteLine($"receiver certificate: {pkcs12} (for --webhook-certificate), {pem} (for OneThing:Webhooks:TrustedRootsFile)");
    return 0;
}

/// <summary>A scenario's settings from the command line; null (and the reason on stderr) when they cannot be used.</summary>
static T? ReadSettings<T>(string scenario, IReadOnlyCollection<string> known, BenchSettings settings, Func<BenchSettings, T> read)
    where T : class
{
    settings.WarnAboutUnknown(scenario, known);
    try
    {
        return read(settings);
    }
    catch (Exception error) when (error is ArgumentException or IOException or JsonException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"onething-bench: {error.Message}");
        return null;
    }
}

static async Task<string> CreateDatabaseAsync(string server, string name)
{
    await using var admin = NpgsqlDataSource.Create(server);
    await using var create = admin.CreateCommand($"CREATE DATABASE \"{name}\"");
    await create.ExecuteNonQueryAsync();
    return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
}

static async Task WriteResultAsync(string directory, string scenario, string fileName, object parameters, object result)
{
    Directory.CreateDirectory(directory);
    var path = Path.Combine(directory, $"{fileName}.json");
    var document = new
    {
        scenario,
        measuredAt = DateTimeOffset.UtcNow,
        machine = new { cores = Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
        commit = GitCommit(),
        parameters,
        result,
    };
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    Console.WriteLine($"written: {path}");
}

static string GitCommit()
{
    // "-dirty" when the code differs from the commit: such figures cannot be reproduced from it alone. The result
    // files themselves are left out, or every scenario after the first in a suite would call its commit dirty.
    var commit = Git("describe --always");
    if (commit is null)
    {
        return "unknown";
    }
    var changed = Git("status --porcelain --untracked-files=no -- . :(exclude)bench/results");
    return changed is { Length: > 0 } ? $"{commit}-dirty" : commit;
}

static string? Git(string arguments)
{
    try
    {
        using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : null;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return null;
    }
}

/// <summary>The load generator's entry point; internal, so that only the API's <c>Program</c> is visible to the tests.</summary>
internal sealed partial class Program;
