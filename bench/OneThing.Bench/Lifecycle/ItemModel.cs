using System.Text.Json;
using OneThing.Client;
using OneThing.Contracts.Departments;

namespace OneThing.Bench.Lifecycle;

/// <summary>One matter as the load generator acts on it: who does it, with which key, and the completion it sends.</summary>
public sealed record MatterModel(string Code, string Department, string Key, CompleteTaskRequest Completion);

/// <summary>
/// What the load generator needs from a catalog item, resolved once before the run: per matter the department's
/// key and a completion holding every declared output.
/// </summary>
public sealed class ItemModel
{
    private ItemModel(string code, IReadOnlyList<MatterModel> matters)
    {
        Code = code;
        Matters = matters;
    }

    public string Code { get; }

    /// <summary>Every matter of the item; the application opts into all optional ones, so every case has them all.</summary>
    public IReadOnlyList<MatterModel> Matters { get; }

    public IReadOnlyList<string> Departments => Matters.Select(m => m.Department).Distinct().ToList();

    public static ItemModel From(JsonElement item, ApiKeys keys)
    {
        var matters = new List<MatterModel>();
        foreach (var matter in item.GetProperty("matters").EnumerateArray())
        {
            var code = matter.GetProperty("code").GetString()!;
            var department = matter.GetProperty("department").GetString()!;
            if (!keys.Departments.TryGetValue(department, out var key))
            {
                throw new ArgumentException($"{keys.Source} has no key for department '{department}' (matter {code}); add one or pass --keys-file.");
            }
            var outputs = matter.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!)
                .ToDictionary(o => o, o => JsonSerializer.SerializeToElement($"{o}-bench", ClientJson.Default.String), StringComparer.Ordinal);
            matters.Add(new MatterModel(code, department, key, new CompleteTaskRequest { Outputs = outputs }));
        }
        if (matters.Count > 64)
        {
            // Completed matters of a case are tracked as bits of one long.
            throw new ArgumentException($"item {item.GetProperty("code")} has {matters.Count} matters; the bench handles at most 64.");
        }
        return new ItemModel(item.GetProperty("code").GetString()!, matters);
    }

    /// <summary>The index of the matter whose code is <paramref name="code"/>, or -1.</summary>
    public int IndexOf(string code)
    {
        for (var i = 0; i < Matters.Count; i++)
        {
            if (string.Equals(code, Matters[i].Code, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }
}
