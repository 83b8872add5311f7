using System.Text.Json.Serialization;
using System.Xml;

namespace OneThing.Contracts.Catalog;

/// <summary>
/// One "one thing" (一件事) as versioned data: what the applicant files and which departments' matters (子事项)
/// it splits into. The same shape is served by <c>GET /api/items/{code}</c> and read from <c>catalog/items/*.json</c>.
/// </summary>
/// <remarks>
/// An item is a family of variants identified by (<see cref="Code"/>, <see cref="Region"/>): <see cref="Region"/> null
/// is the national base, a region code (<c>RegionCodes</c>) a regional variant. Each variant numbers its own
/// versions. <see cref="Notices"/> overrides, per event type, the catalog's templates of notices to applicants
/// (<c>catalog/notices.json</c>).
/// </remarks>
[GenerateSerializer, Immutable, Alias("onething.ItemDefinition")]
public sealed record ItemDefinition(
    [property: Id(0)] string Code,
    [property: Id(1)] string Name,
    [property: Id(2)] int Version,
    [property: Id(3)] string Audience,
    [property: Id(4)] string LeadDepartment,
    [property: Id(5)] TimeLimit TimeLimit,
    [property: Id(6)] IReadOnlyList<FormField> Form,
    [property: Id(7)] IReadOnlyList<MaterialDefinition> Materials,
    [property: Id(8)] IReadOnlyList<MatterDefinition> Matters,
    [property: Id(9)] string? Description = null,
    [property: Id(10)] string? Region = null,
    [property: Id(11)] IReadOnlyDictionary<string, string>? Notices = null)
{
    public MatterDefinition? FindMatter(string code) => Matters.FirstOrDefault(m => m.Code == code);
}

/// <summary>
/// Either statutory working days (holidays excluded) or an ISO 8601 calendar duration such as PT4H; JSON carries only
/// the key that applies. <see cref="Explain"/> is the one statement of what a valid limit is.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.TimeLimit")]
public sealed record TimeLimit(
    [property: Id(0), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? WorkingDays = null,
    [property: Id(1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Duration = null)
{
    /// <summary>
    /// Null when the limit is valid, with its working days (0 for a duration) and duration (null for working days);
    /// otherwise what is wrong, as a phrase to follow the limit's name ("must set exactly one of ...").
    /// </summary>
    public string? Explain(out int workingDays, out TimeSpan? duration)
    {
        workingDays = 0;
        duration = null;
        if (WorkingDays.HasValue == (Duration is not null))
        {
            return "must set exactly one of workingDays or duration";
        }
        if (WorkingDays is { } days)
        {
            if (days < 1)
            {
                return $"workingDays {days} is below 1";
            }
            workingDays = days;
            return null;
        }
        if (!TryParseDuration(Duration, out var parsed))
        {
            return $"duration '{Duration}' is not an ISO 8601 duration (like PT4H)";
        }
        if (parsed <= TimeSpan.Zero)
        {
            return $"duration '{Duration}' is not positive";
        }
        duration = parsed;
        return null;
    }

    /// <summary>Parses an ISO 8601 duration such as <c>PT4H</c> or <c>P1D</c>.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        try
        {
            duration = XmlConvert.ToTimeSpan(text);
            return true;
        }
        catch (Exception error) when (error is FormatException or OverflowException)
        {
            return false;
        }
    }
}

[GenerateSerializer, Immutable, Alias("onething.FormField")]
public sealed record FormField(
    [property: Id(0)] string Name,
    [property: Id(1)] string Label,
    [property: Id(2)] string Type,
    [property: Id(3)] bool Required,
    [property: Id(4)] IReadOnlyList<string>? Options = null);

[GenerateSerializer, Immutable, Alias("onething.MaterialDefinition")]
public sealed record MaterialDefinition(
    [property: Id(0)] string Code,
    [property: Id(1)] string Name,
    [property: Id(2)] bool Required,
    [property: Id(3)] bool Deferrable = false);

/// <summary>
/// A sub-matter owned by one department. It becomes Ready when every matter in <see cref="DependsOn"/> is complete,
/// and is handed the <see cref="Inputs"/> it names from the application and from earlier matters' outputs.
/// <see cref="Certificate"/> names the output that is the number of what the applicant receives (a certificate, a
/// licence), which the applicant's notice of the matter's completion quotes.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.MatterDefinition")]
public sealed record MatterDefinition(
    [property: Id(0)] string Code,
    [property: Id(1)] string Name,
    [property: Id(2)] string Department,
    [property: Id(3)] IReadOnlyList<string> DependsOn,
    [property: Id(4)] bool Optional,
    [property: Id(5)] TimeLimit TimeLimit,
    [property: Id(6)] IReadOnlyList<string> Inputs,
    [property: Id(7)] IReadOnlyList<string> Outputs,
    [property: Id(8)] string? Certificate = null);

/// <summary>
/// Form field types the contract knows: the one list that the catalog validator, the value checks
/// (<c>FormValues</c> in OneThing.Grains.Validation) and the item's form schema use.
/// </summary>
public static class FormFieldTypes
{
    public const string String = "string";
    public const string Date = "date";
    public const string Integer = "integer";
    public const string Boolean = "boolean";
    public const string IdNumber = "idNumber";
    public const string CreditCode = "creditCode";
    public const string Phone = "phone";
    public const string Enum = "enum";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string>(StringComparer.Ordinal) { String, Date, Integer, Boolean, IdNumber, CreditCode, Phone, Enum };
}
