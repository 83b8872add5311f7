using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;

namespace OneThing.Grains.Events;

/// <summary>
/// One thing that happened to a case, kept for good: the case's state, its timeline and every read model are folded
/// from these. <see cref="Seq"/> numbers a case's events from 1 without gaps; the global feed adds a position when the
/// event is committed.
/// </summary>
/// <param name="MatterCode">The matter (and so the task) the event concerns; null for the case as a whole.</param>
/// <param name="Department">The department owning <paramref name="MatterCode"/>; null for a case-level event.</param>
public sealed record CaseEvent(
    string CaseId,
    int Seq,
    DateTimeOffset At,
    EventActor Actor,
    CaseEventData Data,
    string? MatterCode = null,
    string? Department = null)
{
    public string Type => CaseEventTypes.NameOf(Data);

    public string? TaskId => MatterCode is null ? null : Tasks.TaskIds.For(CaseId, MatterCode);
}

/// <summary>Who caused an event: a caller of the API (its role, key name and department) or the system itself.</summary>
[GenerateSerializer, Immutable, Alias("onething.EventActor")]
public sealed record EventActor(
    [property: Id(0)] string Role,
    [property: Id(1)] string? Name = null,
    [property: Id(2)] string? Department = null)
{
    public const string SystemRole = "system";

    /// <summary>Deadlines, dispatch and everything else the case does by its own rules.</summary>
    public static EventActor System { get; } = new(SystemRole);

    /// <summary>
    /// The actor as the timeline names it: the department that acted, <c>portal</c> for the applicant's channel,
    /// <c>system</c>, or the ops key's name for the fallback desk.
    /// </summary>
    public string TimelineName => Department ?? (Role == "ops" ? Name ?? Role : Role);
}

/// <summary>
/// An event's typed data. Each concrete record is one event type, named in <see cref="CaseEventTypes"/>. A member named
/// <c>application</c> holds what the applicant submitted, personal values sealed, and is never served outside the silo.
/// </summary>
public abstract record CaseEventData;

// Submission and ending.

/// <summary>The application was accepted. <paramref name="Matters"/>: the matters the case runs, in item order.</summary>
public sealed record CaseSubmitted(
    string ItemCode,
    int ItemVersion,
    string? ItemRegion,
    string? Region,
    string Channel,
    DateTimeOffset? DueAt,
    DateTimeOffset? WarningAt,
    IReadOnlyList<string> Matters,
    IReadOnlyList<string> OptionalMatters,
    IReadOnlyList<string> Materials,
    SubmittedApplication Application) : CaseEventData;

/// <summary>What the applicant submitted, as the case keeps it: identity numbers, phones and personal form values sealed.</summary>
public sealed record SubmittedApplication(
    Applicant Applicant,
    IReadOnlyDictionary<string, string> Form,
    IReadOnlyList<MaterialRef> Materials,
    Delivery? Delivery,
    string Fingerprint);

public sealed record CaseCompleted : CaseEventData;

public sealed record CaseRejected(string Reason) : CaseEventData;

public sealed record CaseWithdrawn(string Reason) : CaseEventData;

/// <summary>好差评: 5 = 非常满意 … 1 = 非常不满意.</summary>
public sealed record CaseEvaluated(int Rating, string? Comment) : CaseEventData;

// Tasks.

/// <summary>
/// A matter was handed to its department (or handed back after a 补正 pause, <paramref name="Returned"/>), with the
/// names of the inputs it declares; their values come from the application and earlier matters' outputs.
/// </summary>
public sealed record TaskReady(
    DateTimeOffset? DueAt,
    DateTimeOffset? WarningAt,
    IReadOnlyList<string> Inputs,
    bool Returned = false) : CaseEventData;

public sealed record TaskAccepted : CaseEventData;

public sealed record TaskCompleted(IReadOnlyDictionary<string, string> Outputs) : CaseEventData;

public sealed record TaskRejected(string Reason) : CaseEventData;

public sealed record TaskCancelled(string Reason) : CaseEventData;

// Supplements (补正).

/// <summary>A department needs more: every missing material at once (一次性告知). The case's clock stops.</summary>
public sealed record SupplementRequested(IReadOnlyList<string> Materials, string? Note) : CaseEventData;

/// <summary>
/// The applicant supplied materials or form values. <paramref name="AnswersRequest"/>: they answer the open supplement
/// request, so the clocks start again and the waiting tasks return to their departments.
/// </summary>
public sealed record SupplementProvided(
    IReadOnlyList<string> Materials,
    IReadOnlyList<string> FormFields,
    bool AnswersRequest,
    SuppliedApplication Application) : CaseEventData;

public sealed record SuppliedApplication(IReadOnlyList<MaterialRef> Materials, IReadOnlyDictionary<string, string> Form);

// Deadlines.

/// <summary>预警: the case or the task nears its due time.</summary>
public sealed record DeadlineWarning(DateTimeOffset DueAt) : CaseEventData;

public sealed record Overdue(DateTimeOffset DueAt) : CaseEventData;

/// <summary>Handed to the fallback desk (办不成事反映窗口).</summary>
public sealed record Escalated(string Reason) : CaseEventData;

public sealed record EscalationResolved(string ResolvedBy, string Resolution) : CaseEventData;

/// <summary>A rating of 1 or 2 (差评) opened the fallback desk's follow-up, to be answered by <paramref name="DueAt"/>.</summary>
public sealed record LowRatingFollowUpOpened(DateTimeOffset DueAt) : CaseEventData;

/// <summary>The fallback desk answered the low rating: the applicant reads who did and how.</summary>
public sealed record LowRatingResolved(string ResolvedBy, string Resolution) : CaseEventData;

/// <summary>A due time moved: after a 补正 pause, by the working time the clock was stopped.</summary>
public sealed record DeadlineMoved(DateTimeOffset DueAt, DateTimeOffset? WarningAt) : CaseEventData;

// 容缺受理: a deferrable material accepted against the applicant's promise.

public sealed record DeferredMaterialPromised(string Code, DateTimeOffset PromisedBy) : CaseEventData;

public sealed record DeferredMaterialDelivered(string Code) : CaseEventData;

/// <summary>The promise passed without the material: the case ends rejected.</summary>
public sealed record DeferredMaterialLapsed(string Code, DateTimeOffset PromisedBy) : CaseEventData;

/// <summary>
/// A case stored before events existed (snapshot plus change journal), converted whole: its state as it was, including
/// its timeline. Always the case's first event.
/// </summary>
public sealed record CaseImported(int Revision, System.Text.Json.JsonElement Application) : CaseEventData;

/// <summary>
/// What a reader of a case's events needs from the case: the month it was submitted (UTC), which names the partition
/// that holds all its events.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.CaseEventAccess")]
public sealed record CaseEventAccess([property: Id(0)] DateOnly CaseMonth)
{
    /// <summary>The partition month of a case submitted at <paramref name="submittedAt"/>: the first day of its UTC month.</summary>
    public static DateOnly MonthOf(DateTimeOffset submittedAt) => new(submittedAt.UtcDateTime.Year, submittedAt.UtcDateTime.Month, 1);
}
