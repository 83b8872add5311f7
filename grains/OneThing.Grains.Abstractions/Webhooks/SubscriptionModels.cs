namespace OneThing.Grains.Webhooks;

/// <summary>What a subscription sends: the event itself, or a notice to the case's applicant.</summary>
public static class SubscriptionKinds
{
    public const string Webhook = "webhook";

    /// <summary>A rendered message carrying the applicant's phone, for an SMS or app gateway; ops only.</summary>
    public const string ApplicantNotice = "applicant-notice";

    public static readonly IReadOnlyList<string> All = [Webhook, ApplicantNotice];
}

/// <summary>The states of a delivery; <c>failed</c> is a dead letter, kept and replayable.</summary>
public static class DeliveryStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Pending, Delivered, Failed];
}

/// <summary>A validated request for a subscription (the API checked every field).</summary>
/// <param name="EventTypes">Event type names, or the single entry <c>*</c>.</param>
/// <param name="ItemCodes">Null for every item.</param>
/// <param name="Departments">Null for every department; a department's own subscription names just it.</param>
/// <param name="OwnerDepartment">The department whose key asks; null for ops.</param>
[GenerateSerializer, Immutable, Alias("onething.NewSubscription")]
public sealed record NewSubscription(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Url,
    [property: Id(2)] IReadOnlyList<string> EventTypes,
    [property: Id(3)] IReadOnlyList<string>? ItemCodes,
    [property: Id(4)] IReadOnlyList<string>? Departments,
    [property: Id(5)] string? OwnerDepartment,
    [property: Id(6)] string? Description,
    [property: Id(7)] string Fingerprint);

[GenerateSerializer, Immutable, Alias("onething.SubscriptionView")]
public sealed record SubscriptionView(
    [property: Id(0)] Guid SubscriptionId,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Url,
    [property: Id(3)] IReadOnlyList<string> Events,
    [property: Id(4)] IReadOnlyList<string>? Items,
    [property: Id(5)] IReadOnlyList<string>? Departments,
    [property: Id(6)] string? OwnerDepartment,
    [property: Id(7)] string CreatedBy,
    [property: Id(8)] string? Description,
    [property: Id(9)] DateTimeOffset CreatedAt,
    [property: Id(10)] DateTimeOffset? PreviousSecretValidUntil,
    [property: Id(11)] long Position);

/// <summary>A subscription with its signing secret, answered once: at creation (or its retry) and at rotation.</summary>
[GenerateSerializer, Immutable, Alias("onething.SubscriptionSecret")]
public sealed record SubscriptionSecret(
    [property: Id(0)] SubscriptionView Subscription,
    [property: Id(1)] string Secret);
