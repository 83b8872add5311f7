namespace OneThing.Contracts.Webhooks;

/// <summary>A subscription as listed and read; the secret is never among it.</summary>
public sealed record SubscriptionItem(
    Guid SubscriptionId, string Kind, string Url, IReadOnlyList<string> Events, IReadOnlyList<string>? Items,
    IReadOnlyList<string>? Departments, string? OwnerDepartment, string CreatedBy, string? Description, DateTimeOffset CreatedAt,
    DateTimeOffset? PreviousSecretValidUntil, long Position);

/// <summary>A subscription with its signing secret (<c>whsec_</c> and base64), as answered at creation and rotation.</summary>
public sealed record CreatedSubscription(
    Guid SubscriptionId, string Secret, string Kind, string Url, IReadOnlyList<string> Events, IReadOnlyList<string>? Items,
    IReadOnlyList<string>? Departments, string? OwnerDepartment, string CreatedBy, string? Description, DateTimeOffset CreatedAt,
    DateTimeOffset? PreviousSecretValidUntil, long Position);

public sealed record SubscriptionList(IReadOnlyList<SubscriptionItem> Items);

/// <summary>
/// One event queued for the subscription. <see cref="WebhookId"/> is the <c>webhook-id</c> header it is sent with;
/// <see cref="LastError"/> says in a few words why the last attempt failed (never the receiver's body).
/// </summary>
public sealed record DeliveryItem(
    string WebhookId, long Position, string CaseId, int Seq, string Type, string Status, int Attempts, DateTimeOffset QueuedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatus, string? LastError, DateTimeOffset? CompletedAt);

public sealed record DeliveryPage(IReadOnlyList<DeliveryItem> Items, long NextAfter);

/// <summary>A replay begun: <see cref="Requeued"/> events from <see cref="FromPosition"/> queued again.</summary>
[GenerateSerializer, Immutable, Alias("onething.ReplayStarted")]
public sealed record ReplayStarted(
    [property: Id(0)] Guid SubscriptionId,
    [property: Id(1)] long FromPosition,
    [property: Id(2)] int Requeued);
