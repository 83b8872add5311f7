using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace OneThing.Contracts.Webhooks;

/// <summary><c>POST /api/subscriptions</c>: where to push which events.</summary>
public sealed record CreateSubscriptionRequest
{
    [Description("The receiver's URL.")]
    [MaxLength(FieldLimits.WebhookUrl)]
    public required string Url { get; init; }

    [Description("Event type names, or [\"*\"] for every event.")]
    [MinLength(1)]
    [MaxLength(FieldLimits.SubscriptionCodes)]
    public required IReadOnlyList<string> Events { get; init; }

    [Description("Only events of these items; every item when left out or empty.")]
    [MaxLength(FieldLimits.SubscriptionCodes)]
    public IReadOnlyList<string>? Items { get; init; }

    [Description("Only events of these departments' matters; a department key may name only its own.")]
    [MaxLength(FieldLimits.SubscriptionCodes)]
    public IReadOnlyList<string>? Departments { get; init; }

    [Description("webhook (the default) or applicant-notice (ops only).")]
    public SubscriptionKind? Kind { get; init; }

    [MaxLength(FieldLimits.SubscriptionDescription)]
    public string? Description { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<SubscriptionKind>))]
public enum SubscriptionKind
{
    [JsonStringEnumMemberName("webhook")] Webhook,
    [JsonStringEnumMemberName("applicant-notice")] ApplicantNotice,
}

/// <summary><c>POST /api/subscriptions/{subscriptionId}/replay</c>.</summary>
public sealed record ReplayRequest
{
    [Description("The feed position to replay from (0 for the first event).")]
    [Range(0, long.MaxValue)]
    public required long FromPosition { get; init; }
}
