namespace OneThing.Grains.Webhooks;

/// <summary><c>OneThing:Webhooks</c>: where receivers may be, and how deliveries are paced and retried.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "OneThing:Webhooks";

    /// <summary>Allow <c>http</c> and loopback receivers: development and tests only.</summary>
    public bool AllowInsecureUrls { get; set; }

    /// <summary>How many senders share a new subscription's cases (each a grain, spread over the silos).</summary>
    public int Partitions { get; set; } = 4;

    /// <summary>How often a running sender looks for new events: the most a push waits behind its commit.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often each silo makes sure every subscription's senders run (after a silo was lost).</summary>
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A receiver that has not answered within this is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After this since the event was queued, a delivery that keeps failing becomes a dead letter.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a rotated-out secret keeps signing beside the new one.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many posts one sender has in flight (to different cases).</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Outbox rows delivered on a retry are deleted after this; failed rows stay until replayed or their subscription is deleted.</summary>
    public TimeSpan KeepDelivered { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A PEM file of the certificate authorities https receivers' certificates must chain to, instead of the machine's
    /// trust store: receivers on a network with its own authority. Null: the machine's store.
    /// </summary>
    public string? TrustedRootsFile { get; set; }

    /// <summary>The policy for receiver addresses these options give.</summary>
    public WebhookAddressPolicy AddressPolicy => new(AllowInsecureUrls);

    public IEnumerable<string> Validate()
    {
        if (TrustedRootsFile is { Length: > 0 } roots && !File.Exists(roots))
        {
            yield return $"{SectionName}:TrustedRootsFile names a file that does not exist: {roots}";
        }
        if (Partitions is < 1 or > 64)
        {
            yield return $"{SectionName}:Partitions must be between 1 and 64.";
        }
        if (PollInterval <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:PollInterval must be positive.";
        }
        if (WakeInterval <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:WakeInterval must be positive.";
        }
        if (Timeout <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:Timeout must be positive.";
        }
        if (FirstRetryDelay <= TimeSpan.Zero || MaxRetryDelay < FirstRetryDelay)
        {
            yield return $"{SectionName}:FirstRetryDelay must be positive and at most MaxRetryDelay.";
        }
        if (RetryFor <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:RetryFor must be positive.";
        }
        if (SecretOverlap < TimeSpan.Zero)
        {
            yield return $"{SectionName}:SecretOverlap must not be negative.";
        }
        if (Concurrency is < 1 or > 256)
        {
            yield return $"{SectionName}:Concurrency must be between 1 and 256.";
        }
        if (KeepDelivered <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:KeepDelivered must be positive.";
        }
    }
}

/// <summary>When a failed delivery is tried again: exponential from the first delay to the cap, with jitter.</summary>
public static class RetrySchedule
{
    /// <summary>
    /// The wait after the <paramref name="attempts"/>-th failed attempt (1 for the first): first × 2^(n-1), stretched by up
    /// to a quarter at random (<paramref name="jitter"/> in [0, 1)) so receivers coming back are not hit by every sender at
    /// once; at the cap, from 90 % to all of it. Never below the first delay nor above the cap.
    /// </summary>
    public static TimeSpan Delay(int attempts, TimeSpan first, TimeSpan max, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempts);
        var raw = first.Ticks * Math.Pow(2, Math.Min(attempts - 1, 30));
        var ticks = raw < max.Ticks ? Math.Min(max.Ticks, raw * (1 + jitter / 4)) : max.Ticks * (0.9 + jitter / 10);
        return TimeSpan.FromTicks(Math.Max(first.Ticks, (long)ticks));
    }

    /// <summary>Null when the delivery should stop being tried: the next attempt would fall after the retry period.</summary>
    public static DateTimeOffset? NextAttempt(DateTimeOffset queuedAt, DateTimeOffset now, int attempts, WebhookOptions options, double jitter)
    {
        var next = now + Delay(attempts, options.FirstRetryDelay, options.MaxRetryDelay, jitter);
        return next - queuedAt > options.RetryFor ? null : next;
    }
}
