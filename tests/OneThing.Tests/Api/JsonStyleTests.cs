using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OneThing.Api.Catalog;
using OneThing.Contracts.Events;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Tests.Deadlines;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Api;

/// <summary>One JSON style in every response: instants, escaping, property order, the item's form schema.</summary>
[Collection(FakeTimeClusterCollection.Name)]
public sealed partial class JsonStyleTests(FakeTimeClusterFixture fixture)
{
    private static int _seed = 320_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    /// <summary>RFC 3339, Beijing time, milliseconds.</summary>
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$")]
    private static partial Regex Instant();

    [Fact]
    public async Task TheSameInstantIsTheSameStringInTheCaseTheInboxTheTaskAndTheApplicantList()
    {
        // Ticks below the microsecond: the case holds them, PostgreSQL keeps microseconds, the outside sees milliseconds.
        fixture.Clock.Advance(TimeSpan.FromTicks(1_234_567));
        var seed = Interlocked.Increment(ref _seed);
        var created = await _driver.SubmitNewAsync("newborn", seed);
        var caseId = created.GetProperty("caseId").GetString()!;
        var view = await _driver.CaseAsync(caseId);
        var task = view.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready");
        var taskId = task.GetProperty("taskId").GetString()!;
        var department = _driver.Department(task.GetProperty("department").GetString()!);

        var inbox = await InboxItemAsync(department, task.GetProperty("department").GetString()!, taskId);
        var mine = await _driver.Portal.GetFromJsonAsync<JsonElement>($"/api/cases?applicant={TestIdentities.IdNumber(seed)}");
        var summary = mine.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("caseId").GetString() == caseId);

        var submittedAt = view.GetProperty("submittedAt").GetString()!;
        Assert.Matches(Instant(), submittedAt);
        Assert.NotEqual("000", submittedAt[20..23]);
        Assert.Equal(submittedAt, summary.GetProperty("submittedAt").GetString());
        Assert.Equal(view.GetProperty("dueAt").GetString(), summary.GetProperty("dueAt").GetString());
        Assert.Matches(Instant(), task.GetProperty("readyAt").GetString()!);
        Assert.Equal(task.GetProperty("readyAt").GetString(), inbox.GetProperty("readyAt").GetString());
        Assert.Equal(task.GetProperty("dueAt").GetString(), inbox.GetProperty("dueAt").GetString());
        Assert.Matches(Instant(), inbox.GetProperty("dueAt").GetString()!);
    }

    [Fact]
    public async Task AnInboxItemIsWrittenAsGetTaskWritesTheTask()
    {
        var created = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));
        var task = created.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready");
        var code = task.GetProperty("department").GetString()!;
        var taskId = task.GetProperty("taskId").GetString()!;

        var inbox = await InboxItemAsync(_driver.Department(code), code, taskId);
        var single = await _driver.Department(code).GetFromJsonAsync<JsonElement>($"/api/tasks/{taskId}");

        Assert.Equal(Names(single), Names(inbox));
        Assert.Equal(single.GetRawText(), inbox.GetRawText());
    }

    [Fact]
    public async Task EventsWriteInstantsInBeijingTimeToTheMillisecond()
    {
        var created = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));

        var events = await _driver.CaseEventsAsync(created.GetProperty("caseId").GetString()!);

        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Matches(Instant(), e.GetProperty("at").GetString()!));
        var withDue = events.Where(e => e.GetProperty("data").TryGetProperty("dueAt", out _)).ToList();
        Assert.NotEmpty(withDue);
        Assert.All(withDue, e => Assert.Matches(Instant(), e.GetProperty("data").GetProperty("dueAt").GetString()!));
    }

    [Fact]
    public void AWebhookBodyWritesStoredInstantsInTheOutsideStyle()
    {
        // As an event's data is stored: the instant in UTC, to the tick.
        var stored = """{"dueAt":"2026-03-07T16:00:00.1234567+00:00","warningAt":null,"note":"补正 +1"}""";
        var item = new WebhookEventItem(7, "c1", "newborn", null, 2, "TaskReady", new DateTimeOffset(2026, 2, 13, 2, 0, 0, 123, TimeSpan.Zero).AddTicks(4567),
            new EventActorItem("system", null, null), "birth-certificate", "c1.birth-certificate", EventData.DataOf(stored), null);

        var body = JsonSerializer.Serialize(item, ViewJson.Options);
        var json = JsonDocument.Parse(body).RootElement;

        Assert.Equal("2026-02-13T10:00:00.123+08:00", json.GetProperty("at").GetString());
        Assert.Equal("2026-03-08T00:00:00.123+08:00", json.GetProperty("data").GetProperty("dueAt").GetString());
        Assert.Equal("补正 +1", json.GetProperty("data").GetProperty("note").GetString());
        Assert.DoesNotContain("\\u", body, StringComparison.Ordinal);
        // A pushed event is the item a client polling the feed reads, in the same order.
        var feed = JsonSerializer.SerializeToElement(
            new FeedEventItem(item.Position, item.CaseId, item.ItemCode, item.Region, item.Seq, item.Type, item.At, item.Actor, item.MatterCode,
                item.TaskId, item.Data), ViewJson.Options);
        Assert.Equal(feed.GetRawText(), body);
    }

    [Fact]
    public async Task ResponsesAreRawUtf8WithoutEscapes()
    {
        var created = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));
        var caseId = created.GetProperty("caseId").GetString()!;
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), Interlocked.Increment(ref _seed));
        application["form"]!.AsObject().Remove("babyName");

        var texts = new List<string>
        {
            await _driver.Portal.GetStringAsync("/api/items/newborn"),
            await _driver.Portal.GetStringAsync($"/api/cases/{caseId}"),
            await _driver.Portal.GetStringAsync("/api/items/newborn/form-schema"),
        };
        using (var refused = await _driver.Portal.PostAsJsonAsync("/api/cases", application))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            texts.Add(await refused.Content.ReadAsStringAsync());
        }

        Assert.All(texts, text =>
        {
            Assert.DoesNotContain("\\u", text, StringComparison.Ordinal);
            Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", text);
        });
        Assert.DoesNotContain("\\u", await _driver.Portal.GetStringAsync($"/api/cases/{caseId}/events"), StringComparison.Ordinal);
        Assert.Contains("+08:00", texts[1], StringComparison.Ordinal);
        Assert.Contains("新生儿姓名", texts[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATimeLimitCarriesOnlyTheKeyThatApplies()
    {
        var item = JsonNode.Parse(await _driver.Portal.GetStringAsync("/api/items/newborn"))!;

        Assert.Equal(["workingDays"], item["timeLimit"]!.AsObject().Select(p => p.Key));
        Assert.All(item["matters"]!.AsArray(), matter => Assert.Single(matter!["timeLimit"]!.AsObject()));
    }

    [Fact]
    public async Task TheFormSchemaServedIsTheOneSubmissionsAreValidatedWith()
    {
        using var response = await _driver.Portal.GetAsync("/api/items/newborn/form-schema");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ApplicationSchema.MediaType, response.Content.Headers.ContentType?.MediaType);
        var entry = await fixture.Cluster.Client.GetGrain<ICatalogGrain>(0).GetEntryAsync("newborn", null, null);
        Assert.Equal(ApplicationSchema.For(entry!.Item).Text, await response.Content.ReadAsStringAsync());

        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn"), Interlocked.Increment(ref _seed));
        application["form"]!["babyGender"] = "unknown";
        var (status, body) = await _driver.SubmitAsync(application);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("must be one of", body.GetProperty("errors").GetProperty("form.babyGender")[0].GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await _driver.Portal.GetAsync("/api/items/no-such-item/form-schema")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _driver.Portal.GetAsync("/api/items/newborn/form-schema?version=x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.CreateClient().GetAsync("/api/items/newborn/form-schema")).StatusCode);
    }

    /// <summary>The task's row in its department's inbox, which other tests of the collection fill too.</summary>
    private static async Task<JsonElement> InboxItemAsync(HttpClient department, string code, string taskId)
    {
        string? cursor = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await department.GetFromJsonAsync<JsonElement>(
                $"/api/departments/{code}/tasks?item=newborn&limit=200{(cursor is null ? "" : $"&cursor={cursor}")}");
            foreach (var item in page.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("taskId").GetString() == taskId))
            {
                return item;
            }
            cursor = page.GetProperty("nextCursor").GetString();
            if (cursor is null)
            {
                break;
            }
        }
        throw new Xunit.Sdk.XunitException($"Task {taskId} is not in the {code} inbox.");
    }

    private static List<string> Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];
}
