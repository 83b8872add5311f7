using System.Collections.ObjectModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using OneThing.Api.Catalog;
using OneThing.Api.Common;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Validation;

namespace OneThing.Api.Cases;

/// <summary>
/// Turns a submitted application (<see cref="SubmitCaseRequest"/>, its shape checked by the serializer) into a
/// <see cref="SubmitCase"/> after checking it against its item: every failure is reported under its field's path, and
/// nothing reaches a grain until all of it is valid.
/// </summary>
public static class ApplicationReader
{
    /// <summary>
    /// The application against <paramref name="item"/>: the rules in code first, which word their errors, then the
    /// item's JSON Schema (GET /api/items/{code}/form-schema) over <paramref name="body"/>, the same application as JSON,
    /// for whatever it refuses that they did not name.
    /// </summary>
    public static SubmitCase? Read(SubmitCaseRequest application, JsonElement body, ItemDefinition item, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(errors);
        var applicant = ReadApplicant(application.Applicant, item.Audience == "enterprise" ? "enterprise" : "person", item.Name, errors);
        var form = ReadForm(application.Form, item, errors);
        var materials = ReadMaterials(application.Materials, item, errors, requireAll: true);
        var optionalMatters = ReadOptionalMatters(application.OptionalMatters, item, errors);
        var delivery = ReadDelivery(application.Delivery, errors);
        var deferred = ReadDeferredMaterials(application.DeferredMaterials, item, materials, errors);
        ApplicationSchema.For(item).Validate(body, errors);

        return errors.Any
            ? null
            : new SubmitCase(item.Code, StrictEnumConverter.NameOf(application.Channel), RegionQuery.AsSent(application.Region), applicant,
                form, materials, optionalMatters, delivery, "", item.Version, deferred, item.Region);
    }

    /// <summary>A stable hash of the validated application, so a repeated Idempotency-Key can be told apart from a new body.</summary>
    public static string Fingerprint(SubmitCase application) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(application with { Fingerprint = "" }, FingerprintJson)));

    /// <summary>
    /// The spelling fingerprints hash, frozen: stored cases hold fingerprints made with it, so it must not follow the
    /// views' JSON if that changes (the default encoder escapes every non-ASCII character, as it did when views used it).
    /// </summary>
    private static readonly JsonSerializerOptions FingerprintJson = CreateFingerprintJson();

    private static JsonSerializerOptions CreateFingerprintJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { KeepApplicantKey } },
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>The applicant's <c>key</c>, last, as fingerprints spelled it while <see cref="Applicant.Key"/> was serialized.</summary>
    private static void KeepApplicantKey(JsonTypeInfo info)
    {
        if (info.Type == typeof(Applicant))
        {
            var ignored = info.Properties.Single(property => property.Name == "key");
            info.Properties.Remove(ignored);
            var key = info.CreateJsonPropertyInfo(typeof(string), "key");
            key.Get = applicant => ((Applicant)applicant).Key;
            info.Properties.Add(key);
        }
    }

    /// <summary>
    /// Case ids are URL-safe. With an Idempotency-Key the id is derived from it and from the caller's key name, so the
    /// same caller's key always lands on the same case grain, whose stored state remembers the key durably (and across
    /// restarts) without any extra table, while two channels that happen to pick the same key file two cases. The
    /// derivation is keyed (<paramref name="derivationKey"/>): who knows an Idempotency-Key cannot compute its case id.
    /// </summary>
    public static string NewCaseId(byte[] derivationKey, string caller, string? idempotencyKey)
    {
        var bytes = idempotencyKey is null
            ? RandomNumberGenerator.GetBytes(15)
            : HMACSHA256.HashData(derivationKey, Encoding.UTF8.GetBytes($"{caller}\n{idempotencyKey}"))[..15];
        return "c" + Base32(bytes);
    }

    /// <summary>The body's <c>applicant</c>; of kind <paramref name="expectedKind"/> when one is given (the item's audience).</summary>
    public static Applicant ReadApplicant(ApplicantInput applicant, string? expectedKind, string? itemName, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(applicant);
        ArgumentNullException.ThrowIfNull(errors);
        return CheckApplicant(
            StrictEnumConverter.NameOf(applicant.Kind),
            Bounded(applicant.Name, "applicant.name", FieldLimits.Name, errors),
            Bounded(applicant.IdNumber, "applicant.idNumber", FieldLimits.Token, errors),
            Bounded(applicant.CreditCode, "applicant.creditCode", FieldLimits.Token, errors),
            Bounded(applicant.Phone, "applicant.phone", FieldLimits.Token, errors),
            expectedKind, itemName, errors);
    }

    /// <summary>The applicant's rules: kind, name, the identifier its kind needs, the phone.</summary>
    private static Applicant CheckApplicant(
        string kind, string? name, string? idNumber, string? creditCode, string? phone, string? expectedKind, string? itemName, FieldErrors errors)
    {
        if (expectedKind is not null && kind != expectedKind)
        {
            errors.Add("applicant.kind", $"{itemName} is for applicants of kind '{expectedKind}'.");
        }
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) && !errors.Has("applicant.name"))
        {
            errors.Add("applicant.name", $"Required, at most {FieldLimits.Name} characters.");
        }
        idNumber = idNumber?.Trim().ToUpperInvariant();
        creditCode = creditCode?.Trim().ToUpperInvariant();
        if (kind == "person" && !errors.Has("applicant.idNumber") && ResidentIdNumber.Explain(idNumber) is { } idProblem)
        {
            errors.Add("applicant.idNumber", idProblem);
        }
        if (kind == "enterprise" && !errors.Has("applicant.creditCode") && UnifiedSocialCreditCode.Explain(creditCode) is { } codeProblem)
        {
            errors.Add("applicant.creditCode", codeProblem);
        }
        phone = phone?.Trim();
        if (phone is not null && !errors.Has("applicant.phone") && PhoneNumber.Explain(phone) is { } phoneProblem)
        {
            errors.Add("applicant.phone", phoneProblem);
        }
        return new Applicant(kind, name ?? "", kind == "person" ? idNumber : null, kind == "enterprise" ? creditCode : null, phone);
    }

    /// <summary>A typed body's text within <paramref name="maxLength"/>, else an error under <paramref name="field"/>, and null.</summary>
    private static string? Bounded(string? text, string field, int maxLength, FieldErrors errors)
    {
        if (text is { Length: var length } && length > maxLength)
        {
            errors.Add(field, $"At most {maxLength} characters.");
            return null;
        }
        return text;
    }

    /// <summary>
    /// Form values normalised to text by their field's type (<see cref="FormValues"/>); unknown fields are refused so a
    /// typo is not silently dropped, and every required field must be there.
    /// </summary>
    private static Dictionary<string, string> ReadForm(IReadOnlyDictionary<string, JsonElement>? values, ItemDefinition item, FieldErrors errors)
    {
        var form = new Dictionary<string, string>(values?.Count ?? 0, StringComparer.Ordinal);
        foreach (var (name, value) in values ?? ReadOnlyDictionary<string, JsonElement>.Empty)
        {
            AddFormValue(form, item, name, value, errors);
        }
        foreach (var field in item.Form)
        {
            if (field.Required && !form.ContainsKey(field.Name) && !errors.Has($"form.{field.Name}"))
            {
                errors.Add($"form.{field.Name}", $"Required ({field.Label}).");
            }
        }
        return form;
    }

    private static void AddFormValue(Dictionary<string, string> form, ItemDefinition item, string name, JsonElement value, FieldErrors errors)
    {
        foreach (var field in item.Form)
        {
            if (field.Name == name)
            {
                if (FormValues.TryNormalize(field.Type, field.Options, value, out var normalized, out var error))
                {
                    form[field.Name] = normalized;
                }
                else
                {
                    errors.Add($"form.{field.Name}", error ?? "Invalid value.");
                }
                return;
            }
        }
        errors.Add($"form.{JsonBody.Shorten(name)}", $"Not a field of {item.Code}.");
    }

    /// <summary>
    /// The materials listed; with <paramref name="item"/>, each must be one of its materials, once (without, the case
    /// checks that against its own item).
    /// </summary>
    public static List<MaterialRef> ReadMaterials(IReadOnlyList<MaterialInput>? inputs, ItemDefinition? item, FieldErrors errors, bool requireAll)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var materials = new List<MaterialRef>(inputs?.Count ?? 0);
        if (inputs is { Count: > FieldLimits.ListEntries })
        {
            errors.Add("materials", $"At most {FieldLimits.ListEntries} entries.");
            return materials;
        }
        for (var index = 0; index < (inputs?.Count ?? 0); index++)
        {
            var input = inputs![index];
            var path = $"materials[{index}]";
            CheckMaterial(
                Bounded(input.Code, $"{path}.code", FieldLimits.Code, errors),
                Bounded(input.Uri, $"{path}.uri", FieldLimits.Uri, errors),
                Bounded(input.Sha256, $"{path}.sha256", FieldLimits.Token, errors),
                path, item, materials, errors);
        }
        if (requireAll && item is not null)
        {
            RequireMaterials(item, materials, errors);
        }
        return materials;
    }

    /// <summary>One material's rules: the item has it, it is listed once, its URI and hash.</summary>
    private static void CheckMaterial(string? code, string? uri, string? sha256, string path, ItemDefinition? item, List<MaterialRef> materials, FieldErrors errors)
    {
        if (item is not null && (code is null || item.Materials.All(m => m.Code != code)))
        {
            errors.Add($"{path}.code", $"Not a material of {item.Code}.");
        }
        else if (code is not null && materials.Any(m => m.Code == code))
        {
            errors.Add($"{path}.code", "Listed twice.");
        }
        if (!IsFileUri(uri) && !errors.Has($"{path}.uri"))
        {
            errors.Add($"{path}.uri", $"Required: an absolute https URI (at most {FieldLimits.Uri} characters) where the department can fetch the file.");
        }
        if (sha256 is not null && (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit)))
        {
            errors.Add($"{path}.sha256", "Must be 64 hexadecimal characters.");
        }
        if (code is not null && uri is not null)
        {
            materials.Add(new MaterialRef(code, uri, sha256?.ToLowerInvariant()));
        }
    }

    /// <summary>容缺受理: a deferrable material may follow later; every other required one must be here now.</summary>
    private static void RequireMaterials(ItemDefinition item, List<MaterialRef> materials, FieldErrors errors)
    {
        foreach (var material in item.Materials.Where(m => m.Required && !m.Deferrable && materials.All(r => r.Code != m.Code)))
        {
            errors.Add("materials", $"Missing required material {material.Code} ({material.Name}).");
        }
    }

    /// <summary>
    /// Departments' systems fetch material files from these URIs, so only https to a named host: no <c>javascript:</c>,
    /// <c>file:</c> or plain <c>http:</c>.
    /// </summary>
    public static bool IsFileUri(string? uri) =>
        uri is { Length: > 0 and <= FieldLimits.Uri }
        && Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
        && parsed.Scheme == Uri.UriSchemeHttps
        && parsed.Host.Length > 0;

    /// <summary>
    /// 容缺受理: a required material the item marks deferrable may be missing. It is then promised by the date in
    /// <c>deferredMaterials[].promisedBy</c> (a date means the end of that day, Beijing time), or within the default
    /// number of working days the case grain applies when no date is given.
    /// </summary>
    private static List<DeferredMaterial> ReadDeferredMaterials(
        IReadOnlyList<DeferredMaterialInput>? inputs, ItemDefinition item, List<MaterialRef> materials, FieldErrors errors)
    {
        var promises = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (inputs is { Count: > FieldLimits.ListEntries })
        {
            errors.Add("deferredMaterials", $"At most {FieldLimits.ListEntries} entries.");
            return [];
        }
        for (var index = 0; index < (inputs?.Count ?? 0); index++)
        {
            var input = inputs![index];
            var path = $"deferredMaterials[{index}]";
            var code = Bounded(input.Code, $"{path}.code", FieldLimits.Code, errors);
            var material = item.Materials.FirstOrDefault(m => m.Code == code);
            if (material is not { Deferrable: true })
            {
                errors.Add($"{path}.code", $"Not a deferrable material of {item.Code}.");
                continue;
            }
            if (materials.Any(m => m.Code == code))
            {
                errors.Add($"{path}.code", "Attached already; nothing to defer.");
                continue;
            }
            var text = Bounded(input.PromisedBy, $"{path}.promisedBy", FieldLimits.Token, errors);
            if (text is null)
            {
                continue;
            }
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                promises[material.Code] = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8));
            }
            else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            {
                promises[material.Code] = at;
            }
            else
            {
                errors.Add($"{path}.promisedBy", "A date (yyyy-MM-dd, meaning the end of that day in Beijing) or a date-time with offset.");
            }
        }
        return item.Materials
            .Where(m => m.Required && m.Deferrable && materials.All(r => r.Code != m.Code))
            .Select(m => new DeferredMaterial(m.Code, promises.GetValueOrDefault(m.Code)))
            .ToList();
    }

    private static List<string> ReadOptionalMatters(IReadOnlyList<string>? matters, ItemDefinition item, FieldErrors errors)
    {
        var codes = new List<string>();
        if (matters is null)
        {
            return codes;
        }
        if (matters.Count > FieldLimits.ListEntries)
        {
            errors.Add("optionalMatters", $"At most {FieldLimits.ListEntries} entries.");
            return codes;
        }
        for (var index = 0; index < matters.Count; index++)
        {
            var code = matters[index];
            if (item.FindMatter(code) is not { Optional: true })
            {
                errors.Add("optionalMatters", $"'{JsonBody.Shorten(code)}' is not an optional matter of {item.Code}.");
            }
            else if (!codes.Contains(code))
            {
                codes.Add(code);
            }
        }
        return codes;
    }

    private static Delivery? ReadDelivery(DeliveryInput? delivery, FieldErrors errors)
    {
        if (delivery is null)
        {
            return null;
        }
        var address = Bounded(delivery.Address, "delivery.address", FieldLimits.Address, errors)?.Trim();
        if (delivery.Method == DeliveryMethod.Mail && string.IsNullOrEmpty(address) && !errors.Has("delivery.address"))
        {
            errors.Add("delivery.address", "Required when results are mailed.");
        }
        return new Delivery(StrictEnumConverter.NameOf(delivery.Method), address);
    }

    private static string Base32(byte[] bytes)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var text = new StringBuilder(bytes.Length * 8 / 5);
        for (var bit = 0; bit + 5 <= bytes.Length * 8; bit += 5)
        {
            var value = 0;
            for (var i = 0; i < 5; i++)
            {
                var b = bit + i;
                value = (value << 1) | ((bytes[b / 8] >> (7 - (b % 8))) & 1);
            }
            text.Append(alphabet[value]);
        }
        return text.ToString();
    }
}
