using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// One committed change of a case, as its row in the case journal (<c>onething_case_changes</c>) holds it: what the
/// change moved, not the whole case. Replaying a case's changes in revision order onto its last snapshot gives the
/// case as it was acknowledged.
/// </summary>
/// <remarks>
/// A department's action moves one or two matters, a few flags and a line or two of the timeline: a few hundred bytes,
/// where the whole case is about 12 KB of JSON. The submission, and a supplement of materials (which rewrites the
/// application itself), store the whole case instead; both are rare.
/// </remarks>
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

    /// <summary>The whole case: the first change of a case, or one that rewrote the application.</summary>
    public static CaseChange Rewrite(CaseState state) => new() { Revision = state.Revision, Whole = state };

    /// <summary>What moved since the previous change: the progress, and the matters, entries and outputs named.</summary>
    public static CaseChange Progress(CaseState state, IReadOnlySet<string> movedMatters, int journaledTimeline, IReadOnlySet<string> producedOutputs) => new()
    {
        Revision = state.Revision,
        Status = state.Status,
        StatusReason = state.StatusReason,
        DueAt = state.DueAt,
        WarningAt = state.WarningAt,
        CompletedAt = state.CompletedAt,
        PausedSince = state.PausedSince,
        Warning = state.Warning,
        Overdue = state.Overdue,
        Escalation = state.Escalation,
        Evaluation = state.Evaluation,
        Matters = movedMatters.Count == 0 ? null : state.Matters.FindAll(m => movedMatters.Contains(m.Code)),
        Timeline = state.Timeline.Count > journaledTimeline ? state.Timeline.GetRange(journaledTimeline, state.Timeline.Count - journaledTimeline) : null,
        Outputs = producedOutputs.Count == 0 ? null : producedOutputs.ToDictionary(name => name, name => state.Outputs[name], StringComparer.Ordinal),
    };

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
