using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Contracts.Cases;

/// <summary>
/// <c>POST /api/cases</c>: an application for one item. The item-specific parts (which form fields, materials and
/// optional matters, and each field's type) are the item's rules, checked by the server against the catalog, so
/// <see cref="Form"/> stays an open object here.
/// </summary>
public sealed record SubmitCaseRequest
{
    [Description("The item applied for (GET /api/items lists them).")]
    [MaxLength(FieldLimits.Code)]
    public required string ItemCode { get; init; }

    public required Channel Channel { get; init; }

    [Description("The region whose variant of the item applies, such as 310000; the national base when left out.")]
    [MaxLength(FieldLimits.Code)]
    public string? Region { get; init; }

    public required ApplicantInput Applicant { get; init; }

    [Description("The item's form: field name → value (a string, number or boolean, as the field's type says).")]
    public IReadOnlyDictionary<string, JsonElement>? Form { get; init; }

    [MaxLength(FieldLimits.ListEntries)]
    public IReadOnlyList<MaterialInput>? Materials { get; init; }

    [Description("Codes of the item's optional matters the applicant opts into.")]
    [MaxLength(FieldLimits.ListEntries)]
    public IReadOnlyList<string>? OptionalMatters { get; init; }

    public DeliveryInput? Delivery { get; init; }

    [Description("容缺受理: deferrable materials left out now, each with the date it is promised by.")]
    [MaxLength(FieldLimits.ListEntries)]
    public IReadOnlyList<DeferredMaterialInput>? DeferredMaterials { get; init; }
}

/// <summary>Where the application came in.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Channel>))]
public enum Channel
{
    [JsonStringEnumMemberName("online")] Online,
    [JsonStringEnumMemberName("hall")] Hall,
    [JsonStringEnumMemberName("hotline")] Hotline,
    [JsonStringEnumMemberName("mobile")] Mobile,
}

/// <summary>A person (with <c>idNumber</c>) or an enterprise (with <c>creditCode</c>).</summary>
public sealed record ApplicantInput
{
    public required ApplicantKind Kind { get; init; }

    [MinLength(1)]
    [MaxLength(FieldLimits.Name)]
    public required string Name { get; init; }

    [Description("For a person: the 18-character resident identity number; the server checks its check character.")]
    [RegularExpression(Patterns.ResidentIdNumber)]
    public string? IdNumber { get; init; }

    [Description("For an enterprise: the 18-character unified social credit code; the server checks its check character.")]
    [RegularExpression(Patterns.UnifiedSocialCreditCode)]
    public string? CreditCode { get; init; }

    [Description("A mobile number or a landline.")]
    [RegularExpression(Patterns.Phone)]
    public string? Phone { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<ApplicantKind>))]
public enum ApplicantKind
{
    [JsonStringEnumMemberName("person")] Person,
    [JsonStringEnumMemberName("enterprise")] Enterprise,
}

/// <summary>A material file the departments fetch: its code in the item, an https URI and optionally its SHA-256.</summary>
public sealed record MaterialInput
{
    [MaxLength(FieldLimits.Code)]
    public required string Code { get; init; }

    [MaxLength(FieldLimits.Uri)]
    [RegularExpression(Patterns.HttpsUri)]
    public required string Uri { get; init; }

    [RegularExpression(Patterns.Sha256)]
    public string? Sha256 { get; init; }
}

/// <summary>How the results reach the applicant; <c>address</c> is required when they are mailed.</summary>
public sealed record DeliveryInput
{
    public required DeliveryMethod Method { get; init; }

    [MaxLength(FieldLimits.Address)]
    public string? Address { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<DeliveryMethod>))]
public enum DeliveryMethod
{
    [JsonStringEnumMemberName("mail")] Mail,
    [JsonStringEnumMemberName("pickup")] Pickup,
}

/// <summary>A deferrable material promised later: by the end of a day in Beijing (yyyy-MM-dd) or by a date-time with offset.</summary>
public sealed record DeferredMaterialInput
{
    [MaxLength(FieldLimits.Code)]
    public required string Code { get; init; }

    [MaxLength(FieldLimits.Token)]
    public string? PromisedBy { get; init; }
}

/// <summary><c>POST /api/cases/{caseId}/supplements</c>: the materials (and form values) a department asked for.</summary>
public sealed record SupplyRequest
{
    [MaxLength(FieldLimits.ListEntries)]
    public IReadOnlyList<MaterialInput>? Materials { get; init; }

    [Description("Form values to correct: field name → value.")]
    public IReadOnlyDictionary<string, JsonElement>? Form { get; init; }
}

/// <summary><c>POST /api/cases/{caseId}/withdraw</c>: the body may be left out.</summary>
public sealed record WithdrawRequest
{
    [MaxLength(FieldLimits.FreeText)]
    public string? Reason { get; init; }
}

/// <summary><c>POST /api/cases/{caseId}/evaluation</c>: 好差评, once, after the case has ended.</summary>
public sealed record EvaluationRequest
{
    [Description("5 = 非常满意 … 1 = 非常不满意.")]
    [Range(1, 5)]
    public required int Rating { get; init; }

    [MaxLength(FieldLimits.FreeText)]
    public string? Comment { get; init; }
}

/// <summary>
/// <c>POST /api/cases/{caseId}/progress</c>: the applicant proves the case is theirs with the last 6 characters of
/// their identity number (an enterprise: of its unified social credit code).
/// </summary>
public sealed record ProgressRequest
{
    [Description("The last 6 characters of the applicant's identity number, or of an enterprise's credit code.")]
    [RegularExpression(Patterns.Last6)]
    public required string IdNumberLast6 { get; init; }
}
