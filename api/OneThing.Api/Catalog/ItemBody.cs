using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OneThing.Api.Common;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

/// <summary>
/// Reads an item sent to <c>PUT /api/items/{code}</c>: the shape <c>GET /api/items/{code}</c> returns (its <c>region</c>
/// says which variant the version belongs to; <c>regions</c> is ignored), read as strictly
/// as the catalog files (a missing or misspelt property is an error with its JSON path, not a default). Whether the
/// item can run is the catalog grain's question; this only answers whether it is an item at all.
/// </summary>
public static class ItemBody
{
    private static readonly string[] RequiredFields = ["name", "audience", "leadDepartment", "timeLimit", "form", "materials", "matters"];

    private static JsonSerializerOptions StrictOptions => CatalogJson.Options;

    public static ItemDefinition? Read(string code, JsonElement body, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (CodeProblem(code) is { } codeProblem)
        {
            errors.Add("code", codeProblem);
            return null;
        }
        var item = JsonObject.Create(body)!;
        if (item["code"] is { } bodyCode && (bodyCode.GetValueKind() != JsonValueKind.String || bodyCode.GetValue<string>() != code))
        {
            errors.Add("code", $"The body's code must be the URL's ('{code}') or be left out.");
        }
        foreach (var field in RequiredFields.Where(field => item[field] is null))
        {
            errors.Add(field, "Required.");
        }
        if (errors.Any)
        {
            return null;
        }

        item["code"] = code;
        // The server numbers versions, so a body copied from GET (with the old number) or without one is the same item.
        item["version"] = 1;
        // GET adds the regions that have variants; the catalog knows them, a definition does not carry them.
        item.Remove("regions");
        ItemDefinition? definition;
        try
        {
            definition = item.Deserialize<ItemDefinition>(StrictOptions);
        }
        catch (JsonException error)
        {
            errors.Add(FieldOf(error.Path), FirstSentence(error.Message));
            return null;
        }
        if (definition is not null)
        {
            CheckLengths(definition, errors);
        }
        return errors.Any ? null : definition;
    }

    /// <summary>Why <paramref name="code"/> cannot name an item: kebab-case, at most <see cref="FieldLimits.Code"/> characters.</summary>
    public static string? CodeProblem(string code) =>
        IsKebabCase(code) && code.Length <= FieldLimits.Code
            ? null
            : $"An item code is kebab-case (like 'open-restaurant') of at most {FieldLimits.Code} characters.";

    /// <summary><c>^[a-z][a-z0-9]*(-[a-z0-9]+)*$</c>, as a loop.</summary>
    public static bool IsKebabCase(string? code)
    {
        if (string.IsNullOrEmpty(code) || !char.IsAsciiLetterLower(code[0]) || code[^1] == '-')
        {
            return false;
        }
        for (var i = 1; i < code.Length; i++)
        {
            var c = code[i];
            var allowed = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || (c == '-' && code[i - 1] != '-');
            if (!allowed)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Every text of a definition is served with every case of it, so each has a limit (README lists them).</summary>
    private static void CheckLengths(ItemDefinition item, FieldErrors errors)
    {
        Limit(item.Name, "name", FieldLimits.Name, errors);
        Limit(item.Audience, "audience", FieldLimits.Code, errors);
        Limit(item.LeadDepartment, "leadDepartment", FieldLimits.Code, errors);
        Limit(item.Description, "description", FieldLimits.FreeText, errors);
        Limit(item.Region, "region", FieldLimits.Code, errors);
        CheckTimeLimit(item.TimeLimit, "timeLimit", errors);
        if (Count(item.Form, "form", errors))
        {
            for (var i = 0; i < item.Form.Count; i++)
            {
                var field = item.Form[i];
                Limit(field.Name, $"form[{i}].name", FieldLimits.Code, errors);
                Limit(field.Label, $"form[{i}].label", FieldLimits.Name, errors);
                Limit(field.Type, $"form[{i}].type", FieldLimits.Code, errors);
                if (field.Options is { } options && Count(options, $"form[{i}].options", errors))
                {
                    for (var j = 0; j < options.Count; j++)
                    {
                        Limit(options[j], $"form[{i}].options[{j}]", FieldLimits.Name, errors);
                    }
                }
            }
        }
        if (Count(item.Materials, "materials", errors))
        {
            for (var i = 0; i < item.Materials.Count; i++)
            {
                Limit(item.Materials[i].Code, $"materials[{i}].code", FieldLimits.Code, errors);
                Limit(item.Materials[i].Name, $"materials[{i}].name", FieldLimits.Name, errors);
            }
        }
        if (Count(item.Matters, "matters", errors))
        {
            for (var i = 0; i < item.Matters.Count; i++)
            {
                var matter = item.Matters[i];
                Limit(matter.Code, $"matters[{i}].code", FieldLimits.Code, errors);
                Limit(matter.Name, $"matters[{i}].name", FieldLimits.Name, errors);
                Limit(matter.Department, $"matters[{i}].department", FieldLimits.Code, errors);
                CheckTimeLimit(matter.TimeLimit, $"matters[{i}].timeLimit", errors);
                Codes(matter.DependsOn, $"matters[{i}].dependsOn", errors);
                Codes(matter.Inputs, $"matters[{i}].inputs", errors);
                Codes(matter.Outputs, $"matters[{i}].outputs", errors);
            }
        }
    }

    /// <summary>A year of working days at most: deadlines are counted day by day through the calendar.</summary>
    public const int MaxWorkingDays = 250;

    private static void CheckTimeLimit(TimeLimit? limit, string path, FieldErrors errors)
    {
        if (limit?.WorkingDays is > MaxWorkingDays)
        {
            errors.Add($"{path}.workingDays", $"At most {MaxWorkingDays} working days.");
        }
        Limit(limit?.Duration, $"{path}.duration", FieldLimits.Token, errors);
    }

    private static void Codes(IReadOnlyList<string>? codes, string path, FieldErrors errors)
    {
        if (codes is not null && Count(codes, path, errors))
        {
            for (var i = 0; i < codes.Count; i++)
            {
                Limit(codes[i], $"{path}[{i}]", FieldLimits.Code, errors);
            }
        }
    }

    private static bool Count<T>(IReadOnlyList<T>? list, string path, FieldErrors errors)
    {
        if (list is { Count: > FieldLimits.ListEntries })
        {
            errors.Add(path, $"At most {FieldLimits.ListEntries} entries.");
            return false;
        }
        return list is not null;
    }

    private static void Limit(string? text, string path, int maxLength, FieldErrors errors)
    {
        if (text is { } value && value.Length > maxLength)
        {
            errors.Add(path, $"At most {maxLength} characters.");
        }
    }

    /// <summary><c>$.matters[2].dependsOn</c> → <c>matters[2].dependsOn</c>; the root is the body.</summary>
    private static string FieldOf(string? path) =>
        path is null or "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>System.Text.Json appends the path and position, which the field key already says.</summary>
    private static string FirstSentence(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }
}
