using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Catalog;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// Data minimisation (个人信息保护法's necessity principle): the case as one department may read it. The department
/// sees the personal data that its own dispatched matters declare as inputs, and nothing more; the portal and ops keep
/// the whole case. The shape stays the same: what a department may not see is null or empty.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Applicant name, identity number, credit code and phone: only those named <c>applicant.*</c> in its inputs.</item>
/// <item>Form values and the case's outputs: only the names its matters declare, plus the outputs it produced itself.</item>
/// <item>Other departments' tasks: status, dates and flags for progress, without their inputs, outputs, reasons or
/// supplement notes.</item>
/// <item>Materials: all of them once one of its matters is dispatched (the catalog attaches materials to the item, not to
/// matters, and departments examine them and may ask for them again); none before.</item>
/// <item>Delivery: the method; the address only when a matter declares <c>delivery.address</c>.</item>
/// <item>Timeline: every entry, but the free-text detail only of entries the department or the system wrote: the
/// applicant's withdrawal reason, other departments' reasons and notes and ops' resolutions stay with their authors.</item>
/// <item>The status reason, the evaluation's comment and the fallback desk's escalation: left out.</item>
/// </list>
/// A department whose tasks in the case are all still Waiting (or were cancelled before they were dispatched) was handed
/// nothing, and sees no personal data at all.
/// </remarks>
public static class DepartmentCaseView
{
    public const string DeliveryAddressInput = "delivery.address";

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    public static CaseView For(CaseView full, ItemDefinition item, string department)
    {
        var dispatched = full.Tasks.Where(t => t.Department == department && WasDispatched(t)).ToList();
        var declared = dispatched
            .SelectMany(t => item.FindMatter(t.MatterCode)?.Inputs ?? [])
            .ToHashSet(StringComparer.Ordinal);
        var produced = dispatched.SelectMany(t => t.Outputs.Keys).ToHashSet(StringComparer.Ordinal);

        string? IfDeclared(string input, string? value) => declared.Contains(input) ? value : null;

        return full with
        {
            Applicant = new Applicant(full.Applicant.Kind,
                IfDeclared("applicant.name", full.Applicant.Name),
                IfDeclared("applicant.idNumber", full.Applicant.IdNumber),
                IfDeclared("applicant.creditCode", full.Applicant.CreditCode),
                IfDeclared("applicant.phone", full.Applicant.Phone)),
            Tasks = full.Tasks.Select(t => t.Department == department ? t : ProgressOnly(t)).ToList(),
            Timeline = full.Timeline
                .Select(e => e.Actor == department || e.Actor == CaseGrain.SystemActor || e.Detail is null ? e : e with { Detail = null })
                .ToList(),
            Outputs = Only(full.Outputs, name => declared.Contains(name) || produced.Contains(name)),
            Form = Only(full.Form, declared.Contains),
            Materials = dispatched.Count > 0 ? full.Materials : [],
            Delivery = full.Delivery is { } delivery ? delivery with { Address = IfDeclared(DeliveryAddressInput, delivery.Address) } : null,
            StatusReason = null,
            Evaluation = full.Evaluation is { } evaluation ? evaluation with { Comment = null } : null,
            Escalation = null,
        };
    }

    /// <summary>Handed its inputs at some point: Ready now or later, not Waiting and not cancelled before it was Ready.</summary>
    public static bool WasDispatched(TaskView task) =>
        task.Status != DepartmentTaskStatus.Waiting && !(task.Status == DepartmentTaskStatus.Cancelled && task.ReadyAt is null);

    private static TaskView ProgressOnly(TaskView task) => task with
    {
        Inputs = Empty,
        Outputs = Empty,
        Supplement = null,
        Reason = null,
    };

    private static Dictionary<string, string> Only(IReadOnlyDictionary<string, string> values, Func<string, bool> visible) =>
        values.Where(pair => visible(pair.Key)).ToDictionary(StringComparer.Ordinal);
}
