using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Diagnostics;

/// <summary>A silo process with its HTTP port, and the API as its client: what ops scrape and probe.</summary>
public sealed class SiloProcessFixture : IAsyncLifetime
{
    public SiloProcess Silo { get; private set; } = null!;

    public OneThingApiFactory Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Silo = await SiloProcess.StartAsync("observability");
        Api = new OneThingApiFactory(Silo.ConnectionString, Silo.ClusterId, Silo.ClusterId);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Silo.DisposeAsync();
    }
}

public sealed class SiloProcessObservabilityTests(SiloProcessFixture fixture) : IClassFixture<SiloProcessFixture>
{
    private static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ACaseIsCountedOnceOnTheSilosMetricsAndOnTheApisUnderThePrometheusNames()
    {
        var driver = new CaseDriver(fixture.Api);
        using var api = fixture.Api.CreateClient();
        // A region of its own: the counts below are this case's alone.
        var region = $"obs-{Guid.NewGuid():N}"[..16];
        var siloBefore = await fixture.Silo.ScrapeAsync();
        var apiBefore = await api.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        var submitted = await driver.SubmitNewAsync("newborn", 7101, region);
        var ended = await driver.RunToEndAsync(submitted.GetProperty("caseId").GetString()!);

        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        var completedByDepartment = ended.GetProperty("tasks").EnumerateArray()
            .Where(t => t.GetProperty("status").GetString() == "Completed")
            .GroupBy(t => t.GetProperty("department").GetString()!)
            .ToDictionary(g => g.Key, g => g.Count());
        (string, string)[] thisCase = [("item", "newborn"), ("region", region)];

        var silo = await Poll.UntilAsync(fixture.Silo.ScrapeAsync,
            text => Prometheus.Value(text, "onething_cases_completed_total", thisCase) == 1, ScrapeWait, "the silo's /metrics never counted the completed case");
        Assert.Equal(1, Prometheus.Value(silo, "onething_cases_submitted_total", thisCase));
        foreach (var (department, count) in completedByDepartment)
        {
            (string, string) tag = ("department", department);
            Assert.Equal(count, Delta(siloBefore, silo, "onething_tasks_completed_total", tag));
            Assert.Equal(count, Delta(siloBefore, silo, "onething_tasks_ready_total", tag));
            Assert.Equal(count, Delta(siloBefore, silo, "onething_tasks_completion_time_seconds_count", tag));
        }
        Assert.True(Prometheus.Value(silo, "onething_commit_events_sum") >= 1, "no group commit was measured");
        Assert.True(Prometheus.Value(silo, "onething_commit_duration_seconds_count", ("outcome", "committed")) >= 1, "no commit latency was measured");
        Assert.True(Prometheus.HasFamily(silo, "orleans_"), "the silo's /metrics has no Orleans metrics");
        Assert.True(Prometheus.HasFamily(silo, "db_client_"), "the silo's /metrics has no Npgsql metrics");
        Assert.True(Prometheus.HasFamily(silo, "dotnet_"), "the silo's /metrics has no runtime metrics");

        // An exporter answers a scrape from its last collection for a moment: a fast case can end within it.
        var apiAfter = await Poll.UntilAsync(() => api.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            text => Prometheus.Value(text, "onething_cases_submitted_total", thisCase) == 1, ScrapeWait, "the API's /metrics never counted the submitted case");
        foreach (var (department, count) in completedByDepartment)
        {
            Assert.Equal(count, Delta(apiBefore, apiAfter, "onething_tasks_completed_total", ("department", department)));
        }
        Assert.True(Prometheus.HasFamily(apiAfter, "http_server_request_duration_seconds"), "the API's /metrics has no ASP.NET Core metrics");
        Assert.True(Prometheus.HasFamily(apiAfter, "orleans_"), "the API's /metrics has no Orleans client metrics");
        Assert.True(Prometheus.HasFamily(apiAfter, "db_client_"), "the API's /metrics has no Npgsql metrics");
    }

    [Fact]
    public async Task TheSilosHttpPortAnswersLiveAndReady()
    {
        using var live = await fixture.Silo.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var ready = await fixture.Silo.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var report = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("ready", "ok", "Active"),
            (report.GetProperty("status").GetString(), report.GetProperty("database").GetString(), report.GetProperty("silo").GetString()));
    }

    [Fact]
    public async Task ACaseFailureIsAJsonLineWithTheCaseIdInItsScopes()
    {
        var driver = new CaseDriver(fixture.Api);
        var caseId = (await driver.SubmitNewAsync("newborn", 7102)).GetProperty("caseId").GetString()!;
        // This case's applicant row alone can no longer be written: its next change fails in the commit.
        await TestDatabase.ScalarAsync(fixture.Silo.ConnectionString,
            $"ALTER TABLE onething_applicant_cases ADD CONSTRAINT refuse_{Guid.NewGuid():N} CHECK (case_id <> '{caseId}') NOT VALID");

        var (status, _) = await driver.PostAsync(driver.Portal, $"/api/cases/{caseId}/withdraw");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var line = await Poll.UntilAsync(() => Task.FromResult(fixture.Silo.Process.Lines.Where(l => l.StartsWith('{') && l.Contains(caseId, StringComparison.Ordinal))
                .Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .FirstOrDefault(l => l.GetProperty("LogLevel").GetString() == "Warning")),
            found => found.ValueKind == JsonValueKind.Object, ScrapeWait, $"the silo wrote no JSON warning for case {caseId}");
        Assert.Contains(line.GetProperty("Scopes").EnumerateArray(),
            scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("CaseId", out var id) && id.GetString() == caseId);
    }

    private static double Delta(string before, string after, string name, params (string, string)[] labels) =>
        Prometheus.Value(after, name, labels) - Prometheus.Value(before, name, labels);
}

/// <summary>A silo whose database stops answering is no longer ready, while it still lives.</summary>
public sealed class SiloReadinessTests
{
    [Fact]
    public async Task ReadyTurns503WhenTheDatabaseRefusesConnections()
    {
        await using var silo = await SiloProcess.StartAsync("readiness");
        var database = new Npgsql.NpgsqlConnectionStringBuilder(silo.ConnectionString).Database!;

        await TestDatabase.ScalarAsync(TestDatabase.ServerConnectionString, $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false");
        await TestDatabase.ScalarAsync(TestDatabase.ServerConnectionString,
            $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}'");

        await Poll.UntilAsync(async () =>
        {
            using var response = await silo.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode;
        }, status => status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "readiness never turned 503 without the database");
        using var live = await silo.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
