using OneThing.Contracts.Cases;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases.Legacy;

/// <summary>
/// One change of a case as the journal of earlier releases stored it: what the change moved, or the whole case.
/// Replaying a case's changes in revision order onto its last snapshot gives the case as it was acknowledged; only the
/// conversion of such a case into events does that now.
/// </summary>
public sealed class CaseChange
{
    public int Revision { get; set; }

    /// <summary>The whole case after the change; when set, nothing else is, and nothing before it is needed.</summary>
    public CaseState? Whole { get; set; }

    // The case's own progress: small, so every change carries all of it rather than tracking which part moved.
    public CaseStatus Status { get; set; }

    public string? StatusReason { get; set; }

    public DateTimeOffset? DueAt { get; set; }

    public DateTimeOffset? WarningAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public DateTimeOffset? PausedSince { get; set; }

    public bool Warning { get; set; }

    public bool Overdue { get; set; }

    public Escalation? Escalation { get; set; }

    public Evaluation? Evaluation { get; set; }

    /// <summary>The matters the change moved, each as it is now.</summary>
    public List<MatterState>? Matters { get; set; }

    /// <summary>The timeline entries the change added (the timeline only grows).</summary>
    public List<TimelineEntry>? Timeline { get; set; }

    /// <summary>The data departments produced in this change, for the matters that depend on it.</summary>
    public Dictionary<string, string>? Outputs { get; set; }

    /// <summary>The case after this change: <paramref name="before"/> moved on (or replaced, for a whole case).</summary>
    public CaseState ApplyTo(CaseState before)
    {
        if (Whole is not null)
        {
            Whole.Revision = Revision;
            return Whole;
        }
        before.Revision = Revision;
        before.Status = Status;
        before.StatusReason = StatusReason;
        before.DueAt = DueAt;
        before.WarningAt = WarningAt;
        before.CompletedAt = CompletedAt;
        before.PausedSince = PausedSince;
        before.Warning = Warning;
        before.Overdue = Overdue;
        before.Escalation = Escalation;
        before.Evaluation = Evaluation;
        foreach (var matter in Matters ?? [])
        {
            var index = before.Matters.FindIndex(m => m.Code == matter.Code);
            if (index < 0)
            {
                throw new InvalidOperationException($"Change {Revision} moves matter {matter.Code}, which the case does not have.");
            }
            before.Matters[index] = matter;
        }
        before.Timeline.AddRange(Timeline ?? []);
        foreach (var (name, value) in Outputs ?? [])
        {
            before.Outputs[name] = value;
        }
        return before;
    }
}
