using System.ComponentModel.DataAnnotations;

namespace OneThing.Api.RateLimiting;

/// <summary>Section <c>OneThing:RateLimits</c>: how many failed authentications an address may make, and optional limits per API key.</summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string SectionName = "OneThing:RateLimits";

    /// <summary>Failed authentications one client address may make per <see cref="FailedAuthWindow"/>; 0 turns the limit off.</summary>
    [Range(0, int.MaxValue)]
    public int FailedAuthPerWindow { get; set; } = 20;

    public TimeSpan FailedAuthWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests each API key may make per window; off unless <see cref="PerKeyLimit.PermitLimit"/> is set.</summary>
    public PerKeyLimit PerKey { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FailedAuthWindow <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"{SectionName}:FailedAuthWindow must be positive.");
        }
        if (PerKey.PermitLimit < 0)
        {
            yield return new ValidationResult($"{SectionName}:PerKey:PermitLimit must be 0 (off) or more.");
        }
        if (PerKey.Window <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"{SectionName}:PerKey:Window must be positive.");
        }
    }
}

public sealed class PerKeyLimit
{
    /// <summary>Requests per <see cref="Window"/> for each key; 0 (the default) means no limit.</summary>
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);
}
