using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Api;

/// <summary>A database that refuses a row: the caller hears 503, and the logs hear SQLSTATE and table, never the row.</summary>
[Collection(RefusingDatabaseCollection.Name)]
public sealed class DatabaseFailureLoggingTests(RefusingDatabaseFixture fixture)
{
    [Fact]
    public async Task ARefusedCommitAnswers503AndNoLogLineOfSiloOrApiQuotesTheApplicant()
    {
        using var portal = fixture.Client("test-portal");
        var item = await portal.GetFromJsonAsync<JsonElement>(new Uri("/api/items/newborn", UriKind.Relative));
        var application = CaseDriver.SampleApplication(item, RefusingDatabaseFixture.ApplicantSeed);

        using var response = await portal.PostAsJsonAsync(new Uri("/api/cases", UriKind.Relative), application);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        AssertLogsNeverQuote(TestIdentities.IdNumber(RefusingDatabaseFixture.ApplicantSeed));
        Assert.Contains(CapturedLogs.All, line => line.Contains($"SQLSTATE {RefusingDatabaseFixture.RefusalSqlState}", StringComparison.Ordinal)
            && line.Contains("onething_department_tasks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANulThatJsonbRefusesFailsTheCallWithItsSqlStateAndNoLogLineQuotesTheApplicant()
    {
        const int seed = 914_101;
        var idNumber = TestIdentities.IdNumber(seed);
        using var portal = fixture.Client("test-portal");
        var item = await portal.GetFromJsonAsync<JsonElement>(new Uri("/api/items/newborn", UriKind.Relative));
        var sample = CaseDriver.SampleApplication(item, seed);
        // Every free-text value holds the identity number followed by U+0000: jsonb refuses the inbox row (22P05),
        // and PostgreSQL's context quotes the JSON just before the NUL.
        var form = sample["form"]!.AsObject().ToDictionary(
            field => field.Key,
            field => field.Value is JsonValue value && value.TryGetValue<string>(out var text)
                ? (text.StartsWith("测试", StringComparison.Ordinal) ? $"{idNumber}\u0000" : text)
                : field.Value!.ToJsonString());
        var command = new SubmitCase("newborn", "online", null, new Applicant("person", "张三\u0000", idNumber, null, TestIdentities.Phone),
            form, [], [], null, $"nul-{Guid.NewGuid():N}");

        var refused = await Assert.ThrowsAsync<DatabaseWriteFailedException>(
            () => fixture.Cluster.Client.GetGrain<ICaseGrain>($"nul-{Guid.NewGuid():N}").SubmitAsync(command, new EventActor("portal", "test-portal")));

        Assert.Contains(refused.SqlState, new[] { "22P05", RefusingDatabaseFixture.RefusalSqlState });
        Assert.DoesNotContain(idNumber, refused.ToString(), StringComparison.Ordinal);
        AssertLogsNeverQuote(idNumber);
        Assert.Contains(CapturedLogs.All, line => line.Contains($"SQLSTATE {refused.SqlState}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RepeatedRefusalsAreLoggedOncePerIntervalWithACountAndWithoutStackTraces()
    {
        using var portal = fixture.Client("test-portal");
        var item = await portal.GetFromJsonAsync<JsonElement>(new Uri("/api/items/newborn", UriKind.Relative));
        var marker = $"SQLSTATE {RefusingDatabaseFixture.RefusalSqlState}";
        bool IsFailureLine(string line) => line.Contains(marker, StringComparison.Ordinal)
            && (line.Contains("could not be stored", StringComparison.Ordinal) || line.Contains("answered 503", StringComparison.Ordinal));
        var before = CapturedLogs.All.Count(IsFailureLine);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var statuses = new List<(HttpStatusCode, bool)>();
        for (var request = 0; request < 12; request++)
        {
            using var response = await portal.PostAsJsonAsync(new Uri("/api/cases", UriKind.Relative),
                CaseDriver.SampleApplication(item, RefusingDatabaseFixture.ApplicantSeed + 10 + request));
            statuses.Add((response.StatusCode, response.Headers.RetryAfter is not null));
        }

        // The case's line and the API's line, each once per ten seconds at most, and without a stack trace.
        var allowed = 2 * (1 + (int)(clock.Elapsed / TimeSpan.FromSeconds(10)));
        Assert.All(statuses, status => Assert.Equal((HttpStatusCode.ServiceUnavailable, true), status));
        Assert.InRange(CapturedLogs.All.Count(IsFailureLine) - before, 0, allowed);
        var withStackTrace = CapturedLogs.All.FirstOrDefault(line => IsFailureLine(line) && line.Contains("   at ", StringComparison.Ordinal));
        Assert.True(withStackTrace is null, $"a database failure was logged with its stack trace: {withStackTrace}");
    }

    private static void AssertLogsNeverQuote(string idNumber)
    {
        Assert.NotEmpty(CapturedLogs.All);
        var quoting = CapturedLogs.All.FirstOrDefault(line => line.Contains(idNumber, StringComparison.Ordinal));
        Assert.True(quoting is null, $"a log line quotes the identity number: {quoting}");
    }
}
