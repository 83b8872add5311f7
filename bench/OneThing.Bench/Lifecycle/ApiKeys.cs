using System.Text.Json;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// The keys the load generator presents: one portal key, one key per department and, for the scenarios that publish
/// an item, an ops key (null when the file has none). Read from an appsettings-style
/// file (section <c>OneThing:Auth:Keys</c>), by default the API's own development settings, so the bench cannot
/// drift from the keys the API accepts.
/// </summary>
public sealed record ApiKeys(string Portal, IReadOnlyDictionary<string, string> Departments, string Source, string? Ops = null)
{
    public const string DevelopmentSettings = "api/OneThing.Api/appsettings.Development.json";

    public static ApiKeys Load(string? keysFile, string? portalKey)
    {
        var path = keysFile ?? FindDevelopmentSettings()
            ?? throw new ArgumentException($"Cannot find {DevelopmentSettings} above the working folder; pass --keys-file.");
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        // ReadAllText drops a byte-order mark, which the JSON reader would refuse.
        using var document = JsonDocument.Parse(File.ReadAllText(path), options);

        string? portal = null;
        string? ops = null;
        var departments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Entries(Child(Child(Child(document.RootElement, "OneThing"), "Auth"), "Keys")))
        {
            var key = Text(entry, "Key");
            var role = Text(entry, "Role");
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }
            if (string.Equals(role, "portal", StringComparison.OrdinalIgnoreCase))
            {
                portal ??= key;
            }
            else if (string.Equals(role, "ops", StringComparison.OrdinalIgnoreCase))
            {
                ops ??= key;
            }
            else if (string.Equals(role, "department", StringComparison.OrdinalIgnoreCase) && Text(entry, "Department") is { Length: > 0 } department)
            {
                departments.TryAdd(department, key);
            }
        }

        portal = portalKey ?? portal
            ?? throw new ArgumentException($"{path} has no key of role portal under OneThing:Auth:Keys; pass --portal-key.");
        return new ApiKeys(portal, departments, path, ops);
    }

    /// <summary>The bench runs from the repository root (bench.sh) or from its own output folder (an IDE).</summary>
    private static string? FindDevelopmentSettings()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, DevelopmentSettings);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    // Configuration keys are case-insensitive, and a list may be written as an object indexed "0", "1", ...
    private static JsonElement Child(JsonElement node, string name)
    {
        if (node.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in node.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return property.Value;
                }
            }
        }
        return default;
    }

    private static IEnumerable<JsonElement> Entries(JsonElement node) => node.ValueKind switch
    {
        JsonValueKind.Array => node.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToList(),
        JsonValueKind.Object => node.EnumerateObject().Select(p => p.Value).Where(e => e.ValueKind == JsonValueKind.Object).ToList(),
        _ => [],
    };

    private static string? Text(JsonElement entry, string name) =>
        Child(entry, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
