using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using OneThing.Bench;
using OneThing.Bench.Storage;

// dotnet run --project bench/OneThing.Bench -c Release -- storage [--seconds 15] [--concurrency 32] [--grains 2000]
// scripts/bench.sh starts a throwaway PostgreSQL and runs this; each run gets a fresh database on that server.
var scenario = args.Length > 0 ? args[0] : "storage";
var settings = BenchSettings.Parse(args.Skip(1).ToList());
var server = Environment.GetEnvironmentVariable("ConnectionStrings__OneThing");
if (string.IsNullOrEmpty(server))
{
    Console.Error.WriteLine("onething-bench: ConnectionStrings__OneThing is not set; run scripts/bench.sh, which starts PostgreSQL.");
    return 2;
}

var database = await CreateDatabaseAsync(server, $"onething_bench_{DateTime.UtcNow:yyyyMMddHHmmss}");
switch (scenario)
{
    case "storage":
        var result = await StorageScenario.RunAsync(database, settings);
        Console.WriteLine();
        Console.WriteLine("| scenario | grain writes/s | plain upserts/s | ratio (goal >= 0.5) |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| storage | {result.GrainWritesPerSecond:0} | {result.PlainUpsertsPerSecond:0} | {result.Ratio:0.00} |"));
        await WriteResultAsync(settings, "storage", result);
        return 0;
    default:
        Console.Error.WriteLine($"onething-bench: unknown scenario '{scenario}' (known: storage).");
        return 2;
}

static async Task<string> CreateDatabaseAsync(string server, string name)
{
    await using var admin = NpgsqlDataSource.Create(server);
    await using var create = admin.CreateCommand($"CREATE DATABASE \"{name}\"");
    await create.ExecuteNonQueryAsync();
    return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
}

static async Task WriteResultAsync(BenchSettings settings, string scenario, object result)
{
    Directory.CreateDirectory(settings.ResultsDirectory);
    var path = Path.Combine(settings.ResultsDirectory, $"{scenario}.json");
    var document = new
    {
        scenario,
        measuredAt = DateTimeOffset.UtcNow,
        machine = new { cores = Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
        commit = GitCommit(),
        parameters = new { seconds = settings.Duration.TotalSeconds, settings.Concurrency, settings.Grains },
        result,
    };
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    Console.WriteLine($"written: {path}");
}

static string GitCommit()
{
    try
    {
        using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var commit = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? commit : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
