using System.Net;
using System.Text.Json.Nodes;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Tests.Fixtures;
using static OneThing.Tests.Publishing.PublishingDriver;

namespace OneThing.Tests.Publishing;

[Collection(PublishingClusterCollection.Name)]
public sealed class PublishedCalendarTests(PublishingClusterFixture fixture)
{
    /// <summary>A Wednesday; 2027 has no built-in file, so before publishing it counts as a working day.</summary>
    private static readonly DateOnly DeclaredHoliday = new(2027, 3, 3);

    /// <summary>The Saturday after it.</summary>
    private static readonly DateOnly DeclaredWorkingSaturday = new(2027, 3, 6);

    private readonly HttpClient _ops = fixture.Api.CreateClient("test-ops");

    [Fact]
    public async Task PublishedYearChangesDeadlinesOnEverySilo()
    {
        var acceptedTuesday = new DateTimeOffset(2027, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));
        var oneWorkingDay = new TimeLimit(WorkingDays: 1);
        Assert.All(SiloServices(fixture.Cluster), silo =>
            Assert.Equal(new DateTimeOffset(2027, 3, 4, 0, 0, 0, TimeSpan.FromHours(8)), CalendarOf(silo).DueAt(acceptedTuesday, oneWorkingDay)));
        var notice = Notice(["2027-01-01", "2027-03-03"], ["2027-03-06"]);

        var (status, location, body) = await PutAsync(_ops, "/api/calendar/2027", notice);
        var again = await PutAsync(_ops, "/api/calendar/2027", notice);

        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        Assert.Equal("/api/calendar/2027", location);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        await Poll.UntilAsync(
            () => Task.FromResult(SiloServices(fixture.Cluster)
                .Select(silo => (CalendarOf(silo).IsWorkingDay(DeclaredHoliday), CalendarOf(silo).IsWorkingDay(DeclaredWorkingSaturday)))
                .ToList()),
            days => days.All(day => day == (false, true)),
            PropagationBound,
            "every silo should count 2027-03-03 as a holiday and 2027-03-06 as a working day");
        // Wednesday is now a holiday: one working day after Tuesday ends on Thursday.
        Assert.All(SiloServices(fixture.Cluster), silo =>
            Assert.Equal(new DateTimeOffset(2027, 3, 5, 0, 0, 0, TimeSpan.FromHours(8)), CalendarOf(silo).DueAt(acceptedTuesday, oneWorkingDay)));
        var read = await GetAsync(fixture.Api.CreateClient("test-portal"), "/api/calendar/2027");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(["2027-01-01", "2027-03-03"], read.Body!["holidays"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal(["2027-03-06"], read.Body!["workingWeekends"]!.AsArray().Select(d => d!.GetValue<string>()));
    }

    [Fact]
    public async Task ReplacingAPublishedYearAnswersOkAndTakesEffect()
    {
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(_ops, "/api/calendar/2029", Notice(["2029-01-01"], []))).Status);

        var (status, _, body) = await PutAsync(_ops, "/api/calendar/2029", Notice(["2029-01-01", "2029-01-02"], []));

        Assert.True(status == HttpStatusCode.OK, $"replace answered {status}: {body}");
        Assert.Equal(2, body!["holidays"]!.AsArray().Count);
        await Poll.UntilAsync(
            () => Task.FromResult(SiloServices(fixture.Cluster).Select(silo => CalendarOf(silo).IsWorkingDay(new DateOnly(2029, 1, 2))).ToList()),
            days => days.All(working => !working),
            PropagationBound,
            "every silo should count 2029-01-02 as a holiday after the replacement");
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "date in another year", """{ "holidays": ["2028-01-03", "2029-01-01"], "workingWeekends": [] }""", "holidays[1]" },
        { "holiday and working weekend", """{ "holidays": ["2028-01-01"], "workingWeekends": ["2028-01-01"] }""", "workingWeekends[0]" },
        { "working weekend on a Monday", """{ "holidays": [], "workingWeekends": ["2028-01-03"] }""", "workingWeekends[0]" },
        { "not a date", """{ "holidays": ["2028-1-3"], "workingWeekends": [] }""", "holidays[0]" },
        { "list missing", """{ "holidays": [] }""", "workingWeekends" },
        { "year of another URL", """{ "year": 2027, "holidays": [], "workingWeekends": [] }""", "year" },
        { "unknown field", """{ "holidays": [], "workingWeekends": [], "holiday": [] }""", "holiday" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadYearIsRefusedWithFieldErrorsAndNothingIsStored(string breakage, string json, string field)
    {
        var (status, _, body) = await PutAsync(_ops, "/api/calendar/2028", JsonNode.Parse(json)!);

        Assert.True(status == HttpStatusCode.BadRequest, $"{breakage}: answered {status}: {body}");
        Assert.True(body!["errors"]!.AsObject().ContainsKey(field), $"{breakage}: expected an error on {field}, got {body["errors"]!.ToJsonString()}");
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(_ops, "/api/calendar/2028")).Status);
    }

    [Fact]
    public async Task YearOutsideTheSupportedRangeIsRefused()
    {
        var (status, _, body) = await PutAsync(_ops, "/api/calendar/1999", Notice([], []));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body!["errors"]!.AsObject().ContainsKey("year"));
    }

    [Fact]
    public async Task AnyRoleReadsYearsButOnlyOpsPublish()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(fixture.Api.CreateClient("test-portal"), "/api/calendar/2030", Notice([], []))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(fixture.Api.CreateClient("test-health"), "/api/calendar/2030", Notice([], []))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(fixture.Api.CreateClient(null), "/api/calendar/2026")).Status);

        var builtIn = await GetAsync(fixture.Api.CreateClient("test-health"), "/api/calendar/2026");
        var unknown = await GetAsync(fixture.Api.CreateClient("test-portal"), "/api/calendar/2030");

        Assert.Equal(HttpStatusCode.OK, builtIn.Status);
        Assert.Contains("2026-10-01", builtIn.Body!["holidays"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    private static JsonObject Notice(string[] holidays, string[] workingWeekends) => new()
    {
        ["holidays"] = new JsonArray([.. holidays.Select(d => JsonValue.Create(d))]),
        ["workingWeekends"] = new JsonArray([.. workingWeekends.Select(d => JsonValue.Create(d))]),
    };

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
