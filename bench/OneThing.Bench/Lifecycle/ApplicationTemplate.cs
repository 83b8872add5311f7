using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OneThing.Client;
using OneThing.Contracts.Cases;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// A valid application for an item (every form field filled by its type, every material attached, every optional
/// matter opted in), built once. Each case gets fresh identity numbers in the applicant and in the form's identity
/// fields: <see cref="Next"/> as a typed request, <see cref="Write"/> as bytes over a copy of the serialized template.
/// </summary>
public sealed class ApplicationTemplate
{
    private const string Phone = "13800138000";

    // Chinese text as UTF-8 rather than \u escapes: what a real portal sends, and fewer bytes.
    private static readonly JsonSerializerOptions RawUtf8 = new(ClientJson.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SubmitCaseRequest _request;
    private readonly (string? FormField, bool CreditCode)[] _fields;
    private readonly byte[] _template;
    private readonly (int Offset, bool CreditCode)[] _slots;
    private readonly long _seedBase;
    private long _cases;

    private ApplicationTemplate(SubmitCaseRequest request, (string? FormField, bool CreditCode)[] fields, byte[] template, (int Offset, bool CreditCode)[] slots, long seedBase)
    {
        _request = request;
        _fields = fields;
        _template = template;
        _slots = slots;
        _seedBase = seedBase;
    }

    public int Length => _template.Length;

    /// <param name="region">Where the applicant files (null: nowhere in particular); it picks the item's variant.</param>
    public static ApplicationTemplate For(JsonElement item, string? region, DateOnly today)
    {
        var slotKinds = new List<(string? FormField, bool CreditCode)>();
        JsonElement Slot(string? formField, bool creditCode)
        {
            slotKinds.Add((formField, creditCode));
            return Text(PlaceholderOf(slotKinds.Count - 1));
        }

        var form = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var field in item.GetProperty("form").EnumerateArray())
        {
            var name = field.GetProperty("name").GetString()!;
            form[name] = field.GetProperty("type").GetString() switch
            {
                "date" => Text(today.AddDays(-3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                "integer" => JsonSerializer.SerializeToElement(12, ClientJson.Default.Int32),
                "boolean" => JsonSerializer.SerializeToElement(true, ClientJson.Default.Boolean),
                "idNumber" => Slot(name, creditCode: false),
                "creditCode" => Slot(name, creditCode: true),
                "phone" => Text(Phone),
                "enum" => Text(field.GetProperty("options")[0].GetString()!),
                _ => Text($"测试{name}"),
            };
        }

        var enterprise = item.GetProperty("audience").GetString() == "enterprise";
        var applicantSlot = PlaceholderOf(slotKinds.Count);
        slotKinds.Add((null, enterprise));
        var request = new SubmitCaseRequest
        {
            ItemCode = item.GetProperty("code").GetString()!,
            Channel = Channel.Online,
            Region = region,
            Applicant = enterprise
                ? new ApplicantInput { Kind = ApplicantKind.Enterprise, Name = "重庆测试餐饮有限公司", CreditCode = applicantSlot, Phone = Phone }
                : new ApplicantInput { Kind = ApplicantKind.Person, Name = "张三", IdNumber = applicantSlot, Phone = Phone },
            Form = form,
            Materials = [.. item.GetProperty("materials").EnumerateArray().Select(material => material.GetProperty("code").GetString()!).Select(code => new MaterialInput
            {
                Code = code,
                Uri = $"https://files.example.gov.cn/bench/{code}.pdf",
                Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(code))),
            })],
            OptionalMatters = [.. item.GetProperty("matters").EnumerateArray().Where(m => m.GetProperty("optional").GetBoolean())
                .Select(m => m.GetProperty("code").GetString()!)],
            Delivery = new DeliveryInput { Method = DeliveryMethod.Mail, Address = "重庆市渝中区测试路1号" },
        };

        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, RawUtf8.GetTypeInfo(typeof(SubmitCaseRequest)));
        var slots = new (int, bool)[slotKinds.Count];
        for (var i = 0; i < slots.Length; i++)
        {
            var offset = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(PlaceholderOf(i)));
            slots[i] = offset >= 0 ? (offset, slotKinds[i].CreditCode) : throw new InvalidOperationException($"placeholder {i} vanished from the application");
        }
        // Runs started close together still get other citizens, so the applicant read model is not one hot row.
        var seedBase = Random.Shared.NextInt64(0, 1_000_000) * 16;
        return new ApplicationTemplate(request, [.. slotKinds], bytes, slots, seedBase);

        static JsonElement Text(string text) => JsonSerializer.SerializeToElement(text, ClientJson.Default.String);
    }

    /// <summary>The next case's application: the template with fresh identity numbers.</summary>
    public SubmitCaseRequest Next()
    {
        var @case = Interlocked.Increment(ref _cases);
        var form = new Dictionary<string, JsonElement>(_request.Form!, StringComparer.Ordinal);
        var applicant = _request.Applicant;
        Span<byte> number = stackalloc byte[Identities.Length];
        for (var i = 0; i < _fields.Length; i++)
        {
            var (field, creditCode) = _fields[i];
            WriteIdentity(number, SeedOf(@case, i), creditCode);
            var text = Encoding.ASCII.GetString(number);
            if (field is not null)
            {
                form[field] = JsonSerializer.SerializeToElement(text, ClientJson.Default.String);
            }
            else
            {
                applicant = creditCode ? applicant with { CreditCode = text } : applicant with { IdNumber = text };
            }
        }
        return _request with { Applicant = applicant, Form = form };
    }

    /// <summary>Writes the next case's application into <paramref name="target"/> (at least <see cref="Length"/> bytes).</summary>
    public int Write(Span<byte> target)
    {
        _template.CopyTo(target);
        var @case = Interlocked.Increment(ref _cases);
        for (var i = 0; i < _slots.Length; i++)
        {
            var slot = target.Slice(_slots[i].Offset, Identities.Length);
            WriteIdentity(slot, SeedOf(@case, i), _slots[i].CreditCode);
        }
        return _template.Length;
    }

    private long SeedOf(long @case, int slot) => _seedBase + (@case * _slots.Length) + slot;

    private static void WriteIdentity(Span<byte> target, long seed, bool creditCode)
    {
        if (creditCode)
        {
            Identities.WriteCreditCode(target, seed);
        }
        else
        {
            Identities.WriteIdNumber(target, seed);
        }
    }

    // 18 ASCII characters, as long as the numbers that replace them, and nothing the serializer would escape.
    private static string PlaceholderOf(int index) => string.Create(CultureInfo.InvariantCulture, $"IDSLOT{index:D2}__________");
}
