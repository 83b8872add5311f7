using OneThing.Grains.Common;
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
    Task<Outcome<CaseView>> SubmitAsync(SubmitCase command);

    /// <summary>The case, or null when no case has this id.</summary>
    [Alias("Get"), ReadOnly]
    Task<CaseView?> GetAsync();

    [Alias("Supply")]
    Task<Outcome<CaseView>> SupplyAsync(SupplyMaterials supply);

    [Alias("Withdraw")]
    Task<Outcome<CaseView>> WithdrawAsync(string? reason);

    [Alias("Evaluate")]
    Task<Outcome<CaseView>> EvaluateAsync(int rating, string? comment);

    /// <summary>
    /// Re-evaluates every deadline of the case against the clock: flags warnings and overdue matters once, ends a
    /// case whose 容缺 promise lapsed, and re-arms the case's reminder for its next deadline event. Idempotent; the
    /// reminder and every activation call it.
    /// </summary>
    [Alias("CheckDeadlines")]
    Task<CaseView?> CheckDeadlinesAsync();

    /// <summary>The fallback desk records who resolved an escalated case and how.</summary>
    [Alias("ResolveEscalation")]
    Task<Outcome<CaseView>> ResolveEscalationAsync(string resolvedBy, string resolution);

    /// <summary>A department task reports a transition (completed, rejected, asked for materials). Idempotent.</summary>
    [Alias("OnTaskChanged")]
    Task OnTaskChangedAsync(TaskView task);
}
