using System.Net;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Webhooks;

/// <summary>A silo killed while it delivers: its senders come back on the other silo and nothing is lost.</summary>
public sealed class WebhookFailoverTests
{
    [Fact]
    public async Task ASiloKilledWhileDeliveringLosesNoEvent()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "webhook_failover", WebhookClusterFixture.Settings);
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(connectionString, cluster.Options.ClusterId, cluster.Options.ServiceId, WebhookClusterFixture.Settings);
        var driver = new CaseDriver(api);
        await using var receiver = await TestReceiver.StartAsync();
        // A slow receiver keeps posts in flight when the silo dies.
        receiver.AnswerDelay = TimeSpan.FromMilliseconds(50);
        var (status, created) = await driver.PostAsync(api.CreateClient("test-ops"), "/api/subscriptions", new { url = receiver.Url, events = new[] { "*" } });
        Assert.True(status == HttpStatusCode.Created, created.ToString());
        var secret = created.GetProperty("secret").GetString()!;

        var cases = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            cases.Add((await driver.SubmitNewAsync("newborn", 5_500_000 + i)).GetProperty("caseId").GetString()!);
        }
        await Poll.UntilAsync(() => Task.FromResult(receiver.Received.Count), n => n > 0, TimeSpan.FromSeconds(30), "nothing was delivered before the kill");
        await cluster.KillSiloAsync(cluster.SecondarySilos[0]);
        foreach (var caseId in cases)
        {
            await driver.RunToEndAsync(caseId);
        }

        foreach (var caseId in cases)
        {
            var events = (await driver.CaseEventsAsync(caseId)).Select(e => e.GetProperty("seq").GetInt32()).ToList();
            try
            {
                await Poll.UntilAsync(
                    () => Task.FromResult(receiver.Delivered.Count(r => r.Json.GetProperty("caseId").GetString() == caseId)),
                    count => count >= events.Count, TimeSpan.FromSeconds(120), $"fewer than {events.Count} events of {caseId} arrived after the silo was killed");
            }
            catch (TimeoutException timeout)
            {
                // A transaction left open by the killed silo holds the gap-safe feed back for every consumer: name it.
                throw new TimeoutException($"{timeout.Message}; open transactions: {await OpenTransactionsAsync(connectionString)}", timeout);
            }
            var arrived = receiver.Delivered.Where(r => r.Json.GetProperty("caseId").GetString() == caseId).ToList();
            // At least once: a post in flight at the kill may come twice, but the first arrivals are every event, in order.
            Assert.Equal(events, arrived.Select(r => r.Json.GetProperty("seq").GetInt32()));
            Assert.All(arrived, r => Assert.True(r.VerifiesWith(secret)));
        }
    }

    private static async Task<string> OpenTransactionsAsync(string connectionString) =>
        (string?)await TestDatabase.ScalarAsync(connectionString, """
            SELECT coalesce(string_agg(format('%s (%s, since %s): %s', pid, state, xact_start, left(query, 200)), ' | '), 'none')
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
            """) ?? "none";

    [Fact]
    public async Task WhenTheReceiverTakesPostsAgainWhatWaitsOutABackoffIsSentAtOnce()
    {
        // Retries far apart, as in production: only the recovery can explain an arrival within seconds.
        var settings = new Dictionary<string, string?>(WebhookClusterFixture.Settings)
        {
            ["OneThing:Webhooks:FirstRetryDelay"] = "00:02:00",
            ["OneThing:Webhooks:MaxRetryDelay"] = "01:00:00",
        };
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(1, "webhook_recovery", settings);
        await using var _cluster = cluster;
        await using var api = new OneThingApiFactory(connectionString, cluster.Options.ClusterId, cluster.Options.ServiceId, settings);
        var driver = new CaseDriver(api);
        await using var receiver = await TestReceiver.StartAsync();
        var (status, created) = await driver.PostAsync(api.CreateClient("test-ops"), "/api/subscriptions", new { url = receiver.Url, events = new[] { "CaseSubmitted" } });
        Assert.True(status == HttpStatusCode.Created, created.ToString());
        receiver.Answer = _ => 503;

        var first = (await driver.SubmitNewAsync("newborn", 5_600_001)).GetProperty("caseId").GetString()!;
        await Poll.UntilAsync(() => Task.FromResult(receiver.Received.Count(r => r.Json.GetProperty("caseId").GetString() == first)), n => n >= 1,
            TimeSpan.FromSeconds(30), "the first attempt never reached the receiver");
        receiver.Answer = _ => 200;
        var second = (await driver.SubmitNewAsync("newborn", 5_600_002)).GetProperty("caseId").GetString()!;

        await Poll.UntilAsync(() => Task.FromResult(receiver.Delivered.Count(r => r.Json.GetProperty("caseId").GetString() is { } c && (c == first || c == second))),
            n => n == 2, TimeSpan.FromSeconds(60), "the event that failed during the outage waited out its two-minute backoff");
    }
}
