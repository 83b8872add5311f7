using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.FallbackDesk;

/// <summary>Settings of section <c>OneThing:FallbackDesk</c>.</summary>
public sealed class FallbackDeskOptions
{
    public const string SectionName = "OneThing:FallbackDesk";

    /// <summary>Working days the desk has to answer an entry (an escalation, a low rating, an applicant's request) before it shows overdue.</summary>
    public int WorkingDays { get; set; } = 5;

    public TimeLimit Limit => new(WorkingDays: WorkingDays);
}
