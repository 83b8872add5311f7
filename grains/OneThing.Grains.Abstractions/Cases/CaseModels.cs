using System.Text.Json.Serialization;
using OneThing.Contracts.Cases;

namespace OneThing.Grains.Cases;

/// <summary>
/// A validated application. Form values arrive as text (numbers and booleans in their JSON spelling), so that
/// the data handed from department to department has one shape. <see cref="Region"/> is where the applicant files;
/// <see cref="ItemRegion"/> and <see cref="ItemVersion"/> name the exact variant and version the application was
/// validated against (ItemRegion null: the national base), which the case then runs.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.SubmitCase")]
public sealed record SubmitCase(
    [property: Id(0)] string ItemCode,
    [property: Id(1)] string Channel,
    [property: Id(2)] string? Region,
    [property: Id(3)] Applicant Applicant,
    [property: Id(4)] IReadOnlyDictionary<string, string> Form,
    [property: Id(5)] IReadOnlyList<MaterialRef> Materials,
    [property: Id(6)] IReadOnlyList<string> OptionalMatters,
    [property: Id(7)] Delivery? Delivery,
    [property: Id(8)] string Fingerprint,
    [property: Id(9)] int? ItemVersion = null,
    [property: Id(10)] IReadOnlyList<DeferredMaterial>? DeferredMaterials = null,
    // Left out of the JSON when null, so that a national application keeps the fingerprint it had before variants.
    [property: Id(11), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ItemRegion = null);

/// <summary>
/// A case as its HTTP document (<see cref="CaseView"/> in <see cref="Common.ViewJson"/>'s shape, UTF-8), with the
/// departments that have a task in it. Status polling is the commonest call: the case serializes itself once per
/// change, and each poll then moves these bytes instead of re-encoding the whole case twice (Orleans, then JSON).
/// </summary>
/// <remarks>
/// <see cref="Revision"/> counts the case's stored changes, so it names this document: a caller that holds it gets the
/// record back without the bytes (<see cref="Utf8Json"/> empty, <see cref="IsUnchanged"/>).
/// </remarks>
[GenerateSerializer, Immutable, Alias("onething.CaseDocument")]
public sealed record CaseDocument(
    [property: Id(0)] byte[] Utf8Json,
    [property: Id(1)] IReadOnlyList<string> Departments,
    [property: Id(2)] int Revision = 0)
{
    /// <summary>True for the answer to a caller that already holds this revision: a real document is never empty.</summary>
    public bool IsUnchanged => Utf8Json.Length == 0;
}

/// <summary>
/// Materials and form values the applicant supplies after submission. As the API hands it to the case, each form value
/// is the JSON the client sent (a string, number or boolean literal): the case checks it against its own item's field
/// types (<c>SupplyValidation</c>), so the API needs no look-up of the case's item first.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.SupplyMaterials")]
public sealed record SupplyMaterials(
    [property: Id(0)] IReadOnlyList<MaterialRef> Materials,
    [property: Id(1)] IReadOnlyDictionary<string, string> Form);

/// <summary>
/// The fallback desk's follow-up of a rating of 1 or 2 (差评回访整改): opened with the rating, due
/// <see cref="DueAt"/>, resolved by ops.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.LowRatingFollowUp")]
public sealed record LowRatingFollowUp(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] DateTimeOffset DueAt,
    [property: Id(2)] DateTimeOffset? ResolvedAt = null,
    [property: Id(3)] string? ResolvedBy = null,
    [property: Id(4)] string? Resolution = null);
