using System.Text;
using System.Text.Json;

namespace OneThing.Bench.Lifecycle;

/// <summary>One matter as the load generator acts on it: who does it, with which key, and the completion body.</summary>
public sealed record MatterModel(string Code, byte[] CodeUtf8, string Department, string Authorization, byte[] CompleteBody);

/// <summary>
/// What the load generator needs from a catalog item, resolved once before the run: per matter the department's
/// bearer header and a ready-serialized completion body holding every declared output.
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
            var outputs = matter.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!).ToDictionary(o => o, o => $"{o}-bench");
            matters.Add(new MatterModel(code, Encoding.UTF8.GetBytes(code), department, $"Bearer {key}",
                JsonSerializer.SerializeToUtf8Bytes(new { outputs })));
        }
        if (matters.Count > 64)
        {
            // Completed matters of a case are tracked as bits of one long.
            throw new ArgumentException($"item {item.GetProperty("code")} has {matters.Count} matters; the bench handles at most 64.");
        }
        return new ItemModel(item.GetProperty("code").GetString()!, matters);
    }

    /// <summary>The index of the matter whose code is <paramref name="code"/> (a JSON string), without allocating.</summary>
    public int IndexOf(JsonElement code)
    {
        for (var i = 0; i < Matters.Count; i++)
        {
            if (code.ValueEquals(Matters[i].CodeUtf8))
            {
                return i;
            }
        }
        return -1;
    }
}
