using System.Text.Json.Serialization;
using OneThing.Contracts.Departments;

namespace OneThing.Contracts.Cases;

// The responses about cases. The case grain builds them and Orleans carries them ([GenerateSerializer]: the silo's
// code generator makes their serializers, see GenerateCodeForDeclaringAssembly in OneThing.Grains.Abstractions); the
// API writes them as JSON and OneThing.Client reads them back. Never renumber an [Id] or reorder parameters: stored
// state and rolling upgrades depend on them.

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
    [property: Id(12)] IReadOnlyList<TaskView> Tasks,
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
/// 容缺受理: a required but deferrable material the case was accepted without, against the applicant's promise to
/// supply it by <see cref="PromisedBy"/>. If it has not arrived by then, the case ends Rejected.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.DeferredMaterial")]
public sealed record DeferredMaterial(
    [property: Id(0)] string Code,
    [property: Id(1)] DateTimeOffset PromisedBy,
    [property: Id(2)] DateTimeOffset? SuppliedAt = null);

/// <summary>A case handed to the fallback desk (办不成事反映窗口) because a deadline passed.</summary>
[GenerateSerializer, Immutable, Alias("onething.Escalation")]
public sealed record Escalation(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Reason,
    [property: Id(2)] DateTimeOffset? ResolvedAt = null,
    [property: Id(3)] string? ResolvedBy = null,
    [property: Id(4)] string? Resolution = null);

/// <summary>One of an applicant's cases, as <c>GET /api/cases?applicant=</c> lists them.</summary>
public sealed record CaseSummary(string CaseId, string ItemCode, CaseStatus Status, DateTimeOffset SubmittedAt, DateTimeOffset? DueAt);

/// <summary>A row of <c>GET /api/cases/{caseId}/access-log</c>.</summary>
public sealed record CaseAccessEntry(DateTimeOffset At, string Role, string Name, string? Department, string Route);
