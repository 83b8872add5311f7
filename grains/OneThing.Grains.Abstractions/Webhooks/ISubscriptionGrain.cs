using OneThing.Grains.Common;
using OneThing.Grains.Events;
using Orleans.Concurrency;

namespace OneThing.Grains.Webhooks;

/// <summary>
/// One subscription (key: its id): its settings and secrets, and the feeder that copies the events it wants from the
/// global feed into its outbox. Its senders (<see cref="IWebhookDeliveryGrain"/>) post them.
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

    /// <summary>Queues again every matching event from <paramref name="fromPosition"/> on, delivered or not.</summary>
    [Alias("Replay")]
    Task<Outcome<ReplayStarted>> ReplayAsync(long fromPosition);

    /// <summary>Makes sure the feeder runs (after a silo was lost, say); does nothing for a deleted subscription.</summary>
    [Alias("Wake"), OneWay]
    Task WakeAsync();
}

/// <summary>
/// The sender of one partition of a subscription's cases (key: <see cref="WebhookKeys.Delivery"/>): posts its pending
/// deliveries in order per case, retries with backoff, and gives up after the retry period.
/// </summary>
[Alias("onething.IWebhookDeliveryGrain")]
public interface IWebhookDeliveryGrain : IGrainWithStringKey
{
    [Alias("Wake"), OneWay]
    Task WakeAsync();
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
