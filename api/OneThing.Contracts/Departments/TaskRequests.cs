using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace OneThing.Contracts.Departments;

/// <summary><c>POST /api/tasks/{taskId}/complete</c>: every output the matter declares, and nothing else.</summary>
public sealed record CompleteTaskRequest
{
    [Description("Output name → value (a string, number or boolean).")]
    public required IReadOnlyDictionary<string, JsonElement> Outputs { get; init; }
}

/// <summary><c>POST /api/tasks/{taskId}/reject</c>: the applicant is told why.</summary>
public sealed record RejectTaskRequest
{
    [MinLength(1)]
    [MaxLength(FieldLimits.FreeText)]
    public required string Reason { get; init; }
}

/// <summary><c>POST /api/tasks/{taskId}/supplement-requests</c>: 一次性告知, every missing material named at once.</summary>
public sealed record SupplementRequestRequest
{
    [Description("Codes of the item's materials the applicant must supply.")]
    [MinLength(1)]
    [MaxLength(FieldLimits.ListEntries)]
    public required IReadOnlyList<string> Materials { get; init; }

    [MaxLength(FieldLimits.FreeText)]
    public string? Note { get; init; }
}
