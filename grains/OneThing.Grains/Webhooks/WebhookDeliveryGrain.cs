using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Contracts.Events;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// Posts one partition of a subscription's cases, reading the event log as its outbox. Each round first retries the
/// partition's outbox rows that are due, then reads the partition's matching events after its checkpoint and posts them:
/// a case's events one after another (a later event waits for the earlier one), different cases side by side. Only an
/// event whose post failed, the case's later events, and a notice waiting for its round are written to the outbox, in
/// the statement that moves the checkpoint past the round; while a case has pending rows, its new events go behind them.
/// A silo lost mid-round leaves the checkpoint where it was, so another activation sends the round again (at least
/// once); nothing is skipped.
/// </summary>
public sealed partial class WebhookDeliveryGrain(
    NpgsqlDataSource database,
    WebhookSender sender,
    PrivacyKeys privacy,
    ItemCatalog catalog,
    WorkingCalendar calendar,
    IOptions<WebhookOptions> options,
    IOptions<NoticeOptions> noticeOptions,
    TimeProvider clock,
    ILogger<WebhookDeliveryGrain> logger) : Grain, IWebhookDeliveryGrain
{
    private const int RoundSize = 200;

    /// <summary>How often a checkpoint that only skipped non-matching events is written.</summary>
    private static readonly TimeSpan IdleCheckpointInterval = TimeSpan.FromSeconds(5);

    /// <summary>How often a sender that delivers looks for rows other senders hold back after an outage.</summary>
    private static readonly TimeSpan RecoveryCheckInterval = TimeSpan.FromSeconds(5);

    private readonly WebhookOutbox _outbox = new(database);
    private readonly SubscriptionStore _store = new(database);
    private readonly WebhookOptions _options = options.Value;
    private Guid _subscriptionId;
    private int _partition;
    private IGrainTimer? _timer;
    private bool _running;

    /// <summary>
    /// The subscription as last read; its filters never change. It is read again after a wake (the subscription grain
    /// wakes its senders when the secret rotates or the subscription is deleted) and at least every WakeInterval.
    /// </summary>
    private SubscriptionRecord? _subscription;
    private DateTimeOffset _subscriptionReadAt;

    /// <summary>Whether <see cref="_stored"/>, <see cref="_waiting"/> and <see cref="_outboxDueAt"/> reflect the database.</summary>
    private bool _loaded;

    /// <summary>The checkpoint as stored, and how far this activation has read (ahead of it only over non-matching events).</summary>
    private long _stored;
    private long _checkpoint;
    private DateTimeOffset _checkpointWrittenAt;

    /// <summary>The partition's cases with pending outbox rows: their new events go behind those rows.</summary>
    private HashSet<string> _waiting = new(StringComparer.Ordinal);

    /// <summary>When the partition's earliest pending row falls due; null when it has none.</summary>
    private DateTimeOffset? _outboxDueAt;

    /// <summary>Whether an attempt of this sender failed since the receiver last took one: its next success ends an outage.</summary>
    private bool _receiverFailed;

    /// <summary>When this sender last brought the subscription's backed-off rows forward after a success.</summary>
    private DateTimeOffset _recoveryCheckedAt;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!WebhookKeys.TryParseDelivery(this.GetPrimaryKeyString(), out _subscriptionId, out _partition))
        {
            throw new ArgumentException($"Not a delivery key: {this.GetPrimaryKeyString()}");
        }
        return Task.CompletedTask;
    }

    public Task WakeAsync()
    {
        // Wakes come when the subscription changed (a rotated secret, a deletion) and every WakeInterval: read it again.
        _subscriptionReadAt = DateTimeOffset.MinValue;
        if (_waiting.Count > 0)
        {
            // Another sender may have made rows of this partition due now (the receiver is back).
            _outboxDueAt = clock.GetUtcNow();
        }
        if (!_running)
        {
            Schedule(TimeSpan.Zero);
        }
        return Task.CompletedTask;
    }

    public Task RewindAsync()
    {
        _loaded = false;
        if (!_running)
        {
            Schedule(TimeSpan.Zero);
        }
        return Task.CompletedTask;
    }

    private void Schedule(TimeSpan after)
    {
        _timer?.Dispose();
        _running = true;
        _timer = this.RegisterGrainTimer(RunAsync, new GrainTimerCreationOptions(after, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan? next;
        try
        {
            next = await RoundAsync(cancellationToken);
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException)
        {
            if (LogThrottle.Default.ShouldLog($"webhook-send {error.GetType().Name}", out var suppressed))
            {
                LogRoundFailed(logger, _subscriptionId, _partition, DatabaseFailures.Redact(error)?.Message ?? error.GetType().Name, suppressed.Note);
            }
            // What this round posted may be posted again: the checkpoint and the outbox are read afresh.
            _loaded = false;
            next = _options.FirstRetryDelay;
        }
        if (next is { } after)
        {
            Schedule(after);
        }
        else
        {
            _timer?.Dispose();
            _timer = null;
            _running = false;
        }
    }

    /// <summary>One round; how long until the next one, or null when the subscription is gone.</summary>
    private async Task<TimeSpan?> RoundAsync(CancellationToken cancellationToken)
    {
        if ((_subscription is null || clock.GetUtcNow() - _subscriptionReadAt >= _options.WakeInterval) && !await ReadSubscriptionAsync(cancellationToken))
        {
            return null;
        }
        if (!_loaded)
        {
            var state = await _outbox.LoadPartitionAsync(_subscriptionId, _partition, cancellationToken);
            if (state.Checkpoint is not { } checkpoint)
            {
                DeactivateOnIdle();
                return null;
            }
            (_stored, _checkpoint, _waiting, _outboxDueAt, _loaded) = (checkpoint, checkpoint, state.Waiting, state.NextDue, true);
        }
        var again = false;
        if (_outboxDueAt is { } due && due <= clock.GetUtcNow())
        {
            again |= await RetryDueAsync(cancellationToken);
        }
        if (_subscription is null)
        {
            return null;
        }
        again |= await SendFeedAsync(cancellationToken);
        if (_subscription is null)
        {
            return null;
        }
        if (again)
        {
            return TimeSpan.Zero;
        }
        var untilDue = _outboxDueAt is { } next ? next - clock.GetUtcNow() : TimeSpan.MaxValue;
        return untilDue < _options.PollInterval ? (untilDue > TimeSpan.Zero ? untilDue : TimeSpan.Zero) : _options.PollInterval;
    }

    /// <summary>Reads the subscription again (its secrets may have rotated); false, and deactivates, when it is gone.</summary>
    private async Task<bool> ReadSubscriptionAsync(CancellationToken cancellationToken)
    {
        _subscription = await _store.FindAsync(_subscriptionId, cancellationToken);
        _subscriptionReadAt = clock.GetUtcNow();
        if (_subscription is { DeletedAt: null })
        {
            return true;
        }
        _subscription = null;
        DeactivateOnIdle();
        return false;
    }

    /// <summary>Posts the partition's due outbox rows; true when it should look again at once.</summary>
    private async Task<bool> RetryDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = await _outbox.DueAsync(_subscriptionId, _partition, _subscription!.Departments, now, RoundSize, cancellationToken);
        var again = false;
        if (due.Count > 0)
        {
            var results = await PostAsync(due, cancellationToken);
            await _outbox.RecordAsync(_subscriptionId, clock.GetUtcNow(), results, cancellationToken);
            await AfterPostsAsync(results, cancellationToken);
            again = results.Any(r => r.Status == DeliveryStatuses.Delivered);
        }
        var state = await _outbox.LoadPartitionAsync(_subscriptionId, _partition, cancellationToken);
        (_waiting, _outboxDueAt) = (state.Waiting, again && state.NextDue is not null ? clock.GetUtcNow() : state.NextDue);
        return again;
    }

    /// <summary>
    /// Posts the partition's matching events after the checkpoint, parks what could not go, and moves the checkpoint;
    /// true when the feed has more for it at once.
    /// </summary>
    private async Task<bool> SendFeedAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (horizon, events) = await _outbox.ReadFeedAsync(_subscription!, _partition, _checkpoint, RoundSize, now, cancellationToken);
        if (horizon <= _checkpoint)
        {
            return false;
        }
        var to = events.Count == RoundSize ? events[^1].Event.Position : horizon;
        if (events.Count == 0)
        {
            // Nothing matched: remember how far that holds and write it down now and then, not every round.
            _checkpoint = to;
            if (now - _checkpointWrittenAt >= IdleCheckpointInterval)
            {
                await MoveAsync(to, [], now, cancellationToken);
            }
            return false;
        }
        // A case with pending rows, or whose event is a notice waiting for its round, keeps its later events behind.
        var parked = new List<ParkedDelivery>();
        var toPost = new List<DueDelivery>();
        var held = new HashSet<string>(_waiting, StringComparer.Ordinal);
        foreach (var delivery in events)
        {
            var roundCloses = RoundCloses(delivery.Event);
            if (held.Contains(delivery.Event.CaseId) || roundCloses is not null)
            {
                // A 补正 notice always goes through the outbox, even when its round has closed (a replay): the requests
                // of its round wait behind it there, to be told in its one notice.
                held.Add(delivery.Event.CaseId);
                parked.Add(new ParkedDelivery(delivery, null, roundCloses > now ? roundCloses.Value : now));
            }
            else
            {
                toPost.Add(delivery);
            }
        }
        var results = toPost.Count > 0 ? await PostAsync(toPost, cancellationToken) : [];
        var outcomes = results.ToDictionary(r => r.Position);
        foreach (var delivery in toPost)
        {
            // A failed post is parked with its outcome; the case's later events, never tried, wait behind it.
            if (!outcomes.TryGetValue(delivery.Event.Position, out var outcome))
            {
                parked.Add(new ParkedDelivery(delivery, null, clock.GetUtcNow()));
            }
            else if (outcome.Status != DeliveryStatuses.Delivered)
            {
                parked.Add(new ParkedDelivery(delivery, outcome, outcome.NextAttemptAt));
            }
        }
        parked.Sort((x, y) => x.Delivery.Event.Position.CompareTo(y.Delivery.Event.Position));
        if (await MoveAsync(to, parked, clock.GetUtcNow(), cancellationToken))
        {
            // A case newly waiting is next due when its first parked row is; the rows behind it go after that one.
            var firstPerCase = parked.Where(p => (p.Attempt?.Status ?? DeliveryStatuses.Pending) == DeliveryStatuses.Pending)
                .GroupBy(p => p.Delivery.Event.CaseId).Select(rows => rows.First());
            foreach (var first in firstPerCase)
            {
                if (_waiting.Add(first.Delivery.Event.CaseId))
                {
                    _outboxDueAt = _outboxDueAt is { } earlier && earlier <= first.DueAt ? earlier : first.DueAt;
                }
            }
        }
        await AfterPostsAsync(results, cancellationToken);
        return events.Count == RoundSize;
    }

    /// <summary>Moves the checkpoint (with the rows parked in this round); when another writer moved it, reads all again.</summary>
    private async Task<bool> MoveAsync(long to, IReadOnlyList<ParkedDelivery> parked, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await _outbox.ParkAndMoveAsync(_subscriptionId, _partition, _stored, to, parked, now, cancellationToken))
        {
            _loaded = false;
            return false;
        }
        (_stored, _checkpoint, _checkpointWrittenAt) = (to, to, now);
        return true;
    }

    /// <summary>
    /// Null for an event sent at once; for a 补正 request to the applicant, when its round closes: it waits until then
    /// so that every department's requests reach the applicant as one notice (一次告知).
    /// </summary>
    private DateTimeOffset? RoundCloses(CaseEventRow e) =>
        _subscription!.Kind == SubscriptionKinds.ApplicantNotice && e.Type == "SupplementRequested"
            ? ApplicantNotices.SupplementRoundCloses(e.At, calendar, noticeOptions.Value.SupplementRoundWindow)
            : null;

    /// <summary>Posts <paramref name="deliveries"/> (in feed order): each case's one after another, different cases side by side.</summary>
    private async Task<List<AttemptResult>> PostAsync(List<DueDelivery> deliveries, CancellationToken cancellationToken)
    {
        var subscription = _subscription!;
        var keys = SigningKeys(subscription, clock.GetUtcNow());
        var url = new Uri(subscription.Url);
        using var slots = new SemaphoreSlim(_options.Concurrency);
        // Webhook bodies are all made first, on the grain (a TaskReady asks its case grain for the task); the posts then run
        // off the grain's scheduler, so each post's continuations run where its answer arrived instead of queueing behind
        // the activation. They change nothing of the grain; the results are applied once all are in. A notice may tell the
        // rest of its 补正 round, so notices are made in turn, on the grain (bodies null).
        var bodies = subscription.Kind == SubscriptionKinds.ApplicantNotice ? null : await WebhookBodiesAsync(deliveries);
        async Task<List<AttemptResult>> SendInTurnAsync(List<DueDelivery> rows)
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                return await SendCaseAsync(subscription, url, keys, rows, bodies, cancellationToken);
            }
            finally
            {
                slots.Release();
            }
        }
        var perCase = deliveries.GroupBy(d => d.Event.CaseId).Select(rows => bodies is null
            ? SendInTurnAsync([.. rows])
            : Task.Run(() => SendInTurnAsync([.. rows]), cancellationToken));
        var results = new List<AttemptResult>(deliveries.Count);
        foreach (var caseResults in await Task.WhenAll(perCase))
        {
            results.AddRange(caseResults);
        }
        return results;
    }

    /// <summary>
    /// After a failure, marks the receiver failing; after a success that ends an outage (or now and then), brings what
    /// every sender of the subscription holds back forward, so it goes out now (in order per case), not after its backoff
    /// of up to an hour.
    /// </summary>
    private async Task AfterPostsAsync(List<AttemptResult> results, CancellationToken cancellationToken)
    {
        var delivered = results.Any(r => r.Status == DeliveryStatuses.Delivered && r.HttpStatus is not null);
        if (results.Any(r => r.Status != DeliveryStatuses.Delivered))
        {
            _receiverFailed = true;
        }
        else if (delivered && (_receiverFailed || clock.GetUtcNow() - _recoveryCheckedAt >= RecoveryCheckInterval))
        {
            _receiverFailed = false;
            _recoveryCheckedAt = clock.GetUtcNow();
            if (await _outbox.RetryNowAsync(_subscriptionId, clock.GetUtcNow(), cancellationToken) > 0)
            {
                for (var partition = 0; partition < _subscription!.Partitions; partition++)
                {
                    GrainFactory.GetGrain<IWebhookDeliveryGrain>(WebhookKeys.Delivery(_subscriptionId, partition)).WakeAsync().Ignore();
                }
            }
        }
    }

    /// <summary>
    /// A case's rows in order, with their webhook bodies (null: notices, made here in turn); the first that fails stops
    /// the rest, which wait behind it.
    /// </summary>
    private async Task<List<AttemptResult>> SendCaseAsync(SubscriptionRecord subscription, Uri url, IReadOnlyList<byte[]> keys,
        List<DueDelivery> rows, Dictionary<long, byte[]>? bodies, CancellationToken cancellationToken)
    {
        var results = new List<AttemptResult>();
        var settled = new HashSet<long>();
        foreach (var row in rows)
        {
            if (settled.Contains(row.Event.Position))
            {
                continue;
            }
            var messageId = WebhookSignature.MessageId(_subscriptionId, row.Event.Position);
            var (body, merged) = bodies is null ? await NoticeBodyAsync(row, cancellationToken) : (bodies[row.Event.Position], []);
            var outcome = body is null
                ? new PostResult(true, null, "nothing to tell the applicant (no phone, or no notice for this event)")
                : await sender.PostAsync(url, messageId, body, keys, cancellationToken);
            var now = clock.GetUtcNow();
            if (outcome.Delivered)
            {
                if (body is not null)
                {
                    OneThingMetrics.WebhookAttempted(subscription.Kind, "delivered", now - row.Event.At);
                }
                results.Add(new AttemptResult(row.Event.Position, DeliveryStatuses.Delivered, now, outcome.HttpStatus, outcome.Error));
                results.AddRange(merged.Select(position => new AttemptResult(position, DeliveryStatuses.Delivered, now, null, $"told in {messageId}", Attempted: false)));
                settled.UnionWith(merged);
                continue;
            }
            var retry = RetrySchedule.NextAttempt(row.QueuedAt, now, row.Attempts + 1, _options, Random.Shared.NextDouble());
            OneThingMetrics.WebhookAttempted(subscription.Kind, retry is null ? "dead" : "failed", null);
            results.Add(new AttemptResult(row.Event.Position, retry is null ? DeliveryStatuses.Failed : DeliveryStatuses.Pending,
                retry ?? now, outcome.HttpStatus, outcome.Error));
            if (retry is null)
            {
                LogDeadLetter(logger, _subscriptionId, messageId, row.Attempts + 1, outcome.Error ?? "");
                continue;
            }
            break;
        }
        return results;
    }

    /// <summary>The webhook body of each row, by position; a TaskReady's carries its task, read from the case grain.</summary>
    private async Task<Dictionary<long, byte[]>> WebhookBodiesAsync(List<DueDelivery> rows)
    {
        var tasks = await Task.WhenAll(rows.Select(row => row.Event is { Type: "TaskReady", MatterCode: { } matter } e
            ? GrainFactory.Reference<ICaseGrain>(e.CaseId).GetTaskAsync(matter)
            : Task.FromResult<TaskView?>(null)));
        var bodies = new Dictionary<long, byte[]>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var e = rows[i].Event;
            bodies[e.Position] = JsonSerializer.SerializeToUtf8Bytes(EventItems.WebhookItemOf(e, tasks[i]), ViewJson.Options);
        }
        return bodies;
    }

    /// <summary>
    /// The notice for a row; for a 补正 request, one notice for the whole round it opened: the case's later requests
    /// made before the round closed are told in it too, and settled by it (their positions come back).
    /// </summary>
    private async Task<(byte[]? Body, List<long> Merged)> NoticeBodyAsync(DueDelivery row, CancellationToken cancellationToken)
    {
        var e = row.Event;
        var data = new List<JsonElement> { JsonSerializer.Deserialize<JsonElement>(e.Data) };
        var merged = new List<long>();
        if (e.Type == "SupplementRequested")
        {
            var closes = ApplicantNotices.SupplementRoundCloses(e.At, calendar, noticeOptions.Value.SupplementRoundWindow);
            foreach (var (position, json) in await _outbox.RestOfRoundAsync(_subscriptionId, row.CaseMonth, e.CaseId, e.Position, closes, cancellationToken))
            {
                merged.Add(position);
                data.Add(JsonSerializer.Deserialize<JsonElement>(json));
            }
        }
        var contact = await ApplicantContactAsync(row.CaseMonth, e.CaseId, cancellationToken);
        var item = contact is null ? null : await catalog.FindVariantAsync(e.ItemCode, contact.Value.ItemRegion, contact.Value.ItemVersion, cancellationToken);
        if (contact is null || item is null)
        {
            return (null, merged);
        }
        var notice = ApplicantNotices.Render(e.CaseId, contact.Value.Phone, item, catalog.NoticeTemplates, e.Type, data, e.MatterCode);
        return (notice is null ? null : JsonSerializer.SerializeToUtf8Bytes(notice, ViewJson.Options), merged);
    }

    /// <summary>
    /// The applicant's phone (opened) and the item variant the case runs, from the case's first event: the phone the
    /// applicant gave, else the application's first phone field. Null when the case has neither.
    /// </summary>
    private async Task<(string Phone, string? ItemRegion, int ItemVersion)?> ApplicantContactAsync(DateOnly caseMonth, string caseId,
        CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT data->'application'->'applicant'->>'phone', (data->'application'->'form')::text, data->>'itemCode',
                   data->>'itemRegion', (data->>'itemVersion')::integer
            FROM onething_case_events WHERE case_month = $1 AND case_id = $2 AND seq = 1 AND type = 'CaseSubmitted'
            """);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = caseMonth });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(2) || reader.IsDBNull(4))
        {
            return null;
        }
        var region = reader.IsDBNull(3) ? null : reader.GetString(3);
        var version = reader.GetInt32(4);
        var phone = reader.IsDBNull(0) ? null : reader.GetString(0);
        if (phone is null && !reader.IsDBNull(1))
        {
            var item = await catalog.FindVariantAsync(reader.GetString(2), region, version, cancellationToken);
            var field = item?.Form.FirstOrDefault(f => f.Type == FormFieldTypes.Phone)?.Name;
            using var form = JsonDocument.Parse(reader.GetString(1));
            phone = field is not null && form.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        return phone is null ? null : (privacy.Protector.Unprotect(phone), region, version);
    }

    /// <summary>The keys that sign now: the current secret's, and the previous one's during its overlap.</summary>
    private List<byte[]> SigningKeys(SubscriptionRecord subscription, DateTimeOffset now)
    {
        var keys = new List<byte[]> { WebhookSignature.KeyOf(privacy.Protector.Unprotect(subscription.SealedSecret)) };
        if (subscription.SealedPreviousSecret is { } previous && subscription.PreviousSecretUntil > now)
        {
            keys.Add(WebhookSignature.KeyOf(privacy.Protector.Unprotect(previous)));
        }
        return keys;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId} partition {Partition}: a round could not read or record the outbox; tried again shortly. {Failure}{Repeats}")]
    private static partial void LogRoundFailed(ILogger logger, Guid subscriptionId, int partition, string failure, string repeats);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId}: {MessageId} failed after {Attempts} attempts and is kept as a dead letter: {Error}")]
    private static partial void LogDeadLetter(ILogger logger, Guid subscriptionId, string messageId, int attempts, string error);
}
