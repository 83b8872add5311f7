using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Webhooks;

/// <summary>A message for the applicant's SMS or app gateway: the only body that carries the phone number.</summary>
public sealed record ApplicantNotice(string CaseId, string Phone, string Template, IReadOnlyDictionary<string, string> Params, string Text);

/// <summary>
/// What an applicant is told, and when. Texts come from templates: the catalog's per event type
/// (<c>catalog/notices.json</c>), which an item overrides with its own <c>notices</c>. <c>{name}</c> placeholders are
/// filled from the params.
/// </summary>
public static class ApplicantNotices
{
    /// <summary>The event types an applicant is told about; other types are never queued for a notice subscription.</summary>
    public static readonly string[] EventTypes = ["SupplementRequested", "TaskCompleted", "CaseCompleted", "CaseRejected", "Overdue"];

    /// <summary>The placeholders a template may use; each event type fills those that concern it, the others are empty.</summary>
    public static readonly IReadOnlySet<string> Placeholders =
        new HashSet<string>(StringComparer.Ordinal) { "caseId", "itemName", "materials", "note", "matterName", "certificate", "reason" };

    /// <summary>Why a template (of <c>catalog/notices.json</c> or an item's <c>notices</c>) is not one; null when it is.</summary>
    public static string? TemplateProblem(string eventType, string template)
    {
        if (!EventTypes.Contains(eventType))
        {
            return $"'{eventType}' is not an event applicants are told of ({string.Join(", ", EventTypes)})";
        }
        if (string.IsNullOrWhiteSpace(template) || template.Length > 500)
        {
            return $"the template of {eventType} must be 1 to 500 characters";
        }
        var unknown = System.Text.RegularExpressions.Regex.Matches(template, @"\{([^{}]*)\}").Select(m => m.Groups[1].Value).FirstOrDefault(name => !Placeholders.Contains(name));
        return unknown is null ? null : $"the template of {eventType} names an unknown placeholder {{{unknown}}} (known: {string.Join(", ", Placeholders)})";
    }

    /// <summary>
    /// When a round of 补正 requests closes (一次告知): the requests departments make until then reach the applicant as
    /// one notice. By default the end of the working day of the first request (of the next working day when it came
    /// on a rest day), in China time; <paramref name="window"/>, when set, closes it that long after the first request.
    /// </summary>
    public static DateTimeOffset SupplementRoundCloses(DateTimeOffset firstRequest, WorkingCalendar calendar, TimeSpan? window)
    {
        if (window is { } fixedWindow)
        {
            return firstRequest + fixedWindow;
        }
        var local = firstRequest.ToOffset(WorkingCalendar.BeijingOffset);
        var day = DateOnly.FromDateTime(local.DateTime);
        for (var i = 0; i < 30 && !calendar.IsWorkingDay(day); i++)
        {
            day = day.AddDays(1);
        }
        return new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), WorkingCalendar.BeijingOffset);
    }

    /// <summary>
    /// The notice for one event, or for a round of 补正 requests (<paramref name="events"/> holds them all, merged:
    /// every material once, every note). Null for an event the applicant is not told about.
    /// </summary>
    /// <param name="outputs">For TaskCompleted: the matter's outputs, of which the certificate number is one.</param>
    /// <param name="templates">The catalog's templates by event type; the item's own win.</param>
    public static ApplicantNotice? Render(string caseId, string phone, ItemDefinition item, IReadOnlyDictionary<string, string> templates, string type,
        IReadOnlyList<JsonElement> events, string? matterCode)
    {
        var template = item.Notices?.GetValueOrDefault(type) ?? templates.GetValueOrDefault(type);
        if (template is null || !EventTypes.Contains(type) || events.Count == 0)
        {
            return null;
        }
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["caseId"] = caseId,
            ["itemName"] = item.Name,
        };
        var matter = matterCode is null ? null : item.FindMatter(matterCode);
        switch (type)
        {
            case "SupplementRequested":
                var codes = events.SelectMany(e => Strings(e, "materials")).Distinct(StringComparer.Ordinal).ToList();
                parameters["materials"] = string.Join("、", codes.Select(code => item.Materials.FirstOrDefault(m => m.Code == code)?.Name ?? code));
                var notes = events.Select(e => String(e, "note")).Where(n => !string.IsNullOrWhiteSpace(n)).Distinct().ToList();
                parameters["note"] = notes.Count == 0 ? "" : $"说明：{string.Join("；", notes)}。";
                break;
            case "TaskCompleted":
                parameters["matterName"] = matter?.Name ?? matterCode ?? "";
                var certificate = CertificateOf(events[0], matter);
                parameters["certificate"] = certificate is null ? "" : $"证照编号：{certificate}。";
                break;
            case "CaseRejected":
                parameters["reason"] = String(events[0], "reason") ?? "";
                break;
        }
        return new ApplicantNotice(caseId, phone, type, parameters, Fill(template, parameters));
    }

    /// <summary>The number of what the applicant receives from the matter, where the item declares one.</summary>
    private static string? CertificateOf(JsonElement taskCompleted, MatterDefinition? matter) =>
        matter?.Certificate is { } name && taskCompleted.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Object
            && outputs.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Fill(string template, IReadOnlyDictionary<string, string> parameters)
    {
        var text = template;
        foreach (var (name, value) in parameters)
        {
            text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        }
        return text;
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)
            : [];
}
