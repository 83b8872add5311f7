using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// A valid application for an item (every form field filled by its type, every material attached, every optional
/// matter opted in), serialized once. Each case copies the bytes and overwrites fixed-width 18-character slots with
/// fresh identity numbers, so submissions differ per citizen without re-serializing anything.
/// </summary>
public sealed class ApplicationTemplate
{
    private const string Phone = "13800138000";

    private readonly byte[] _template;
    private readonly (int Offset, bool CreditCode)[] _slots;
    private readonly long _seedBase;
    private long _cases;

    private ApplicationTemplate(byte[] template, (int Offset, bool CreditCode)[] slots, long seedBase)
    {
        _template = template;
        _slots = slots;
        _seedBase = seedBase;
    }

    public int Length => _template.Length;

    /// <param name="region">Where the applicant files (null: nowhere in particular); it picks the item's variant.</param>
    public static ApplicationTemplate For(JsonElement item, string? region, DateOnly today)
    {
        var slotKinds = new List<bool>();
        string Slot(bool creditCode)
        {
            slotKinds.Add(creditCode);
            return PlaceholderOf(slotKinds.Count - 1);
        }

        var form = new JsonObject();
        foreach (var field in item.GetProperty("form").EnumerateArray())
        {
            var name = field.GetProperty("name").GetString()!;
            form[name] = field.GetProperty("type").GetString() switch
            {
                "date" => JsonValue.Create(today.AddDays(-3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                "integer" => JsonValue.Create(12),
                "boolean" => JsonValue.Create(true),
                "idNumber" => JsonValue.Create(Slot(creditCode: false)),
                "creditCode" => JsonValue.Create(Slot(creditCode: true)),
                "phone" => JsonValue.Create(Phone),
                "enum" => JsonValue.Create(field.GetProperty("options")[0].GetString()),
                _ => JsonValue.Create($"测试{name}"),
            };
        }

        var materials = new JsonArray();
        foreach (var material in item.GetProperty("materials").EnumerateArray())
        {
            var code = material.GetProperty("code").GetString()!;
            materials.Add(new JsonObject
            {
                ["code"] = code,
                ["uri"] = $"https://files.example.gov.cn/bench/{code}.pdf",
                ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(code))),
            });
        }

        var optional = new JsonArray();
        foreach (var matter in item.GetProperty("matters").EnumerateArray().Where(m => m.GetProperty("optional").GetBoolean()))
        {
            optional.Add(matter.GetProperty("code").GetString());
        }

        var enterprise = item.GetProperty("audience").GetString() == "enterprise";
        var application = new JsonObject
        {
            ["itemCode"] = item.GetProperty("code").GetString(),
            ["channel"] = "online",
            ["region"] = region,
            ["applicant"] = enterprise
                ? new JsonObject { ["kind"] = "enterprise", ["name"] = "重庆测试餐饮有限公司", ["creditCode"] = Slot(creditCode: true), ["phone"] = Phone }
                : new JsonObject { ["kind"] = "person", ["name"] = "张三", ["idNumber"] = Slot(creditCode: false), ["phone"] = Phone },
            ["form"] = form,
            ["materials"] = materials,
            ["optionalMatters"] = optional,
            ["delivery"] = new JsonObject { ["method"] = "mail", ["address"] = "重庆市渝中区测试路1号" },
        };

        // Chinese text as UTF-8 rather than \u escapes: what a real portal sends, and fewer bytes.
        var bytes = Encoding.UTF8.GetBytes(application.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var slots = new (int, bool)[slotKinds.Count];
        for (var i = 0; i < slots.Length; i++)
        {
            var offset = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(PlaceholderOf(i)));
            slots[i] = offset >= 0 ? (offset, slotKinds[i]) : throw new InvalidOperationException($"placeholder {i} vanished from the application");
        }
        // Runs started close together still get other citizens, so the applicant read model is not one hot row.
        var seedBase = Random.Shared.NextInt64(0, 1_000_000) * 16;
        return new ApplicationTemplate(bytes, slots, seedBase);
    }

    /// <summary>Writes the next case's application into <paramref name="target"/> (at least <see cref="Length"/> bytes).</summary>
    public int Write(Span<byte> target)
    {
        _template.CopyTo(target);
        var @case = Interlocked.Increment(ref _cases);
        for (var i = 0; i < _slots.Length; i++)
        {
            var seed = _seedBase + (@case * _slots.Length) + i;
            var slot = target.Slice(_slots[i].Offset, Identities.Length);
            if (_slots[i].CreditCode)
            {
                Identities.WriteCreditCode(slot, seed);
            }
            else
            {
                Identities.WriteIdNumber(slot, seed);
            }
        }
        return _template.Length;
    }

    // 18 ASCII characters, as long as the numbers that replace them, and nothing the serializer would escape.
    private static string PlaceholderOf(int index) => string.Create(CultureInfo.InvariantCulture, $"IDSLOT{index:D2}__________");
}
