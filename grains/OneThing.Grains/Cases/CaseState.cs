using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Cases;

/// <summary>
/// A case, whole: its events folded in order (<see cref="Model.CaseEvolution"/>). Stored as its snapshot (grain state
/// <c>case</c>, JSON ops can read in PostgreSQL) every so often and when the case ends, so that an activation reads the
/// snapshot and only the events after <see cref="Seq"/>.
/// </summary>
[GenerateSerializer, Alias("onething.CaseState")]
public sealed class CaseState
{
    [Id(0)] public string? ItemCode { get; set; }

    [Id(1)] public int ItemVersion { get; set; }

    [Id(2)] public string? Region { get; set; }

    [Id(3)] public string Channel { get; set; } = "";

    [Id(4)] public Applicant? Applicant { get; set; }

    [Id(5)] public Dictionary<string, string> Form { get; set; } = [];

    [Id(6)] public List<MaterialRef> Materials { get; set; } = [];

    [Id(7)] public List<string> OptionalMatters { get; set; } = [];

    [Id(8)] public Delivery? Delivery { get; set; }

    /// <summary>Hash of the submitted request, sealed: the same Idempotency-Key with another body is refused.</summary>
    [Id(9)] public string Fingerprint { get; set; } = "";

    [Id(10)] public CaseStatus Status { get; set; }

    [Id(11)] public DateTimeOffset SubmittedAt { get; set; }

    [Id(12)] public DateTimeOffset? DueAt { get; set; }

    [Id(13)] public DateTimeOffset? CompletedAt { get; set; }

    [Id(14)] public string? StatusReason { get; set; }

    [Id(15)] public Evaluation? Evaluation { get; set; }

    [Id(16)] public List<TimelineEntry> Timeline { get; set; } = [];

    /// <summary>The matters this case runs (required ones plus the optional ones the applicant opted into), in item order.</summary>
    [Id(17)] public List<MatterState> Matters { get; set; } = [];

    /// <summary>Everything the departments produced so far: what later matters are handed.</summary>
    [Id(18)] public Dictionary<string, string> Outputs { get; set; } = [];

    /// <summary>
    /// Counts the events folded in, plus the changes of a case stored before events existed: it names the case's
    /// documents (ETags) and guards its read-model rows against late writes.
    /// </summary>
    [Id(19)] public int Revision { get; set; }

    [Id(20)] public bool Warning { get; set; }

    [Id(21)] public bool Overdue { get; set; }

    /// <summary>When the case's deadline warning (预警) is due; moves with the deadline after a 补正 pause.</summary>
    [Id(22)] public DateTimeOffset? WarningAt { get; set; }

    /// <summary>Set while a supplement request is open: the case's clock is stopped since then.</summary>
    [Id(23)] public DateTimeOffset? PausedSince { get; set; }

    [Id(24)] public Escalation? Escalation { get; set; }

    [Id(25)] public List<DeferredMaterial> DeferredMaterials { get; set; } = [];

    /// <summary>
    /// The variant of the item the case runs, with <see cref="ItemCode"/> and <see cref="ItemVersion"/>: null for the
    /// national base. Not <see cref="Region"/>, where the applicant filed: a case filed in a region without a variant
    /// of its own runs the national base.
    /// </summary>
    [Id(26)] public string? ItemRegion { get; set; }

    /// <summary>The sequence number of the last event folded in; 0 for a case stored before events existed, until converted.</summary>
    [Id(27)] public int Seq { get; set; }

    /// <summary>The fallback desk's follow-up of a low rating; null unless the case was rated 1 or 2.</summary>
    [Id(28)] public LowRatingFollowUp? LowRatingFollowUp { get; set; }
}

[GenerateSerializer, Alias("onething.MatterState")]
public sealed class MatterState
{
    [Id(0)] public string Code { get; set; } = "";

    [Id(1)] public DepartmentTaskStatus Status { get; set; }

    [Id(2)] public DateTimeOffset? ReadyAt { get; set; }

    [Id(3)] public DateTimeOffset? DueAt { get; set; }

    [Id(4)] public DateTimeOffset? CompletedAt { get; set; }

    [Id(5)] public Dictionary<string, string> Inputs { get; set; } = [];

    [Id(6)] public Dictionary<string, string> Outputs { get; set; } = [];

    [Id(7)] public SupplementRequest? Supplement { get; set; }

    [Id(8)] public string? Reason { get; set; }

    [Id(9)] public DateTimeOffset? WarningAt { get; set; }

    [Id(10)] public bool Warning { get; set; }

    [Id(11)] public bool Overdue { get; set; }
}
