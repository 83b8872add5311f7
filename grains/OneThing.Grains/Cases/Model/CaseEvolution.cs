using System.Text.Json;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Cases.Legacy;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases.Model;

/// <summary>
/// How each event moves a case (<c>Apply</c>): the state is nothing but its events folded in order, and the timeline
/// is their projection. Pure: no clock, no storage, no Orleans.
/// </summary>
public static class CaseEvolution
{
    /// <summary>
    /// The case after <paramref name="e"/>: <paramref name="state"/> moved on in place, or a new state for a case
    /// imported whole. <paramref name="item"/> is the definition the case runs (names for the timeline, declared inputs).
    /// </summary>
    public static CaseState Apply(CaseState state, CaseEvent e, ItemDefinition item)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(e);
        if (e.Seq != state.Seq + 1)
        {
            throw new InvalidOperationException($"Case {e.CaseId}: event {e.Seq} follows event {state.Seq}.");
        }
        var s = e.Data is CaseImported imported ? Imported(imported) : state;
        var matter = e.MatterCode is { } code
            ? s.Matters.Find(m => m.Code == code) ?? throw new InvalidOperationException($"Case {e.CaseId}: event {e.Seq} names matter {code}, which the case does not run.")
            : null;
        var detail = ApplyData(s, e, matter, item);
        if (detail is not null)
        {
            s.Timeline.Add(new TimelineEntry(e.At, TimelineType(e.Data), e.Actor.TimelineName, detail.Text, e.Seq, e.MatterCode, e.TaskId));
        }
        s.Seq = e.Seq;
        s.Revision++;
        return s;
    }

    /// <summary>The timeline's own type names, as the contract's floor has them (<c>Submitted</c>, <c>Withdrawn</c> …).</summary>
    public static string TimelineType(CaseEventData data) => data switch
    {
        CaseSubmitted => "Submitted",
        CaseWithdrawn => "Withdrawn",
        CaseEvaluated => "Evaluated",
        DeferredMaterialPromised => "MaterialDeferred",
        DeferredMaterialDelivered => "DeferredMaterialSupplied",
        _ => CaseEventTypes.NameOf(data),
    };

    /// <summary>A timeline line's detail; a null line adds none.</summary>
    private sealed record Line(string? Text);

    private static Line? ApplyData(CaseState s, CaseEvent e, MatterState? matter, ItemDefinition item)
    {
        var definition = matter is null ? null : item.FindMatter(matter.Code);
        var name = definition?.Name ?? matter?.Code;
        switch (e.Data)
        {
            case CaseSubmitted submitted:
                Submit(s, submitted, e.At);
                return new($"{item.Name} v{submitted.ItemVersion} via {submitted.Channel}");
            case DeferredMaterialPromised promised:
                s.DeferredMaterials.Add(new DeferredMaterial(promised.Code, promised.PromisedBy));
                return new($"{promised.Code} promised by {Format(promised.PromisedBy)} (容缺受理)");
            case DeferredMaterialDelivered delivered:
                var index = s.DeferredMaterials.FindIndex(d => d.Code == delivered.Code && d.SuppliedAt is null);
                if (index >= 0)
                {
                    s.DeferredMaterials[index] = s.DeferredMaterials[index] with { SuppliedAt = e.At };
                }
                return new(delivered.Code);
            case DeferredMaterialLapsed lapsed:
                return new($"{lapsed.Code} was promised by {Format(lapsed.PromisedBy)}");
            case TaskReady ready:
                matter!.Status = DepartmentTaskStatus.Ready;
                if (!ready.Returned)
                {
                    matter.ReadyAt = e.At;
                }
                matter.DueAt = ready.DueAt;
                matter.WarningAt = ready.WarningAt;
                matter.Inputs = InputsFor(s, ready.Inputs);
                return new(ready.Returned ? $"{name} returned to {e.Department}" : $"{name} → {e.Department}");
            case TaskAccepted:
                matter!.Status = DepartmentTaskStatus.Accepted;
                return new(name);
            case TaskCompleted completed:
                matter!.Status = DepartmentTaskStatus.Completed;
                matter.CompletedAt = e.At;
                matter.Outputs = new Dictionary<string, string>(completed.Outputs);
                foreach (var (output, value) in completed.Outputs)
                {
                    s.Outputs[output] = value;
                }
                return new(name);
            case TaskRejected rejected:
                matter!.Status = DepartmentTaskStatus.Rejected;
                matter.Reason = rejected.Reason;
                matter.CompletedAt = e.At;
                return new($"{name}: {rejected.Reason}");
            case TaskCancelled cancelled:
                matter!.Status = DepartmentTaskStatus.Cancelled;
                matter.Reason = cancelled.Reason;
                return new($"{name}: {cancelled.Reason}");
            case SupplementRequested requested:
                matter!.Status = DepartmentTaskStatus.AwaitingSupplement;
                matter.Supplement = new SupplementRequest(requested.Materials, requested.Note, e.At);
                s.Status = CaseStatus.AwaitingSupplement;
                s.PausedSince ??= e.At; // 补正: the clock stops until the applicant supplies
                return new($"{name} needs: {string.Join(", ", requested.Materials)}{(requested.Note is { } note ? $" ({note})" : "")}");
            case SupplementProvided provided:
                Supply(s, provided, e.At);
                return new(string.Join(", ", provided.Materials.Concat(provided.FormFields)));
            case DeadlineMoved moved when matter is null:
                s.DueAt = moved.DueAt;
                s.WarningAt = moved.WarningAt;
                return new($"Case due {Format(moved.DueAt)} after the 补正 pause");
            case DeadlineMoved moved:
                matter.DueAt = moved.DueAt;
                matter.WarningAt = moved.WarningAt;
                return new($"{name} due {Format(moved.DueAt)} after the 补正 pause");
            case DeadlineWarning warning when matter is null:
                s.Warning = true;
                return new($"Case due {Format(warning.DueAt)}");
            case DeadlineWarning warning:
                matter.Warning = true;
                return new($"{name} ({e.Department}) due {Format(warning.DueAt)}");
            case Overdue overdue when matter is null:
                s.Overdue = s.Warning = true;
                return new($"Case was due {Format(overdue.DueAt)}");
            case Overdue overdue:
                matter.Overdue = matter.Warning = true;
                return new($"{name} ({e.Department}) was due {Format(overdue.DueAt)}");
            case Escalated escalated:
                s.Escalation = new Escalation(e.At, escalated.Reason);
                return new($"To the fallback desk (办不成事窗口): {escalated.Reason}");
            case LowRatingFollowUpOpened opened:
                s.LowRatingFollowUp = new LowRatingFollowUp(e.At, opened.DueAt);
                return new($"To the fallback desk (办不成事窗口) for a low rating; answer due {Format(opened.DueAt)}");
            case LowRatingResolved resolved:
                s.LowRatingFollowUp = s.LowRatingFollowUp! with { ResolvedAt = e.At, ResolvedBy = resolved.ResolvedBy, Resolution = resolved.Resolution };
                return new(resolved.Resolution);
            case EscalationResolved resolved:
                s.Escalation = s.Escalation! with { ResolvedAt = e.At, ResolvedBy = resolved.ResolvedBy, Resolution = resolved.Resolution };
                return new(resolved.Resolution);
            case CaseCompleted:
                s.Status = CaseStatus.Completed;
                s.CompletedAt = e.At;
                return new("Every matter is complete.");
            case CaseRejected rejected:
                End(s, CaseStatus.Rejected, rejected.Reason, e.At);
                return new(rejected.Reason);
            case CaseWithdrawn withdrawn:
                End(s, CaseStatus.Withdrawn, withdrawn.Reason, e.At);
                return new(withdrawn.Reason);
            case CaseEvaluated evaluated:
                s.Evaluation = new Evaluation(evaluated.Rating, evaluated.Comment, e.At);
                return new($"{evaluated.Rating}/5");
            case CaseImported:
                return null; // its timeline came with it
            default:
                throw new InvalidOperationException($"Case {e.CaseId}: no rule applies event type {e.Type}.");
        }
    }

    private static void Submit(CaseState s, CaseSubmitted submitted, DateTimeOffset at)
    {
        var application = submitted.Application;
        s.ItemCode = submitted.ItemCode;
        s.ItemVersion = submitted.ItemVersion;
        s.ItemRegion = submitted.ItemRegion;
        s.Region = submitted.Region;
        s.Channel = submitted.Channel;
        s.Applicant = application.Applicant;
        s.Form = new Dictionary<string, string>(application.Form, StringComparer.Ordinal);
        s.Materials = [.. application.Materials];
        s.OptionalMatters = [.. submitted.OptionalMatters];
        s.Delivery = application.Delivery;
        s.Fingerprint = application.Fingerprint;
        s.Status = CaseStatus.InProgress;
        s.SubmittedAt = at;
        s.DueAt = submitted.DueAt;
        s.WarningAt = submitted.WarningAt;
        s.Matters = submitted.Matters.Select(code => new MatterState { Code = code, Status = DepartmentTaskStatus.Waiting }).ToList();
    }

    private static void Supply(CaseState s, SupplementProvided provided, DateTimeOffset at)
    {
        foreach (var material in provided.Application.Materials)
        {
            s.Materials.RemoveAll(m => m.Code == material.Code);
            s.Materials.Add(material);
        }
        foreach (var (field, value) in provided.Application.Form)
        {
            s.Form[field] = value;
        }
        if (provided.AnswersRequest)
        {
            foreach (var waiting in s.Matters.Where(m => m.Status == DepartmentTaskStatus.AwaitingSupplement && m.Supplement is not null))
            {
                waiting.Supplement = waiting.Supplement! with { SuppliedAt = at };
            }
            s.PausedSince = null;
            s.Status = CaseStatus.InProgress;
        }
    }

    private static void End(CaseState s, CaseStatus status, string reason, DateTimeOffset at)
    {
        s.Status = status;
        s.StatusReason = reason;
        s.CompletedAt = at;
    }

    /// <summary>The values of the declared inputs, from the application and from what earlier matters produced.</summary>
    private static Dictionary<string, string> InputsFor(CaseState s, IReadOnlyList<string> declared)
    {
        var inputs = new Dictionary<string, string>();
        foreach (var input in declared)
        {
            var value = input switch
            {
                "applicant.name" => s.Applicant!.Name,
                "applicant.idNumber" => s.Applicant!.IdNumber,
                "applicant.creditCode" => s.Applicant!.CreditCode,
                "applicant.phone" => s.Applicant!.Phone,
                _ => s.Outputs.TryGetValue(input, out var produced) ? produced : s.Form.GetValueOrDefault(input),
            };
            if (value is not null)
            {
                inputs[input] = value;
            }
        }
        return inputs;
    }

    private static CaseState Imported(CaseImported imported)
    {
        var state = imported.Application.Deserialize<CaseState>(CaseStateJson.Options)
            ?? throw new InvalidOperationException("An imported case holds no state.");
        state.Revision = imported.Revision;
        state.Seq = 0;
        return state;
    }

    private static string Format(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm zzz", System.Globalization.CultureInfo.InvariantCulture);
}
