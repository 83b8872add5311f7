using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using OneThing.Api.Common;
using OneThing.Contracts;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Validation;

namespace OneThing.Api.Catalog;

/// <summary>
/// The JSON Schema (draft 2020-12) of the item-specific parts of an application for one item variant and version: its
/// form, its materials and its optional matters. <c>GET /api/items/{code}/form-schema</c> serves <see cref="Text"/>,
/// and submissions are validated with the schema built from that same text.
/// </summary>
/// <remarks>
/// What a schema cannot say stays a check in code after it: the check characters of identity numbers (GB 11643) and
/// credit codes (GB 32100), real calendar dates, unpaired surrogates, and that a material's https URI names a host.
/// </remarks>
public sealed class ApplicationSchema
{
    public const string MediaType = "application/schema+json";

    /// <summary>The draft the schema declares and is built with.</summary>
    private const string Draft = "https://json-schema.org/draft/2020-12/schema";

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    private readonly ItemDefinition _item;
    private readonly JsonSchema _schema;
    private readonly IReadOnlyList<MaterialDefinition> _requiredNow;

    private ApplicationSchema(ItemDefinition item)
    {
        _item = item;
        _requiredNow = [.. item.Materials.Where(m => m.Required && !m.Deferrable)];
        Text = Describe(item, _requiredNow).ToJsonString(ViewJson.Options);
        // A registry of its own: the schema has no $id, and builds of other items must not meet it.
        _schema = JsonSchema.FromText(Text, new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 });
    }

    /// <summary>The schema as served.</summary>
    public string Text { get; }

    /// <summary>
    /// The schema of <paramref name="item"/>, built once per definition: found by reference while the API keeps the
    /// same item instance, else by its JSON (an item arrives anew from the catalog after each refresh).
    /// </summary>
    public static ApplicationSchema For(ItemDefinition item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return ByInstance.GetValue(item, static item =>
            ByDefinition.GetOrAdd(JsonSerializer.Serialize(item, CatalogJson.Options), static (_, item) => new ApplicationSchema(item), item));
    }

    private static readonly ConditionalWeakTable<ItemDefinition, ApplicationSchema> ByInstance = [];

    // One entry per distinct definition the process has met: items × regions × versions.
    private static readonly ConcurrentDictionary<string, ApplicationSchema> ByDefinition = new(StringComparer.Ordinal);

    /// <summary>
    /// Validates <paramref name="application"/> with the schema and adds an error for each field it refuses that
    /// <paramref name="errors"/> does not name yet (the reads in code, which run first, word most of them).
    /// </summary>
    public void Validate(JsonElement application, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var results = _schema.Evaluate(application, Evaluation);
        if (results.IsValid)
        {
            return;
        }
        foreach (var detail in results.Details ?? [])
        {
            // Items tried against a contains and failing are how contains works, not errors of those items.
            if (detail.Errors is not { Count: > 0 } || detail.EvaluationPath.ToString().Contains("/contains", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var (keyword, message) in detail.Errors)
            {
                foreach (var (field, error) in Explain(application, detail.InstanceLocation.ToString(), detail.EvaluationPath.ToString(), keyword, message))
                {
                    if (!errors.Has(field))
                    {
                        errors.Add(field, error);
                    }
                }
            }
        }
    }

    private IEnumerable<(string Field, string Error)> Explain(JsonElement application, string instance, string evaluation, string keyword, string message)
    {
        var path = instance.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Unescape).ToArray();
        if (keyword == "required" && path is [] or ["form"])
        {
            var form = application.ValueKind == JsonValueKind.Object && application.TryGetProperty("form", out var f) && f.ValueKind == JsonValueKind.Object
                ? f
                : default;
            foreach (var field in _item.Form.Where(field => field.Required && (form.ValueKind != JsonValueKind.Object || !form.TryGetProperty(field.Name, out _))))
            {
                yield return ($"form.{field.Name}", $"Required ({field.Label}).");
            }
            if (path is [] && _requiredNow.Count > 0 && !(application.ValueKind == JsonValueKind.Object && application.TryGetProperty("materials", out _)))
            {
                yield return ("materials", MissingMaterial(_requiredNow[0]));
            }
            yield break;
        }
        switch (path)
        {
            case ["form", var name]:
                var field = _item.Form.FirstOrDefault(f => f.Name == name);
                if (field is null)
                {
                    yield return ($"form.{JsonBody.Shorten(name)}", $"Not a field of {_item.Code}.");
                }
                else
                {
                    var value = application.GetProperty("form").GetProperty(name);
                    yield return ($"form.{name}", FormValues.TryNormalize(field.Type, field.Options, value, out _, out var error)
                        ? $"Does not match the field's schema ({keyword})."
                        : error ?? "Invalid value.");
                }
                break;
            case ["materials"] when keyword == "contains" && MaterialOf(evaluation) is { } missing:
                yield return ("materials", MissingMaterial(missing));
                break;
            case ["materials", var index, "code"] when keyword == "enum":
                yield return ($"materials[{index}].code", $"Not a material of {_item.Code}.");
                break;
            case ["optionalMatters", _] when keyword == "enum":
                yield return ("optionalMatters", $"Not an optional matter of {_item.Code}.");
                break;
            default:
                yield return (FieldOf(path), $"{message.TrimEnd('.')}.");
                break;
        }
    }

    /// <summary>The required material whose <c>contains</c> failed: the allOf entry's index is the material's among them.</summary>
    private MaterialDefinition? MaterialOf(string evaluation)
    {
        var parts = evaluation.Split('/');
        var at = Array.IndexOf(parts, "allOf");
        return at >= 0 && at + 1 < parts.Length && int.TryParse(parts[at + 1], out var index) && index < _requiredNow.Count
            ? _requiredNow[index]
            : null;
    }

    private static string MissingMaterial(MaterialDefinition material) => $"Missing required material {material.Code} ({material.Name}).";

    /// <summary>A JSON Pointer as the field path errors use: <c>/materials/0/uri</c> → <c>materials[0].uri</c>.</summary>
    private static string FieldOf(string[] path)
    {
        var field = "";
        foreach (var part in path)
        {
            field = int.TryParse(part, out _) ? $"{field}[{part}]" : field.Length == 0 ? part : $"{field}.{JsonBody.Shorten(part)}";
        }
        return field.Length == 0 ? "body" : field;
    }

    private static string Unescape(string part) => part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static JsonObject Describe(ItemDefinition item, IReadOnlyList<MaterialDefinition> requiredNow)
    {
        var properties = new JsonObject
        {
            ["form"] = Form(item),
            ["materials"] = Materials(item, requiredNow),
            ["optionalMatters"] = OptionalMatters(item),
        };
        var required = new JsonArray();
        if (item.Form.Any(f => f.Required))
        {
            required.Add("form");
        }
        if (requiredNow.Count > 0)
        {
            required.Add("materials");
        }
        var schema = new JsonObject
        {
            ["$schema"] = Draft,
            ["title"] = $"{item.Name} ({item.Code}{(item.Region is null ? "" : $", {item.Region}")}, version {item.Version})",
            ["description"] = "The item-specific parts of an application to POST /api/cases: form, materials and optionalMatters. " +
                "The rest of the application (itemCode, channel, applicant, delivery, deferredMaterials) is described by the API's " +
                "OpenAPI document. Identity numbers and credit codes are also checked for their check character (GB 11643, GB 32100), " +
                "which a schema cannot express.",
            ["type"] = "object",
            ["properties"] = properties,
        };
        if (required.Count > 0)
        {
            schema["required"] = required;
        }
        return schema;
    }

    private static JsonObject Form(ItemDefinition item)
    {
        var fields = new JsonObject();
        foreach (var field in item.Form)
        {
            var schema = FieldSchema(field);
            schema.Insert(0, "title", field.Label);
            schema["x-fieldType"] = field.Type;
            fields[field.Name] = schema;
        }
        var form = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = fields,
            ["additionalProperties"] = false,
        };
        if (item.Form.Any(f => f.Required))
        {
            form["required"] = new JsonArray([.. item.Form.Where(f => f.Required).Select(f => JsonValue.Create(f.Name))]);
        }
        return form;
    }

    /// <summary>A field's value by its type (<see cref="FormFieldTypes"/>), as <see cref="FormValues"/> accepts it.</summary>
    private static JsonObject FieldSchema(FormField field) => field.Type switch
    {
        FormFieldTypes.String => new JsonObject
        {
            ["type"] = "string",
            ["minLength"] = 1,
            ["maxLength"] = FormValues.MaxStringLength,
            // Not only whitespace; no control characters.
            ["pattern"] = @"^(?=.*\S)[^\x00-\x1F\x7F]*$",
        },
        FormFieldTypes.Date => new JsonObject { ["type"] = "string", ["format"] = "date", ["pattern"] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
        FormFieldTypes.Integer => new JsonObject { ["type"] = "integer", ["minimum"] = long.MinValue, ["maximum"] = long.MaxValue },
        FormFieldTypes.Boolean => new JsonObject { ["type"] = "boolean" },
        FormFieldTypes.IdNumber => Identifier(Patterns.ResidentIdNumberShape,
            "A resident identity number (GB 11643); its check character is checked too."),
        FormFieldTypes.CreditCode => Identifier(Patterns.UnifiedSocialCreditCodeShape,
            "A unified social credit code (GB 32100); its check character is checked too."),
        FormFieldTypes.Phone => Identifier(Patterns.PhoneShape, "A mainland mobile number or landline."),
        FormFieldTypes.Enum => new JsonObject
        {
            ["type"] = "string",
            ["enum"] = new JsonArray([.. (field.Options ?? []).Select(option => JsonValue.Create(option))]),
        },
        _ => throw new InvalidOperationException($"Form field type '{field.Type}' has no schema."),
    };

    /// <summary>Surrounding whitespace and a lower-case letter are accepted (and normalised away), as people paste them.</summary>
    private static JsonObject Identifier(string pattern, string description) => new()
    {
        ["type"] = "string",
        ["pattern"] = $@"^\s*(?:{pattern})\s*$",
        ["description"] = description,
    };

    private static JsonObject Materials(ItemDefinition item, IReadOnlyList<MaterialDefinition> requiredNow)
    {
        var materials = new JsonObject
        {
            ["type"] = "array",
            ["maxItems"] = FieldLimits.ListEntries,
            ["description"] = "The files attached: each required material unless it is deferrable (容缺受理: promised in deferredMaterials).",
            ["items"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["code"] = new JsonObject
                    {
                        ["type"] = "string",
                        ["enum"] = new JsonArray([.. item.Materials.Select(m => JsonValue.Create(m.Code))]),
                    },
                    ["uri"] = new JsonObject { ["type"] = "string", ["maxLength"] = FieldLimits.Uri, ["pattern"] = "^https://" },
                    ["sha256"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9A-Fa-f]{64}$" },
                },
                ["required"] = new JsonArray("code", "uri"),
                ["additionalProperties"] = false,
            },
            // The item's materials as the catalog defines them, with their deferrable marks.
            ["x-materials"] = new JsonArray([.. item.Materials.Select(m => new JsonObject
            {
                ["code"] = m.Code,
                ["name"] = m.Name,
                ["required"] = m.Required,
                ["deferrable"] = m.Deferrable,
            })]),
        };
        if (requiredNow.Count > 0)
        {
            materials["allOf"] = new JsonArray([.. requiredNow.Select(m => new JsonObject
            {
                ["contains"] = new JsonObject
                {
                    ["properties"] = new JsonObject { ["code"] = new JsonObject { ["const"] = m.Code } },
                    ["required"] = new JsonArray("code"),
                },
            })]);
        }
        return materials;
    }

    private static JsonObject OptionalMatters(ItemDefinition item)
    {
        var optional = item.Matters.Where(m => m.Optional).ToList();
        var matters = new JsonObject
        {
            ["type"] = "array",
            ["maxItems"] = optional.Count == 0 ? 0 : FieldLimits.ListEntries,
            ["description"] = "The optional matters the applicant opts into.",
        };
        if (optional.Count > 0)
        {
            matters["items"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray([.. optional.Select(m => JsonValue.Create(m.Code))]),
                // Each matter's name and department, in the enum's order.
                ["x-matters"] = new JsonArray([.. optional.Select(m => new JsonObject
                {
                    ["code"] = m.Code,
                    ["name"] = m.Name,
                    ["department"] = m.Department,
                })]),
            };
        }
        return matters;
    }
}
