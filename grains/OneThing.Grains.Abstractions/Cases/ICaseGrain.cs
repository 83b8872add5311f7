using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;
using Orleans.Concurrency;

namespace OneThing.Grains.Cases;

/// <summary>
/// One application (key: case id). It owns the position of every matter in the item's dependency graph, decides
/// what becomes Ready, hands data from earlier matters to later ones and keeps the timeline.
/// </summary>
[Alias("onething.ICaseGrain")]
public interface ICaseGrain : IGrainWithStringKey
{
    /// <summary>Creates the case; the same fingerprint again returns it unchanged, another fingerprint is a conflict.</summary>
    [Alias("Submit")]
    Task<Outcome<CaseView>> SubmitAsync(SubmitCase command, EventActor actor);

    /// <summary>The case, or null when no case has this id.</summary>
    [Alias("Get"), ReadOnly]
    Task<CaseView?> GetAsync();

    /// <summary>The case as its HTTP document, built once per change; null when no case has this id.</summary>
    [Alias("GetDocument"), ReadOnly]
    Task<CaseDocument?> GetDocumentAsync();

    /// <summary>
    /// As <see cref="GetDocumentAsync()"/>, but without the bytes when the case is still at <paramref name="knownRevision"/>:
    /// a portal polling with the ETag it was given moves no document while nothing changed.
    /// </summary>
    [Alias("GetDocumentUnlessAt"), ReadOnly]
    Task<CaseDocument?> GetDocumentAsync(int knownRevision);

    /// <summary>
    /// The case as <paramref name="department"/> may read it (data minimisation: only the personal data its own dispatched
    /// matters declare as inputs), built once per change; without the bytes when the case is still at
    /// <paramref name="knownRevision"/>. Null when no case has this id or the department has no task in it.
    /// </summary>
    [Alias("GetDocumentForDepartment"), ReadOnly]
    Task<CaseDocument?> GetDocumentForDepartmentAsync(string department, int? knownRevision);

    [Alias("Supply")]
    Task<Outcome<CaseView>> SupplyAsync(SupplyMaterials supply, EventActor actor);

    [Alias("Withdraw")]
    Task<Outcome<CaseView>> WithdrawAsync(string? reason, EventActor actor);

    [Alias("Evaluate")]
    Task<Outcome<CaseView>> EvaluateAsync(int rating, string? comment, EventActor actor);

    /// <summary>
    /// Re-evaluates every deadline of the case against the clock: flags warnings and overdue matters once, ends a
    /// case whose 容缺 promise lapsed, and re-arms the case's reminder for its next deadline event. Idempotent; the
    /// reminder and every activation call it.
    /// </summary>
    [Alias("CheckDeadlines")]
    Task<CaseView?> CheckDeadlinesAsync();

    /// <summary>The fallback desk records who resolved an escalated case and how; <paramref name="actor"/> is the ops caller.</summary>
    [Alias("ResolveEscalation")]
    Task<Outcome<CaseView>> ResolveEscalationAsync(string resolvedBy, string resolution, EventActor actor);

    /// <summary>The fallback desk records who answered the case's low rating and how; the applicant reads it on the timeline.</summary>
    [Alias("ResolveLowRating")]
    Task<Outcome<CaseView>> ResolveLowRatingAsync(string resolvedBy, string resolution, EventActor actor);

    /// <summary>One of the case's tasks as its department sees it; null when the case has no such matter.</summary>
    [Alias("GetTask"), ReadOnly]
    Task<TaskView?> GetTaskAsync(string matterCode);

    /// <summary>
    /// Applies a department's action to one of the case's tasks: the task's
    /// transition, what it means for the case (dependents become Ready, the case completes, is rejected or paused) and
    /// their read-model rows, written together. Idempotent: a repeat answers the task as it is.
    /// </summary>
    [Alias("ActOnTask")]
    Task<Outcome<TaskView>> ActOnTaskAsync(string matterCode, TaskAction action, EventActor actor);

    /// <summary>
    /// Where the case's events are stored, for a caller about to read them: null when no case has this id, or when
    /// <paramref name="department"/> (a department's caller; null for portal and ops) has no dispatched task in it.
    /// </summary>
    [Alias("GetEventAccess"), ReadOnly]
    Task<CaseEventAccess?> GetEventAccessAsync(string? department);
}
