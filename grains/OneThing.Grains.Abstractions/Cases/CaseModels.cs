using System.Text.Json.Serialization;

namespace OneThing.Grains.Cases;

public enum CaseStatus
{
    InProgress = 0,
    AwaitingSupplement = 1,
    Completed = 2,
    Rejected = 3,
    Withdrawn = 4,
}

/// <remarks><see cref="Name"/> is null only in a department's view that may not show it (<c>DepartmentCaseView</c>).</remarks>
[GenerateSerializer, Immutable, Alias("onething.Applicant")]
public sealed record Applicant(
    [property: Id(0)] string Kind,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? IdNumber,
    [property: Id(3)] string? CreditCode,
    [property: Id(4)] string? Phone)
{
    /// <summary>The identifier "cases of this applicant" is looked up by; never written out, it repeats the identity number.</summary>
    [JsonIgnore]
    public string Key => (Kind == "enterprise" ? CreditCode : IdNumber) ?? "";
}

[GenerateSerializer, Immutable, Alias("onething.MaterialRef")]
public sealed record MaterialRef(
    [property: Id(0)] string Code,
    [property: Id(1)] string Uri,
    [property: Id(2)] string? Sha256);

[GenerateSerializer, Immutable, Alias("onething.Delivery")]
public sealed record Delivery(
    [property: Id(0)] string Method,
    [property: Id(1)] string? Address);

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
/// One line of a case's history, projected from its event number <see cref="Seq"/> (null for lines of a case stored
/// before events existed). <see cref="MatterCode"/> and <see cref="TaskId"/> name the task the line concerns.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.TimelineEntry")]
public sealed record TimelineEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Type,
    [property: Id(2)] string Actor,
    [property: Id(3)] string? Detail,
    [property: Id(4)] int? Seq = null,
    [property: Id(5)] string? MatterCode = null,
    [property: Id(6)] string? TaskId = null);

[GenerateSerializer, Immutable, Alias("onething.Evaluation")]
public sealed record Evaluation(
    [property: Id(0)] int Rating,
    [property: Id(1)] string? Comment,
    [property: Id(2)] DateTimeOffset At);

/// <summary>
/// A case as the API serves it. <see cref="Region"/> is where the applicant filed; <see cref="ItemCode"/>,
/// <see cref="ItemRegion"/> (null: the national base) and <see cref="ItemVersion"/> name the definition the case runs
/// for its whole life: a case filed in Shanghai runs the national base, one filed in Chongqing the Chongqing variant.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.CaseView")]
public sealed record CaseView(
    [property: Id(0)] string CaseId,
    [property: Id(1)] string ItemCode,
    [property: Id(2)] int ItemVersion,
    [property: Id(3)] string? Region,
    [property: Id(4)] string Channel,
    [property: Id(5)] CaseStatus Status,
    [property: Id(6)] DateTimeOffset SubmittedAt,
    [property: Id(7)] DateTimeOffset? DueAt,
    [property: Id(8)] DateTimeOffset? CompletedAt,
    [property: Id(9)] bool Warning,
    [property: Id(10)] bool Overdue,
    [property: Id(11)] Applicant Applicant,
    [property: Id(12)] IReadOnlyList<Tasks.TaskView> Tasks,
    [property: Id(13)] IReadOnlyList<TimelineEntry> Timeline,
    [property: Id(14)] IReadOnlyDictionary<string, string> Outputs,
    [property: Id(15)] IReadOnlyDictionary<string, string> Form,
    [property: Id(16)] IReadOnlyList<MaterialRef> Materials,
    [property: Id(17)] IReadOnlyList<string> OptionalMatters,
    [property: Id(18)] Delivery? Delivery,
    [property: Id(19)] string? StatusReason,
    [property: Id(20)] Evaluation? Evaluation,
    [property: Id(21)] Escalation? Escalation = null,
    [property: Id(22)] IReadOnlyList<DeferredMaterial>? DeferredMaterials = null,
    [property: Id(23)] string? ItemRegion = null);

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
/// 容缺受理: a required but deferrable material the case was accepted without, against the applicant's promise to
/// supply it by <see cref="PromisedBy"/>. If it has not arrived by then, the case ends Rejected.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.DeferredMaterial")]
public sealed record DeferredMaterial(
    [property: Id(0)] string Code,
    [property: Id(1)] DateTimeOffset PromisedBy,
    [property: Id(2)] DateTimeOffset? SuppliedAt = null);

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

/// <summary>A case handed to the fallback desk (办不成事反映窗口) because a deadline passed.</summary>
[GenerateSerializer, Immutable, Alias("onething.Escalation")]
public sealed record Escalation(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Reason,
    [property: Id(2)] DateTimeOffset? ResolvedAt = null,
    [property: Id(3)] string? ResolvedBy = null,
    [property: Id(4)] string? Resolution = null);
