using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Grains.Validation;

namespace OneThing.Grains.Cases.Model;

/// <summary>
/// The item's rules for a supply of materials and form values: each material one the item lists, once; each form value
/// a field of the item, of the field's type, normalised as a submission's would be. Pure; the case applies it before it
/// seals personal values and decides, so a supply costs the API one grain call.
/// </summary>
public static class SupplyValidation
{
    /// <summary>
    /// The supply with its form values normalised, or null with <paramref name="errors"/> naming each bad field.
    /// <paramref name="supply"/>'s form values are the JSON the client sent (a string, number or boolean literal).
    /// </summary>
    public static SupplyMaterials? Normalize(ItemDefinition item, SupplyMaterials supply, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(supply);
        errors = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < supply.Materials.Count; index++)
        {
            var code = supply.Materials[index].Code;
            if (item.Materials.All(m => m.Code != code))
            {
                errors[$"materials[{index}].code"] = [$"Not a material of {item.Code}."];
            }
            else if (!seen.Add(code))
            {
                errors[$"materials[{index}].code"] = ["Listed twice."];
            }
        }
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, json) in supply.Form)
        {
            var field = item.Form.FirstOrDefault(f => f.Name == name);
            if (field is null)
            {
                errors[$"form.{name}"] = [$"Not a field of {item.Code}."];
                continue;
            }
            using var value = JsonDocument.Parse(json);
            if (FormValues.TryNormalize(field.Type, field.Options, value.RootElement, out var normalized, out var error))
            {
                form[name] = normalized;
            }
            else
            {
                errors[$"form.{name}"] = [error ?? "Invalid value."];
            }
        }
        return errors.Count == 0 ? supply with { Form = form } : null;
    }
}
