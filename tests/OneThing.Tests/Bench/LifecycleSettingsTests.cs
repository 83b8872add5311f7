using System.Text.Json;
using OneThing.Bench;
using OneThing.Bench.Lifecycle;

namespace OneThing.Tests.Bench;

/// <summary>How the command line becomes a run: result file names (bench.sh's runs must not overwrite each other) and refusals.</summary>
public sealed class LifecycleSettingsTests : IDisposable
{
    private readonly string _keysFile = Path.Combine(Path.GetTempPath(), $"onething-bench-keys-{Guid.NewGuid():N}.json");

    public LifecycleSettingsTests() => File.WriteAllText(_keysFile, JsonSerializer.Serialize(new
    {
        OneThing = new { Auth = new { Keys = new object[] { new { Key = "p", Role = "portal" }, new { Key = "h", Role = "department", Department = "health" } } } },
    }));

    public void Dispose() => File.Delete(_keysFile);

    [Theory]
    [InlineData("lifecycle-case")]
    [InlineData("lifecycle-case-reads0", "--reads", "0")]
    [InlineData("lifecycle-case-etag", "--conditional-reads", "on")]
    [InlineData("lifecycle-case-reads0-cohost", "--reads", "0", "--label", "cohost")]
    [InlineData("lifecycle-inbox-rate12.5", "--mode", "inbox", "--rate", "12.5")]
    [InlineData("lifecycle-case-webhook", "--webhook", "on")]
    [InlineData("lifecycle-case-webhook-idle", "--webhook", "on", "--webhook-receiver", "idle")]
    [InlineData("failover", "--kill-pid", "4321", "--kill-at", "10", "--seconds", "40")]
    [InlineData("failover-pg", "--kill-pid", "4321", "--kill-at", "10", "--seconds", "40", "--label", "pg")]
    public void EachWorkloadWritesAResultFileOfItsOwn(string expected, params string[] options)
    {
        Assert.Equal(expected, Parse(options).ResultName);
    }

    [Theory]
    [InlineData("--mode", "batch")]
    [InlineData("--api", "ftp://example")]
    [InlineData("--label", "co host")]
    [InlineData("--reads", "-1")]
    [InlineData("--kill-pid", "4321", "--kill-at", "30", "--seconds", "20")]
    [InlineData("--conditional-reads", "yes")]
    [InlineData("--pids", "silo")]
    [InlineData("--webhook-receiver", "idle")]
    [InlineData("--webhook", "on", "--webhook-receiver", "elsewhere")]
    public void SettingsThatCannotBeRunAreRefusedWithAReason(params string[] options)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(options));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void KeysAreReadFromTheApisSettingsLayout()
    {
        var settings = Parse([]);

        Assert.Equal("p", settings.Keys.Portal);
        Assert.Equal("h", settings.Keys.Departments["health"]);
        Assert.Null(settings.Keys.Ops);
    }

    private LifecycleSettings Parse(string[] options) =>
        LifecycleSettings.From(BenchSettings.Parse(["--keys-file", _keysFile, .. options]));
}
