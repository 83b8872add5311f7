using Npgsql;
using OneThing.Grains.Webhooks;
using OneThing.Tests.Events;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Webhooks;

/// <summary>Which events of the feed a subscription queues, read against real rows.</summary>
public sealed class WebhookOutboxTests
{
    [Fact]
    public async Task ADepartmentHearsOfItsMattersAndOfItsCasesOnlyOnceItWasHandedATaskAndNoticesTellTheFirstOverdueOnly()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("webhook_outbox");
        await using var database = NpgsqlDataSource.Create(connectionString);
        var start = await new WebhookOutbox(database).HorizonAsync(CancellationToken.None);
        await using (var events = await StoredEvents.BeginAsync(database))
        {
            await events.InsertAsync("a", 1, type: "CaseSubmitted");
            await events.InsertAsync("a", 2, type: "TaskReady", matterCode: "household-registration", department: "police");
            await events.InsertAsync("a", 3, type: "Overdue", matterCode: "household-registration", department: "police");
            await events.InsertAsync("a", 4, type: "Overdue");
            await events.InsertAsync("a", 5, type: "Escalated");
            await events.InsertAsync("b", 1, type: "CaseSubmitted");
            await events.InsertAsync("b", 2, type: "TaskReady", matterCode: "tax-record-update", department: "tax");
            await events.InsertAsync("b", 3, type: "CaseCompleted");
            await events.CommitAsync();
        }
        var outbox = new WebhookOutbox(database);
        var horizon = await outbox.HorizonAsync(CancellationToken.None);

        var police = await outbox.ReadFeedAsync(Subscription(SubscriptionKinds.Webhook, ["*"], ["police"]), start, horizon, 100, CancellationToken.None);
        var notices = await outbox.ReadFeedAsync(Subscription(SubscriptionKinds.ApplicantNotice, ["*"], null), start, horizon, 100, CancellationToken.None);
        var completions = await outbox.ReadFeedAsync(Subscription(SubscriptionKinds.Webhook, ["CaseCompleted"], null), start, horizon, 100, CancellationToken.None);

        Assert.Equal(["a/2", "a/3", "a/4", "a/5"], police.Select(e => $"{e.CaseId}/{e.Seq}"));
        Assert.Equal(["a/3", "b/3"], notices.Select(e => $"{e.CaseId}/{e.Seq}"));
        Assert.Equal(["b/3"], completions.Select(e => $"{e.CaseId}/{e.Seq}"));
        Assert.All(police, e => Assert.InRange(e.Partition, 0, 3));
        Assert.Single(police.Select(e => e.Partition).Distinct());
    }

    private static SubscriptionRecord Subscription(string kind, string[] types, string[]? departments) => new(
        Guid.NewGuid(), kind, "https://hooks.example.com/x", types, null, departments, null, "ops", null, "pd1:x", null, null, 4, "f",
        DateTimeOffset.UtcNow, null, 0);
}
