using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Webhooks;

/// <summary>Subscriptions pushing case events to a real HTTP receiver through a two-silo cluster.</summary>
[Collection(WebhookClusterCollection.Name)]
public sealed class WebhookDeliveryTests(WebhookClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static int _seed = 5_100_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    private static int NextSeed() => Interlocked.Increment(ref _seed);

    private HttpClient Ops => fixture.Api.CreateClient("test-ops");

    [Fact]
    public async Task EveryEventOfACaseArrivesSignedInSequenceAndShapedAsTheFeedServesIt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (id, secret) = await SubscribeAsync(Ops, new { url = receiver.Url, events = new[] { "*" }, description = "all events" });

        var caseId = await CompletedCaseAsync("newborn");
        var events = await CaseEventsAsync(caseId);
        var received = await ArrivedAsync(receiver, caseId, events.Count);

        Assert.Equal(events.Select(e => e.GetProperty("seq").GetInt32()), received.Select(r => r.Json.GetProperty("seq").GetInt32()));
        Assert.All(received, r => Assert.True(r.VerifiesWith(secret), $"signature of {r.Id} does not verify"));
        Assert.All(received, r => Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal));
        Assert.All(received, r => Assert.True(Math.Abs(long.Parse(r.Timestamp, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow.ToUnixTimeSeconds()) < 300));
        // The same item the feed serves at that position, plus the task a TaskReady hands over.
        var first = received[0].Json;
        var position = first.GetProperty("position").GetInt64();
        var feed = await GetJsonAsync(Ops, $"/api/events?after={position - 1}&limit=1");
        var fromFeed = feed.GetProperty("items")[0];
        Assert.Equal(fromFeed.ToString(), first.ToString());
        Assert.Equal($"msg_{id:N}_{position}", received[0].Id);
        var ready = received.First(r => r.Json.GetProperty("type").GetString() == "TaskReady").Json;
        Assert.NotEmpty(ready.GetProperty("task").GetProperty("inputs").EnumerateObject());
        Assert.All(received, r => Assert.False(r.Json.GetProperty("data").TryGetProperty("application", out _)));

        var delivered = await GetJsonAsync(Ops, $"/api/subscriptions/{id}/deliveries?status=delivered&limit=1000");
        Assert.Contains(delivered.GetProperty("items").EnumerateArray(), d => d.GetProperty("caseId").GetString() == caseId);
    }

    [Fact]
    public async Task AReceiverAnswering500ThenOkGetsTheEventExactlyOnceMore()
    {
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var meter = new System.Diagnostics.Metrics.MeterListener();
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "onething.webhooks.attempts")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcomes.Add((string)tag.Value!);
                }
            }
        });
        meter.Start();
        await using var receiver = await TestReceiver.StartAsync();
        var failedOnce = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        receiver.Answer = r => failedOnce.TryAdd(r.Id, true) ? 500 : 200;
        var (id, _) = await SubscribeAsync(Ops, new { url = receiver.Url, events = new[] { "CaseSubmitted" } });

        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var arrived = await ArrivedAsync(receiver, caseId, 1);
        // Give a stray extra retry time to show up before counting.
        await Poll.UntilAsync(() => DeliveriesAsync(id, "delivered"), d => d.Any(x => x.GetProperty("caseId").GetString() == caseId), Patience,
            "the delivery is not recorded as delivered");

        var attempts = receiver.Received.Where(r => r.Id == arrived[0].Id).ToList();
        Assert.Equal([500, 200], attempts.Select(a => a.AnsweredStatus));
        var row = (await DeliveriesAsync(id, "delivered")).Single(d => d.GetProperty("caseId").GetString() == caseId);
        Assert.Equal(2, row.GetProperty("attempts").GetInt32());
        // The silos of the test cluster run in this process: their meter shows both outcomes.
        Assert.Contains("failed", outcomes);
        Assert.Contains("delivered", outcomes);
    }

    [Fact]
    public async Task AReceiverThatWasDownGetsEverythingWhenItReturnsInOrderPerCase()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (id, secret) = await SubscribeAsync(Ops, new { url = receiver.Url, events = new[] { "*" } });
        await receiver.StopAsync();

        var first = await CompletedCaseAsync("newborn");
        var second = await CompletedCaseAsync("retirement");
        await Poll.UntilAsync(() => DeliveriesAsync(id, "pending"), d => d.Any(x => x.TryGetProperty("lastError", out var e) && e.ValueKind == JsonValueKind.String),
            Patience, "no pending delivery records a failed attempt while the receiver is down");

        await receiver.RestartAsync();
        foreach (var caseId in new[] { first, second })
        {
            var events = await CaseEventsAsync(caseId);
            var received = await ArrivedAsync(receiver, caseId, events.Count);
            Assert.Equal(events.Select(e => e.GetProperty("seq").GetInt32()), received.Select(r => r.Json.GetProperty("seq").GetInt32()));
            Assert.All(received, r => Assert.True(r.VerifiesWith(secret)));
        }
    }

    [Fact]
    public async Task ARotatedSecretSignsBesideThePreviousOneDuringTheOverlap()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (id, oldSecret) = await SubscribeAsync(Ops, new { url = receiver.Url, events = new[] { "CaseSubmitted" } });
        var rotation = await Ops.PostAsync($"/api/subscriptions/{id}/secret", null);
        Assert.Equal(HttpStatusCode.OK, rotation.StatusCode);
        var rotated = await rotation.Content.ReadFromJsonAsync<JsonElement>();
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.True(rotated.GetProperty("previousSecretValidUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(23));

        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var received = (await ArrivedAsync(receiver, caseId, 1))[0];

        Assert.Equal(2, received.Signature.Split(' ').Length);
        Assert.True(received.VerifiesWith(newSecret));
        Assert.True(received.VerifiesWith(oldSecret));
        Assert.False(received.VerifiesWith("whsec_" + Convert.ToBase64String(new byte[32])));
    }

    [Fact]
    public async Task ReplaySendsDeliveredEventsAgainUnderTheSameWebhookId()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (id, _) = await SubscribeAsync(Ops, new { url = receiver.Url, events = new[] { "CaseSubmitted" } });
        var caseId = (await _driver.SubmitNewAsync("newborn", NextSeed())).GetProperty("caseId").GetString()!;
        var first = (await ArrivedAsync(receiver, caseId, 1))[0];
        var position = first.Json.GetProperty("position").GetInt64();

        var (status, body) = await _driver.PostAsync(Ops, $"/api/subscriptions/{id}/replay", new { fromPosition = position });
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.True(body.GetProperty("requeued").GetInt32() >= 1, body.ToString());

        await Poll.UntilAsync(() => Task.FromResult(receiver.Received.Count(r => r.Id == first.Id)), n => n >= 2, Patience, "the replayed event did not arrive again");
        var (bad, problem) = await _driver.PostAsync(Ops, $"/api/subscriptions/{id}/replay", new { fromPosition = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.True(problem.GetProperty("errors").TryGetProperty("fromPosition", out _));
    }

    [Fact]
    public async Task ADepartmentSubscribesForItselfOnlyAndHearsOfItsOwnMattersAndTheirCases()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var police = _driver.Department("police");
        var (forbidden, _) = await _driver.PostAsync(police, "/api/subscriptions", new { url = receiver.Url, events = new[] { "*" }, departments = new[] { "tax" } });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        var (notices, _) = await _driver.PostAsync(police, "/api/subscriptions", new { url = receiver.Url, events = new[] { "*" }, kind = "applicant-notice" });
        Assert.Equal(HttpStatusCode.Forbidden, notices);
        var (id, _) = await SubscribeAsync(police, new { url = receiver.Url, events = new[] { "*" } });
        var tax = _driver.Department("tax");
        Assert.Equal(HttpStatusCode.NotFound, (await tax.GetAsync($"/api/subscriptions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tax.DeleteAsync($"/api/subscriptions/{id}")).StatusCode);
        Assert.DoesNotContain((await GetJsonAsync(tax, "/api/subscriptions")).GetProperty("items").EnumerateArray(),
            s => s.GetProperty("subscriptionId").GetGuid() == id);

        var caseId = await CompletedCaseAsync("newborn");
        var all = await CaseEventsAsync(caseId);
        var policeMatters = (await _driver.ItemOfCaseAsync(caseId)).GetProperty("matters").EnumerateArray()
            .Where(m => m.GetProperty("department").GetString() == "police").Select(m => m.GetProperty("code").GetString()).ToHashSet();
        bool IsPolice(JsonElement e) => policeMatters.Contains(e.GetProperty("matterCode").GetString());
        var firstPoliceTask = all.First(e => e.GetProperty("type").GetString() == "TaskReady" && IsPolice(e)).GetProperty("seq").GetInt32();
        var expected = all.Where(e => IsPolice(e) || (e.GetProperty("matterCode").ValueKind == JsonValueKind.Null && e.GetProperty("seq").GetInt32() > firstPoliceTask))
            .Select(e => e.GetProperty("seq").GetInt32()).ToList();
        var received = await ArrivedAsync(receiver, caseId, expected.Count);

        Assert.Equal(expected, received.Select(r => r.Json.GetProperty("seq").GetInt32()));
        Assert.DoesNotContain(received, r => r.Json.GetProperty("type").GetString() == "CaseSubmitted");

        Assert.Equal(HttpStatusCode.NoContent, (await police.DeleteAsync($"/api/subscriptions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await police.DeleteAsync($"/api/subscriptions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await police.GetAsync($"/api/subscriptions/{id}")).StatusCode);

    }

    [Fact]
    public async Task BadSubscriptionsAreRefusedWithFieldErrorsAndCreateNothing()
    {
        var before = (await GetJsonAsync(Ops, "/api/subscriptions")).GetProperty("items").GetArrayLength();
        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { events = new[] { "*" } }, "url"),
            (new { url = "ftp://example.com/x", events = new[] { "*" } }, "url"),
            (new { url = "http://127.0.0.1:1/x", events = new[] { "NoSuchEvent" } }, "events"),
            (new { url = "http://127.0.0.1:1/x", events = new[] { "*", "TaskReady" } }, "events"),
            (new { url = "http://127.0.0.1:1/x", events = Array.Empty<string>() }, "events"),
            (new { url = "http://127.0.0.1:1/x", events = new[] { "*" }, items = new[] { "no-such-item" } }, "items"),
            (new { url = "http://127.0.0.1:1/x", events = new[] { "*" }, departments = new[] { "no-such-department" } }, "departments"),
            (new { url = "http://127.0.0.1:1/x", events = new[] { "*" }, kind = "carrier-pigeon" }, "kind"),
            (new { url = "http://127.0.0.1:1/x", events = new[] { "*" }, secret = "mine" }, "secret"),
            (new { url = "http://10.1.2.3/x", events = new[] { "*" } }, "url"),
            (new { url = "http://169.254.169.254/latest/meta-data", events = new[] { "*" } }, "url"),
        })
        {
            var (status, problem) = await _driver.PostAsync(Ops, "/api/subscriptions", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)} answered {status}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{JsonSerializer.Serialize(body)}: {problem}");
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.CreateClient().GetAsync("/api/subscriptions")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _driver.Portal.GetAsync("/api/subscriptions")).StatusCode);
        Assert.Equal(before, (await GetJsonAsync(Ops, "/api/subscriptions")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task InProductionLoopbackAndHttpReceiversAreRefusedAndSecretsAreSealedAtRest()
    {
        var production = new Dictionary<string, string?>(WebhookClusterFixture.Settings) { ["OneThing:Webhooks:AllowInsecureUrls"] = "false" };
        await using var api = new OneThingApiFactory(fixture.ConnectionString, fixture.Cluster.Options.ClusterId, fixture.Cluster.Options.ServiceId, production);
        var ops = api.CreateClient("test-ops");
        foreach (var url in new[] { "http://hooks.example.com/x", "https://127.0.0.1/x", "https://localhost/x", "https://[::1]/x", "https://192.168.0.10/x" })
        {
            var (status, problem) = await _driver.PostAsync(ops, "/api/subscriptions", new { url, events = new[] { "*" } });
            Assert.True(status == HttpStatusCode.BadRequest, $"{url} answered {status}");
            Assert.True(problem.GetProperty("errors").TryGetProperty("url", out _), problem.ToString());
        }

        await using var receiver = await TestReceiver.StartAsync();
        var (id, secret) = await SubscribeAsync(Ops, new { url = receiver.Url, events = new[] { "CaseSubmitted" } });
        var stored = (string?)await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT secret FROM onething_subscriptions WHERE subscription_id = @id", ("id", id));
        Assert.StartsWith("pd1:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret["whsec_".Length..], stored!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameIdempotencyKeyReturnsTheSameSubscriptionAndAnotherBodyConflicts()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/subscriptions") { Content = JsonContent.Create(new { url = "http://127.0.0.1:9/a", events = new[] { "*" } }) };
        request.Headers.Add("Idempotency-Key", $"sub-{Guid.NewGuid()}");
        var key = request.Headers.GetValues("Idempotency-Key").Single();
        var first = await Ops.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var again = new HttpRequestMessage(HttpMethod.Post, "/api/subscriptions") { Content = JsonContent.Create(new { url = "http://127.0.0.1:9/a", events = new[] { "*" } }) };
        again.Headers.Add("Idempotency-Key", key);
        var second = await Ops.SendAsync(again);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("subscriptionId").GetGuid(), b.GetProperty("subscriptionId").GetGuid());
        Assert.Equal(a.GetProperty("secret").GetString(), b.GetProperty("secret").GetString());
        var other = new HttpRequestMessage(HttpMethod.Post, "/api/subscriptions") { Content = JsonContent.Create(new { url = "http://127.0.0.1:9/b", events = new[] { "*" } }) };
        other.Headers.Add("Idempotency-Key", key);
        Assert.Equal(HttpStatusCode.Conflict, (await Ops.SendAsync(other)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Ops.DeleteAsync($"/api/subscriptions/{a.GetProperty("subscriptionId").GetGuid()}")).StatusCode);
    }

    [Fact]
    public async Task CompanyInfoChangeIsPushedToEveryDepartmentThatHoldsTheDataWhichCompletesThroughTheApi()
    {
        string[] holders = ["police", "tax", "hrss", "housing-fund", "bank"];
        var receivers = new Dictionary<string, TestReceiver>();
        try
        {
            foreach (var department in holders)
            {
                receivers[department] = await TestReceiver.StartAsync();
                await SubscribeAsync(_driver.Department(department), new { url = receivers[department].Url, events = new[] { "TaskReady" }, items = new[] { "company-info-change" } });
            }
            var submitted = await _driver.SubmitNewAsync("company-info-change", NextSeed());
            var caseId = submitted.GetProperty("caseId").GetString()!;
            var registration = CaseDriver.TaskOf(submitted, "change-registration");
            var completed = await _driver.WorkAsync(registration);
            var registrationNumber = completed.GetProperty("outputs").GetProperty("changeRegistrationNumber").GetString();

            foreach (var department in holders)
            {
                var pushed = (await ArrivedAsync(receivers[department], caseId, 1))[0].Json;
                var task = pushed.GetProperty("task");
                Assert.Equal(department, task.GetProperty("department").GetString());
                Assert.Equal(registrationNumber, task.GetProperty("inputs").GetProperty("changeRegistrationNumber").GetString());
                // The department's system completes the pushed task through the API.
                await _driver.WorkAsync(task);
            }
            var view = await _driver.CaseAsync(caseId);
            Assert.Equal("Completed", view.GetProperty("status").GetString());
        }
        finally
        {
            foreach (var receiver in receivers.Values)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    private async Task<(Guid Id, string Secret)> SubscribeAsync(HttpClient client, object body)
    {
        var (status, created) = await _driver.PostAsync(client, "/api/subscriptions", body);
        Assert.True(status == HttpStatusCode.Created, $"subscribing answered {status}: {created}");
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var id = created.GetProperty("subscriptionId").GetGuid();
        var read = await GetJsonAsync(client, $"/api/subscriptions/{id}");
        Assert.False(read.TryGetProperty("secret", out _), "a subscription read back shows its secret");
        return (id, secret);
    }

    private async Task<string> CompletedCaseAsync(string item)
    {
        var caseId = (await _driver.SubmitNewAsync(item, NextSeed())).GetProperty("caseId").GetString()!;
        await _driver.RunToEndAsync(caseId);
        return caseId;
    }

    private async Task<List<JsonElement>> CaseEventsAsync(string caseId) =>
        [.. (await GetJsonAsync(Ops, $"/api/cases/{caseId}/events?limit=1000")).GetProperty("items").EnumerateArray()];

    private async Task<List<JsonElement>> DeliveriesAsync(Guid id, string status) =>
        [.. (await GetJsonAsync(Ops, $"/api/subscriptions/{id}/deliveries?status={status}&limit=1000")).GetProperty("items").EnumerateArray()];

    /// <summary>The case's deliveries the receiver accepted, in arrival order, once there are <paramref name="count"/>.</summary>
    private static async Task<List<ReceivedWebhook>> ArrivedAsync(TestReceiver receiver, string caseId, int count)
    {
        var arrived = await Poll.UntilAsync(
            () => Task.FromResult(receiver.Delivered.Where(r => r.Json.GetProperty("caseId").GetString() == caseId).ToList()),
            list => list.Count >= count, Patience, $"fewer than {count} events of {caseId} reached the receiver");
        return arrived;
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
