using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OneThing.Contracts.Cases;
using OneThing.Grains.Events;
using OneThing.Grains.Webhooks;
using OneThing.Silo.Database;
using OneThing.Tests.Events;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Webhooks;

/// <summary>Which events of the feed a sender reads, and what its outbox and checkpoint hold, against real rows.</summary>
public sealed class WebhookOutboxTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 2, 0, 0, TimeSpan.Zero);

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

        async Task<List<(int Partition, DueDelivery Delivery)>> ReadAllPartitionsAsync(SubscriptionRecord subscription)
        {
            var read = new List<(int, DueDelivery)>();
            for (var partition = 0; partition < subscription.Partitions; partition++)
            {
                read.AddRange((await outbox.ReadFeedAsync(subscription, partition, start, horizon, 100, Now, CancellationToken.None)).Select(d => (partition, d)));
            }
            return [.. read.OrderBy(r => r.Item2.Event.Position)];
        }
        var police = await ReadAllPartitionsAsync(Subscription(SubscriptionKinds.Webhook, ["*"], ["police"]));
        var notices = await ReadAllPartitionsAsync(Subscription(SubscriptionKinds.ApplicantNotice, ["*"], null));
        var completions = await ReadAllPartitionsAsync(Subscription(SubscriptionKinds.Webhook, ["CaseCompleted"], null));

        Assert.Equal(["a/2", "a/3", "a/4", "a/5"], police.Select(e => $"{e.Delivery.Event.CaseId}/{e.Delivery.Event.Seq}"));
        Assert.Equal(["a/3", "b/3"], notices.Select(e => $"{e.Delivery.Event.CaseId}/{e.Delivery.Event.Seq}"));
        Assert.Equal(["b/3"], completions.Select(e => $"{e.Delivery.Event.CaseId}/{e.Delivery.Event.Seq}"));
        // A case belongs to one sender.
        Assert.Single(police.Select(e => e.Partition).Distinct());
    }

    [Fact]
    public async Task OnlyWhatCouldNotGoIsWrittenWithTheCheckpointAndTheListingShowsTheRestAsDelivered()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("webhook_checkpoint");
        await using var database = NpgsqlDataSource.Create(connectionString);
        var store = new SubscriptionStore(database);
        var outbox = new WebhookOutbox(database);
        var subscription = (await store.InsertAsync(Subscription(SubscriptionKinds.Webhook, ["*"], null) with { Partitions = 1 }))!;
        var id = subscription.Id;
        await using (var events = await StoredEvents.BeginAsync(database))
        {
            await events.InsertAsync("a", 1);
            await events.InsertAsync("a", 2);
            await events.InsertAsync("a", 3);
            await events.InsertAsync("b", 1);
            await events.InsertAsync("b", 2);
            await events.CommitAsync();
        }
        var horizon = await outbox.HorizonAsync(CancellationToken.None);
        var start = (await outbox.LoadPartitionAsync(id, 0, CancellationToken.None)).Checkpoint!.Value;
        Assert.Equal(subscription.FedPosition, start);
        var read = await outbox.ReadFeedAsync(subscription, 0, start, horizon, 100, Now, CancellationToken.None);
        Assert.Equal(["a/1", "a/2", "a/3", "b/1", "b/2"], read.Select(d => $"{d.Event.CaseId}/{d.Event.Seq}"));

        // a/2's post failed; a/3 waits behind it; the rest were delivered and leave no row.
        var retryAt = Now.AddSeconds(5);
        var failed = new AttemptResult(read[1].Event.Position, DeliveryStatuses.Pending, retryAt, 503, "HTTP 503");
        ParkedDelivery[] parked = [new(read[1], failed, retryAt), new(read[2], null, Now)];
        Assert.True(await outbox.ParkAndMoveAsync(id, 0, start, horizon, parked, Now, CancellationToken.None));
        // A writer that did not see that move (a second activation) writes nothing.
        Assert.False(await outbox.ParkAndMoveAsync(id, 0, start, horizon, [new(read[3], null, Now)], Now, CancellationToken.None));

        var state = await outbox.LoadPartitionAsync(id, 0, CancellationToken.None);
        Assert.Equal(horizon, state.Checkpoint);
        Assert.Equal(["a"], state.Waiting);
        // a/3 is due now, but behind a/2: the case is next due when a/2 is.
        Assert.Equal(retryAt, state.NextDue);
        var pending = await outbox.ListAsync(id, DeliveryStatuses.Pending, 0, 100, CancellationToken.None);
        Assert.Equal(["a/2", "a/3"], pending.Select(d => $"{d.CaseId}/{d.Seq}"));
        Assert.Equal([1, 0], pending.Select(d => d.Attempts));
        Assert.Equal(503, pending[0].LastStatus);
        var delivered = await outbox.ListAsync(id, DeliveryStatuses.Delivered, 0, 100, CancellationToken.None);
        Assert.Equal(["a/1", "b/1", "b/2"], delivered.Select(d => $"{d.CaseId}/{d.Seq}"));
        Assert.All(delivered, d => Assert.Equal(1, d.Attempts));
        var all = await outbox.ListAsync(id, null, 0, 100, CancellationToken.None);
        Assert.Equal(read.Select(d => d.Event.Position), all.Select(d => d.Position));
        // Paging by position goes on after the last one listed.
        Assert.Equal(["b/1", "b/2"], (await outbox.ListAsync(id, null, read[2].Event.Position, 100, CancellationToken.None)).Select(d => $"{d.CaseId}/{d.Seq}"));

        // A replay from a/2 drops its rows and puts the checkpoint back: those events are read and sent again.
        Assert.Equal(4, await outbox.ReplayAsync(subscription, read[1].Event.Position, CancellationToken.None));
        state = await outbox.LoadPartitionAsync(id, 0, CancellationToken.None);
        Assert.Equal(read[1].Event.Position - 1, state.Checkpoint);
        Assert.Empty(state.Waiting);
        Assert.Empty(await outbox.ListAsync(id, DeliveryStatuses.Pending, 0, 100, CancellationToken.None));
        Assert.Equal(["a/1"], (await outbox.ListAsync(id, DeliveryStatuses.Delivered, 0, 100, CancellationToken.None)).Select(d => $"{d.CaseId}/{d.Seq}"));

        await store.DeleteAsync(id, Now);
        Assert.Null((await outbox.LoadPartitionAsync(id, 0, CancellationToken.None)).Checkpoint);
        Assert.False(await outbox.ParkAndMoveAsync(id, 0, read[1].Event.Position - 1, horizon, [new(read[3], null, Now)], Now, CancellationToken.None));
        Assert.Equal(0L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_webhook_deliveries"));
    }

    [Fact]
    public async Task ExistingSubscriptionsGoOnFromWhereTheirFeederStoppedWithTheirPendingRows()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("webhook_checkpoint_migration");
        await using var database = NpgsqlDataSource.Create(connectionString);
        var migrator = new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(upToVersion: 17);
        var live = Guid.NewGuid();
        var deleted = Guid.NewGuid();
        await TestDatabase.ScalarAsync(connectionString, """
            INSERT INTO onething_subscriptions (subscription_id, kind, url, event_types, created_by, secret, partitions, fingerprint, created_at, deleted_at, fed_position)
            VALUES (@live, 'webhook', 'https://hooks.example.com/x', '{*}', 'ops', 'pd1:x', 4, 'f', now(), NULL, 7340032),
                   (@deleted, 'webhook', 'https://hooks.example.com/y', '{*}', 'ops', 'pd1:y', 4, 'f', now(), now(), 65536);
            INSERT INTO onething_webhook_deliveries (subscription_id, position, case_month, case_id, seq, type, partition, status, created_at, next_attempt_at)
            VALUES (@live, 6291456, '2026-03-01', 'c', 2, 'TaskReady', 1, 'pending', now(), now());
            """, ("live", live), ("deleted", deleted));

        Assert.Equal([18], (await migrator.MigrateAsync()).Where(v => v == 18));

        for (var partition = 0; partition < 4; partition++)
        {
            Assert.Equal(7340032L, (await new WebhookOutbox(database).LoadPartitionAsync(live, partition, CancellationToken.None)).Checkpoint);
        }
        Assert.Equal(["c"], (await new WebhookOutbox(database).LoadPartitionAsync(live, 1, CancellationToken.None)).Waiting);
        Assert.Equal(0L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_webhook_checkpoints WHERE subscription_id = @id", ("id", deleted)));
    }

    private static SubscriptionRecord Subscription(string kind, string[] types, string[]? departments) => new(
        Guid.NewGuid(), kind, "https://hooks.example.com/x", types, null, departments, null, "ops", null, "pd1:x", null, null, 4, "f",
        DateTimeOffset.UtcNow, null, 0);
}
