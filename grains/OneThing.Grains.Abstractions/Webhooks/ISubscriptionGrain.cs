using OneThing.Contracts.Cases;
using OneThing.Contracts.Webhooks;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using Orleans.Concurrency;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// One subscription (key: its id): its settings and secrets. Its senders (<see cref="IWebhookDeliveryGrain"/>) follow the
/// global feed and post the events it wants.
/// </summary>
[Alias("onething.ISubscriptionGrain")]
public interface ISubscriptionGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Creates the subscription from the current end of the feed; the same request again (same fingerprint) returns it
    /// with its secret, another request under the same id is a conflict.
    /// </summary>
    [Alias("Create")]
    Task<Outcome<SubscriptionSecret>> CreateAsync(NewSubscription subscription, EventActor actor);

    /// <summary>The subscription, or null when there is none (or it was deleted).</summary>
    [Alias("Get"), ReadOnly]
    Task<SubscriptionView?> GetAsync();

    /// <summary>Stops its deliveries for good; true when it existed (deleted now or before).</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    /// <summary>A new secret; the previous one keeps signing beside it for the overlap.</summary>
    [Alias("RotateSecret")]
    Task<Outcome<SubscriptionSecret>> RotateSecretAsync();

    /// <summary>Sends again every matching event from <paramref name="fromPosition"/> on, delivered or not.</summary>
    [Alias("Replay")]
    Task<Outcome<ReplayStarted>> ReplayAsync(long fromPosition);

    /// <summary>Makes sure the senders run (after a silo was lost, say); does nothing for a deleted subscription.</summary>
    [Alias("Wake"), OneWay]
    Task WakeAsync();
}

/// <summary>
/// The sender of one partition of a subscription's cases (key: <see cref="WebhookKeys.Delivery"/>): follows the feed from
/// its checkpoint and posts the partition's events in order per case, retries what failed with backoff, and gives up
/// after the retry period.
/// </summary>
[Alias("onething.IWebhookDeliveryGrain")]
public interface IWebhookDeliveryGrain : IGrainWithStringKey
{
    /// <summary>Makes sure it runs, and looks at its retries now (the receiver may take posts again).</summary>
    [Alias("Wake"), OneWay]
    Task WakeAsync();

    /// <summary>Its checkpoint and outbox rows were changed under it (a replay): it reads them again before going on.</summary>
    [Alias("Rewind"), OneWay]
    Task RewindAsync();
}

public static class WebhookKeys
{
    public static string Delivery(Guid subscriptionId, int partition) => $"{subscriptionId:N}/{partition}";

    public static bool TryParseDelivery(string key, out Guid subscriptionId, out int partition)
    {
        partition = 0;
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return Guid.TryParseExact(slash > 0 ? key[..slash] : "", "N", out subscriptionId)
            && int.TryParse(key.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out partition);
    }
}
