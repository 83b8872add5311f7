using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Grains.Calendar;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// A subscription's settings, secrets and feeder. While the subscription exists, a timer follows the global feed from
/// the stored checkpoint and queues each matching event into the outbox, together with the new checkpoint, then wakes
/// the senders of the partitions that got rows. Nothing here is on a request path, and each subscription is its own
/// grain: the feed is read once per subscription, the posting is spread over its partitions' grains.
/// </summary>
public sealed partial class SubscriptionGrain(
    NpgsqlDataSource database,
    PrivacyKeys privacy,
    IOptions<WebhookOptions> options,
    WorkingCalendar calendar,
    IOptions<NoticeOptions> noticeOptions,
    TimeProvider clock,
    ILogger<SubscriptionGrain> logger) : Grain, ISubscriptionGrain
{
    private const int BatchSize = 500;

    /// <summary>How often a checkpoint that only skipped non-matching events is written.</summary>
    private static readonly TimeSpan IdleCheckpointInterval = TimeSpan.FromSeconds(5);

    private readonly SubscriptionStore _store = new(database);
    private readonly WebhookOutbox _outbox = new(database);
    private readonly WebhookOptions _options = options.Value;
    private SubscriptionRecord? _record;
    private long _fed;
    private DateTimeOffset _checkpointWrittenAt;
    private DateTimeOffset _sendersWokenAt;
    private IGrainTimer? _timer;

    private Guid Id => this.GetPrimaryKey();

    private bool Active => _record is { DeletedAt: null };

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _record = await _store.FindAsync(Id, cancellationToken);
        _fed = _record?.FedPosition ?? 0;
    }

    public async Task<Outcome<SubscriptionSecret>> CreateAsync(NewSubscription subscription, EventActor actor)
    {
        if (_record is not null)
        {
            return _record.Fingerprint == subscription.Fingerprint && Active
                ? Outcome<SubscriptionSecret>.Ok(new SubscriptionSecret(_record.View(), privacy.Protector.Unprotect(_record.SealedSecret)))
                : Outcome<SubscriptionSecret>.Conflict("This Idempotency-Key was used for another subscription.");
        }
        var secret = WebhookSignature.NewSecret();
        var record = new SubscriptionRecord(
            Id, subscription.Kind, subscription.Url, [.. subscription.EventTypes], subscription.ItemCodes?.ToArray(),
            subscription.Departments?.ToArray(), subscription.OwnerDepartment, actor.Name ?? actor.Role, subscription.Description,
            privacy.Protector.Protect(secret), null, null, _options.Partitions, subscription.Fingerprint, clock.GetUtcNow(), null, 0);
        var stored = await _store.InsertAsync(record);
        if (stored is null)
        {
            // Another activation (a retry racing this one) inserted it: answer from the row.
            _record = await _store.FindAsync(Id);
            return await CreateAsync(subscription, actor);
        }
        _record = stored;
        _fed = stored.FedPosition;
        _checkpointWrittenAt = clock.GetUtcNow();
        EnsureFeeding();
        LogCreated(logger, Id, stored.Kind, stored.OwnerDepartment ?? "ops");
        return Outcome<SubscriptionSecret>.Created(new SubscriptionSecret(stored.View() with { Position = _fed }, secret));
    }

    public Task<SubscriptionView?> GetAsync() => Task.FromResult(Active ? _record!.View() with { Position = _fed } : null);

    public async Task<bool> DeleteAsync()
    {
        if (_record is null)
        {
            return false;
        }
        if (Active)
        {
            await _store.DeleteAsync(Id, clock.GetUtcNow());
            _record = _record with { DeletedAt = clock.GetUtcNow() };
            _timer?.Dispose();
            _timer = null;
            LogDeleted(logger, Id);
            DeactivateOnIdle();
        }
        return true;
    }

    public async Task<Outcome<SubscriptionSecret>> RotateSecretAsync()
    {
        if (!Active)
        {
            return Outcome<SubscriptionSecret>.NotFound("No such subscription.");
        }
        var secret = WebhookSignature.NewSecret();
        _record = _record! with
        {
            SealedSecret = privacy.Protector.Protect(secret),
            SealedPreviousSecret = _record.SealedSecret,
            PreviousSecretUntil = clock.GetUtcNow() + _options.SecretOverlap,
        };
        await _store.UpdateSecretsAsync(_record);
        return Outcome<SubscriptionSecret>.Ok(new SubscriptionSecret(_record.View() with { Position = _fed }, secret));
    }

    public async Task<Outcome<ReplayStarted>> ReplayAsync(long fromPosition)
    {
        if (!Active)
        {
            return Outcome<ReplayStarted>.NotFound("No such subscription.");
        }
        var requeued = await _outbox.ReplayAsync(Id, fromPosition, clock.GetUtcNow(), CancellationToken.None);
        _fed = Math.Min(_fed, fromPosition - 1);
        EnsureFeeding();
        WakeSenders();
        return Outcome<ReplayStarted>.Ok(new ReplayStarted(Id, fromPosition, requeued));
    }

    public Task WakeAsync()
    {
        if (Active)
        {
            EnsureFeeding();
            WakeSenders();
        }
        return Task.CompletedTask;
    }

    private void EnsureFeeding() => _timer ??= this.RegisterGrainTimer(
        FeedAsync, new GrainTimerCreationOptions(TimeSpan.Zero, _options.PollInterval) { KeepAlive = true });

    /// <summary>Queues what the feed holds for the subscription, a batch at a time while batches come back full.</summary>
    private async Task FeedAsync(CancellationToken cancellationToken)
    {
        if (!Active)
        {
            return;
        }
        try
        {
            var now = clock.GetUtcNow();
            for (var batches = 0; batches < 10; batches++)
            {
                var horizon = await _outbox.HorizonAsync(cancellationToken);
                if (horizon <= _fed)
                {
                    break;
                }
                var events = await _outbox.ReadFeedAsync(_record!, _fed, horizon, BatchSize, cancellationToken);
                var to = events.Count == BatchSize ? events[^1].Position : horizon;
                if (events.Count == 0 && now - _checkpointWrittenAt < IdleCheckpointInterval)
                {
                    // Nothing matched: remember how far that holds and write it down now and then, not every tick.
                    _fed = to;
                    break;
                }
                var stored = _record!.FedPosition;
                if (!await _outbox.QueueAsync(Id, stored, to, events, [.. events.Select(DueAt)], now, cancellationToken))
                {
                    _record = await _store.FindAsync(Id, cancellationToken);
                    _fed = _record?.FedPosition ?? _fed;
                    break;
                }
                _record = _record with { FedPosition = to };
                _fed = to;
                _checkpointWrittenAt = now;
                foreach (var partition in events.Select(e => e.Partition).Distinct())
                {
                    GrainFactory.GetGrain<IWebhookDeliveryGrain>(WebhookKeys.Delivery(Id, partition)).WakeAsync().Ignore();
                }
                if (events.Count < BatchSize)
                {
                    break;
                }
            }
            if (now - _sendersWokenAt >= _options.WakeInterval)
            {
                WakeSenders();
            }
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException)
        {
            if (LogThrottle.Default.ShouldLog($"webhook-feed {error.GetType().Name}", out var suppressed))
            {
                LogFeedFailed(logger, Id, DatabaseFailures.Redact(error)?.Message ?? error.GetType().Name, suppressed.Note);
            }
        }
    }

    /// <summary>
    /// When a queued event is first sent: at once, except a 补正 request to the applicant, which waits for its round to
    /// close so that every department's requests reach the applicant as one notice (一次告知).
    /// </summary>
    private DateTimeOffset DueAt(FedEvent e) =>
        _record!.Kind == SubscriptionKinds.ApplicantNotice && e.Type == "SupplementRequested"
            ? ApplicantNotices.SupplementRoundCloses(e.At, calendar, noticeOptions.Value.SupplementRoundWindow)
            : clock.GetUtcNow();

    private void WakeSenders()
    {
        _sendersWokenAt = clock.GetUtcNow();
        for (var partition = 0; partition < _record!.Partitions; partition++)
        {
            GrainFactory.GetGrain<IWebhookDeliveryGrain>(WebhookKeys.Delivery(Id, partition)).WakeAsync().Ignore();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscription {SubscriptionId} created: {Kind} for {Owner}")]
    private static partial void LogCreated(ILogger logger, Guid subscriptionId, string kind, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscription {SubscriptionId} deleted")]
    private static partial void LogDeleted(ILogger logger, Guid subscriptionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId}: the feed could not be read or queued; tried again shortly. {Failure}{Repeats}")]
    private static partial void LogFeedFailed(ILogger logger, Guid subscriptionId, string failure, string repeats);
}

/// <summary><c>OneThing:Notices</c>: how notices to applicants are paced.</summary>
public sealed class NoticeOptions
{
    public const string SectionName = "OneThing:Notices";

    /// <summary>
    /// How long a round of 补正 requests stays open after its first request before the applicant is told of them all;
    /// unset: to the end of that working day (China time).
    /// </summary>
    public TimeSpan? SupplementRoundWindow { get; set; }
}
