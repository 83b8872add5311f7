using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// Posts one partition of a subscription's cases. A round takes the partition's due rows in feed order, sends each
/// case's rows one after another (a later event of a case waits for the earlier one) and different cases side by side,
/// then records every outcome in one statement. It runs while it has work, and sleeps until the next retry falls due
/// or the feeder wakes it; a silo lost mid-round leaves its rows pending, so another activation sends them again.
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

    /// <summary>The longest a sender with pending rows sleeps before it looks again.</summary>
    private static readonly TimeSpan LongestSleep = TimeSpan.FromSeconds(30);

    private readonly WebhookOutbox _outbox = new(database);
    private readonly SubscriptionStore _store = new(database);
    private readonly WebhookOptions _options = options.Value;
    private Guid _subscriptionId;
    private int _partition;
    private IGrainTimer? _timer;
    private bool _running;

    /// <summary>Whether an attempt of this sender failed since the receiver last took one: its next success ends an outage.</summary>
    private bool _receiverFailed;

    /// <summary>When this sender last brought the subscription's backed-off rows forward after a success.</summary>
    private DateTimeOffset _recoveryCheckedAt;

    /// <summary>How often a sender that delivers looks for rows other senders hold back after an outage.</summary>
    private static readonly TimeSpan RecoveryCheckInterval = TimeSpan.FromSeconds(5);

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

    /// <summary>One round; how long until the next one, or null when the partition has nothing pending.</summary>
    private async Task<TimeSpan?> RoundAsync(CancellationToken cancellationToken)
    {
        var subscription = await _store.FindAsync(_subscriptionId, cancellationToken);
        if (subscription is not { DeletedAt: null })
        {
            DeactivateOnIdle();
            return null;
        }
        var now = clock.GetUtcNow();
        var due = await _outbox.DueAsync(_subscriptionId, _partition, subscription.Departments, now, RoundSize, cancellationToken);
        if (due.Count > 0)
        {
            var results = new List<AttemptResult>(due.Count);
            var secrets = Secrets(subscription, now);
            var url = new Uri(subscription.Url);
            using var slots = new SemaphoreSlim(_options.Concurrency);
            var perCase = due.GroupBy(d => d.Event.CaseId).Select(async rows =>
            {
                await slots.WaitAsync(cancellationToken);
                try
                {
                    return await SendCaseAsync(subscription, url, secrets, [.. rows], cancellationToken);
                }
                finally
                {
                    slots.Release();
                }
            });
            foreach (var caseResults in await Task.WhenAll(perCase))
            {
                results.AddRange(caseResults);
            }
            await _outbox.RecordAsync(_subscriptionId, clock.GetUtcNow(), results, cancellationToken);
            var delivered = results.Any(r => r.Status == DeliveryStatuses.Delivered && r.HttpStatus is not null);
            if (results.Any(r => r.Status != DeliveryStatuses.Delivered))
            {
                _receiverFailed = true;
            }
            else if (delivered && (_receiverFailed || clock.GetUtcNow() - _recoveryCheckedAt >= RecoveryCheckInterval))
            {
                // The receiver takes posts again: what every sender of the subscription holds back after an outage is
                // sent now (in order per case), not after its backoff of up to an hour.
                _receiverFailed = false;
                _recoveryCheckedAt = clock.GetUtcNow();
                if (await _outbox.RetryNowAsync(_subscriptionId, clock.GetUtcNow(), cancellationToken) > 0)
                {
                    for (var partition = 0; partition < subscription.Partitions; partition++)
                    {
                        GrainFactory.GetGrain<IWebhookDeliveryGrain>(WebhookKeys.Delivery(_subscriptionId, partition)).WakeAsync().Ignore();
                    }
                }
            }
            if (delivered || results.Any(r => !r.Attempted))
            {
                return TimeSpan.Zero;
            }
        }
        var nextDue = await _outbox.NextDueAsync(_subscriptionId, _partition, cancellationToken);
        if (nextDue is not { } at)
        {
            return null;
        }
        var wait = at - clock.GetUtcNow();
        return wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : (wait < LongestSleep ? wait : LongestSleep);
    }

    /// <summary>A case's due rows in order; the first that fails stops the rest, which wait behind it.</summary>
    private async Task<List<AttemptResult>> SendCaseAsync(SubscriptionRecord subscription, Uri url, IReadOnlyList<string> secrets,
        List<DueDelivery> rows, CancellationToken cancellationToken)
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
            var (body, merged) = subscription.Kind == SubscriptionKinds.ApplicantNotice
                ? await NoticeBodyAsync(row, cancellationToken)
                : (await WebhookBodyAsync(row), []);
            var outcome = body is null
                ? new PostResult(true, null, "nothing to tell the applicant (no phone, or no notice for this event)")
                : await sender.PostAsync(url, messageId, body, secrets, cancellationToken);
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

    private async Task<byte[]> WebhookBodyAsync(DueDelivery row)
    {
        var e = row.Event;
        var task = e.Type == "TaskReady" && e.MatterCode is not null
            ? await GrainFactory.GetGrain<ICaseGrain>(e.CaseId).GetTaskAsync(e.MatterCode)
            : null;
        var item = new WebhookEventItem(e.Position, e.CaseId, e.ItemCode, e.Region, e.Seq, e.Type, e.At,
            new EventActorItem(e.ActorRole, e.ActorName, e.ActorDepartment), e.MatterCode, e.TaskId,
            EventData.DataOf(e.Data), task);
        return JsonSerializer.SerializeToUtf8Bytes(item, ViewJson.Options);
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

    /// <summary>The secrets that sign now: the current one, and the previous one during its overlap.</summary>
    private List<string> Secrets(SubscriptionRecord subscription, DateTimeOffset now)
    {
        var secrets = new List<string> { privacy.Protector.Unprotect(subscription.SealedSecret) };
        if (subscription.SealedPreviousSecret is { } previous && subscription.PreviousSecretUntil > now)
        {
            secrets.Add(privacy.Protector.Unprotect(previous));
        }
        return secrets;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId} partition {Partition}: a round could not read or record the outbox; tried again shortly. {Failure}{Repeats}")]
    private static partial void LogRoundFailed(ILogger logger, Guid subscriptionId, int partition, string failure, string repeats);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId}: {MessageId} failed after {Attempts} attempts and is kept as a dead letter: {Error}")]
    private static partial void LogDeadLetter(ILogger logger, Guid subscriptionId, string messageId, int attempts, string error);
}
