using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Primitives;

namespace OneThing.Console.Hall;

/// <summary>
/// The hall window's form, rendered from an item definition, turned into the API's application body; and the API's
/// field paths turned back into the names of the inputs they belong to. Input names are the API's own paths where
/// they can be (<c>form.birthDate</c>, <c>applicant.idNumber</c>); materials are named by code
/// (<c>material.{code}</c>) and their positions in the body remembered.
/// </summary>
public sealed class Application
{
    private readonly List<string> _materialOrder = [];
    private readonly List<string> _deferredOrder = [];

    public JsonObject Body { get; } = new();

    public static string MaterialInput(string code) => $"material.{code}";

    public static string PromiseInput(string code) => $"promise.{code}";

    public static Application From(JsonElement item, string? region, IReadOnlyDictionary<string, StringValues> posted)
    {
        string? Value(string name) => posted.TryGetValue(name, out var v) && !StringValues.IsNullOrEmpty(v) && v.ToString().Trim().Length > 0 ? v.ToString().Trim() : null;

        var application = new Application();
        var body = application.Body;
        body["itemCode"] = item.GetProperty("code").GetString();
        body["channel"] = "hall";
        if (!string.IsNullOrEmpty(region))
        {
            body["region"] = region;
        }
        var enterprise = item.GetProperty("audience").GetString() == "enterprise";
        var applicant = new JsonObject { ["kind"] = enterprise ? "enterprise" : "person", ["name"] = Value("applicant.name") ?? "" };
        applicant[enterprise ? "creditCode" : "idNumber"] = Value(enterprise ? "applicant.creditCode" : "applicant.idNumber")?.ToUpperInvariant();
        if (Value("applicant.phone") is { } phone)
        {
            applicant["phone"] = phone;
        }
        body["applicant"] = applicant;

        var form = new JsonObject();
        foreach (var field in item.GetProperty("form").EnumerateArray())
        {
            var name = field.GetProperty("name").GetString()!;
            var type = field.GetProperty("type").GetString();
            var text = Value($"form.{name}");
            if (type == "boolean")
            {
                form[name] = text is "true" or "on";
            }
            else if (text is null)
            {
                continue;
            }
            else if (type == "integer" && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                form[name] = number;
            }
            else
            {
                // Anything else goes as typed; the API names what is wrong with it.
                form[name] = text;
            }
        }
        body["form"] = form;

        var materials = new JsonArray();
        var deferred = new JsonArray();
        foreach (var material in item.GetProperty("materials").EnumerateArray())
        {
            var code = material.GetProperty("code").GetString()!;
            if (Value(MaterialInput(code)) is { } uri)
            {
                materials.Add(new JsonObject { ["code"] = code, ["uri"] = uri });
                application._materialOrder.Add(code);
            }
            else if (Value(PromiseInput(code)) is { } promisedBy)
            {
                deferred.Add(new JsonObject { ["code"] = code, ["promisedBy"] = promisedBy });
                application._deferredOrder.Add(code);
            }
        }
        body["materials"] = materials;
        if (deferred.Count > 0)
        {
            body["deferredMaterials"] = deferred;
        }
        var optional = new JsonArray();
        if (posted.TryGetValue("optionalMatters", out var chosen))
        {
            foreach (var code in chosen.OfType<string>())
            {
                optional.Add(code);
            }
        }
        body["optionalMatters"] = optional;
        var method = Value("delivery.method") ?? "pickup";
        var delivery = new JsonObject { ["method"] = method };
        if (Value("delivery.address") is { } address)
        {
            delivery["address"] = address;
        }
        body["delivery"] = delivery;
        return application;
    }

    /// <summary>The input an API error path belongs to: <c>materials[1].uri</c> → <c>material.{code}</c>; others as they are.</summary>
    public string InputOf(string path)
    {
        foreach (var (prefix, order, input) in new[] { ("materials[", _materialOrder, (Func<string, string>)MaterialInput), ("deferredMaterials[", _deferredOrder, PromiseInput) })
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
            {
                var end = path.IndexOf(']', StringComparison.Ordinal);
                if (end > prefix.Length && int.TryParse(path.AsSpan(prefix.Length, end - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < order.Count)
                {
                    return input(order[index]);
                }
            }
        }
        return path;
    }
}
