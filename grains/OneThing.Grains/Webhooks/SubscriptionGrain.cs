using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Contracts.Webhooks;
using OneThing.Grains.Calendar;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// A subscription's settings and secrets. Its senders (<see cref="WebhookDeliveryGrain"/>, one per partition of its
/// cases) follow the feed themselves; this grain creates, rotates, replays and deletes, and keeps the senders awake
/// when <see cref="SubscriptionWaker"/> asks. Nothing here is on a request path.
/// </summary>
public sealed partial class SubscriptionGrain(
    NpgsqlDataSource database,
    PrivacyKeys privacy,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    ILogger<SubscriptionGrain> logger) : Grain, ISubscriptionGrain
{
    private readonly SubscriptionStore _store = new(database);
    private readonly WebhookOutbox _outbox = new(database);
    private readonly WebhookOptions _options = options.Value;
    private SubscriptionRecord? _record;

    private Guid Id => this.GetPrimaryKey();

    private bool Active => _record is { DeletedAt: null };

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _record = await _store.FindAsync(Id, cancellationToken);

    public async Task<Outcome<SubscriptionSecret>> CreateAsync(NewSubscription subscription, EventActor actor)
    {
        if (_record is not null)
        {
            return _record.Fingerprint == subscription.Fingerprint && Active
                ? Outcome<SubscriptionSecret>.Ok(new SubscriptionSecret(await ViewAsync(), privacy.Protector.Unprotect(_record.SealedSecret)))
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
        WakeSenders();
        LogCreated(logger, Id, stored.Kind, stored.OwnerDepartment ?? "ops");
        return Outcome<SubscriptionSecret>.Created(new SubscriptionSecret(stored.View(), secret));
    }

    public async Task<SubscriptionView?> GetAsync() => Active ? await ViewAsync() : null;

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
            // The senders find the subscription gone at their next look and stop.
            WakeSenders();
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
        return Outcome<SubscriptionSecret>.Ok(new SubscriptionSecret(await ViewAsync(), secret));
    }

    public async Task<Outcome<ReplayStarted>> ReplayAsync(long fromPosition)
    {
        if (!Active)
        {
            return Outcome<ReplayStarted>.NotFound("No such subscription.");
        }
        var requeued = await _outbox.ReplayAsync(_record!, fromPosition, CancellationToken.None);
        _record = _record! with { FedPosition = Math.Min(_record.FedPosition, fromPosition - 1) };
        for (var partition = 0; partition < _record.Partitions; partition++)
        {
            GrainFactory.GetGrain<IWebhookDeliveryGrain>(WebhookKeys.Delivery(Id, partition)).RewindAsync().Ignore();
        }
        return Outcome<ReplayStarted>.Ok(new ReplayStarted(Id, fromPosition, requeued));
    }

    public Task WakeAsync()
    {
        if (Active)
        {
            WakeSenders();
        }
        return Task.CompletedTask;
    }

    /// <summary>The view, with how far its senders have come.</summary>
    private async Task<SubscriptionView> ViewAsync() =>
        _record!.View() with { Position = await _store.PositionAsync(Id) ?? _record.FedPosition };

    private void WakeSenders()
    {
        for (var partition = 0; partition < _record!.Partitions; partition++)
        {
            GrainFactory.GetGrain<IWebhookDeliveryGrain>(WebhookKeys.Delivery(Id, partition)).WakeAsync().Ignore();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscription {SubscriptionId} created: {Kind} for {Owner}")]
    private static partial void LogCreated(ILogger logger, Guid subscriptionId, string kind, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscription {SubscriptionId} deleted")]
    private static partial void LogDeleted(ILogger logger, Guid subscriptionId);
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
