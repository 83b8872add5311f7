using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using OneThing.Contracts.Cases;

namespace OneThing.Contracts.FallbackDesk;

/// <summary><c>POST /api/fallback-desk/cases</c>: an applicant's own 办不成事 request.</summary>
public sealed record FileDeskRequest
{
    [Description("The applicant's case it is about, if any.")]
    [MaxLength(FieldLimits.Code)]
    public string? CaseId { get; init; }

    public required ApplicantInput Applicant { get; init; }

    [Description("What could not get done.")]
    [MinLength(1)]
    [MaxLength(FieldLimits.FreeText)]
    public required string Description { get; init; }
}

/// <summary><c>POST /api/fallback-desk/cases/{entryId}/resolve</c>.</summary>
public sealed record ResolveDeskEntryRequest
{
    [Description("How the case was resolved.")]
    [MinLength(1)]
    [MaxLength(FieldLimits.FreeText)]
    public required string Resolution { get; init; }

    [Description("Who resolved it; the key's name when left out.")]
    [MinLength(1)]
    [MaxLength(FieldLimits.Name)]
    public string? ResolvedBy { get; init; }
}
