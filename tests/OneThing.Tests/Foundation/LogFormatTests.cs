using System.Globalization;
using System.Text.Json;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Foundation;

/// <summary>What ops read: every console line of the silo starts with an ISO 8601 UTC timestamp, and JSON is a setting away.</summary>
public sealed class LogFormatTests
{
    [Fact]
    public async Task EveryLogLineStartsWithAnIso8601UtcTimestamp()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("log_format");

        var (code, output) = await RunMigrateAsync(connectionString, new Dictionary<string, string?>());

        Assert.True(code == 0, $"migrate exited {code}: {output}");
        var headers = output.Split('\n').Where(line => line.Contains(": OneThing.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(headers);
        Assert.All(headers, line => Assert.True(
            DateTimeOffset.TryParseExact(line[..24], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
            $"no ISO 8601 UTC timestamp first: {line}"));
    }

    [Fact]
    public async Task TheJsonFormatIsOneSettingAndKeepsTheTimestamp()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("log_format_json");

        var (code, output) = await RunMigrateAsync(connectionString, new Dictionary<string, string?> { ["Logging:Console:FormatterName"] = "json" });

        Assert.True(code == 0, $"migrate exited {code}: {output}");
        var lines = output.Split('\n').Where(line => line.StartsWith('{')).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Contains(lines, line => line.GetProperty("Category").GetString()!.StartsWith("OneThing.", StringComparison.Ordinal));
        Assert.All(lines, line => Assert.EndsWith("Z", line.GetProperty("Timestamp").GetString()!.TrimEnd(), StringComparison.Ordinal));
    }

    private static Task<(int Code, string Output)> RunMigrateAsync(string connectionString, IReadOnlyDictionary<string, string?> settings) =>
        BuiltProcess.RunAsync(BuiltProcess.SiloAssembly, ["migrate"], new Dictionary<string, string?>
        {
            ["ConnectionStrings:OneThing"] = connectionString,
            ["Logging:LogLevel:Default"] = "Information",
        }.Concat(settings));
}
