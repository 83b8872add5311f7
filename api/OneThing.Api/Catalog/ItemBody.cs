using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OneThing.Api.Common;
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
        try
        {
            return item.Deserialize<ItemDefinition>(StrictOptions);
        }
        catch (JsonException error)
        {
            errors.Add(FieldOf(error.Path), FirstSentence(error.Message));
            return null;
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
