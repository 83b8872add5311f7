using OneThing.Contracts.Cases;
using OneThing.Contracts.FallbackDesk;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;
using Orleans.Concurrency;

namespace OneThing.Grains.FallbackDesk;

/// <summary>Where a fallback-desk entry came from, and the names its rows and routes use.</summary>
public static class DeskSources
{
    /// <summary>A case or one of its tasks passed its deadline; entry id = the case id.</summary>
    public const string Deadline = "deadline";

    /// <summary>The applicant rated the case 1 or 2; entry id = <see cref="LowRatingEntry"/>.</summary>
    public const string Rating = "rating";

    /// <summary>The applicant's own 办不成事 request, through a portal.</summary>
    public const string Applicant = "applicant";

    public static readonly IReadOnlyList<string> All = [Deadline, Rating, Applicant];

    public const string LowRatingReason = "LowRating";

    public const string ApplicantReason = "ApplicantRequest";

    public static string LowRatingEntry(string caseId) => $"{caseId}.low-rating";
}

/// <summary>An applicant's request to the fallback desk, as the portal files it (values in clear: the desk seals them).</summary>
[GenerateSerializer, Immutable, Alias("onething.DeskRequest")]
public sealed record DeskRequest(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string? CaseId,
    [property: Id(2)] string? ItemCode,
    [property: Id(3)] Applicant Applicant,
    [property: Id(4)] string Description);

/// <summary>
/// Applicants' own requests to the fallback desk: a stateless worker that dates, seals and stores them (PostgreSQL
/// keeps them; the entry id makes a retry idempotent) and records their resolution.
/// </summary>
[Alias("onething.IFallbackDeskGrain")]
public interface IFallbackDeskGrain : IGrainWithIntegerKey
{
    /// <summary>Created; Ok when the same request was filed under this id before; Conflict when another was.</summary>
    [Alias("Open")]
    Task<Outcome<DeskEntry>> OpenAsync(DeskRequest request);

    /// <summary>Resolves an applicant's request; the same resolution again is Ok, another Conflict.</summary>
    [Alias("Resolve")]
    Task<Outcome<DeskEntry>> ResolveAsync(string entryId, string resolvedBy, string resolution);

    [Alias("Get"), ReadOnly]
    Task<DeskEntry?> GetAsync(string entryId);
}
