using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;

namespace OneThing.Grains.ReadModels;

/// <summary>What ops search filters a case on, besides its item, region and status: one definition for its row.</summary>
public readonly record struct CaseSummaryFlags(CaseStatus Status, DateTimeOffset? DueAt, bool Overdue, bool Warning);

public static class CaseSummaries
{
    /// <summary>A case counts as overdue (or warned) when it or any of its tasks is.</summary>
    public static CaseSummaryFlags Of(CaseView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new CaseSummaryFlags(view.Status, view.DueAt, view.Overdue || view.Tasks.Any(t => t.Overdue), view.Warning || view.Tasks.Any(t => t.Warning));
    }
}
