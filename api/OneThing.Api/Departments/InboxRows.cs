using System.Text.Json;
using System.Text.Json.Nodes;
using OneThing.Grains.Common;

namespace OneThing.Api.Departments;

/// <summary>Inbox rows as stored (the task's view, personal inputs sealed), opened for the department that reads them.</summary>
public static class InboxRows
{
    /// <summary>
    /// The row's view with its sealed inputs opened. The applicant's identity number and phone must open; other inputs
    /// (form fields typed idNumber or phone, which this process cannot tell from free text) are opened when they are
    /// values this system sealed and otherwise shown as they are.
    /// </summary>
    public static JsonElement Open(string storedView, PersonalDataProtector protector)
    {
        if (!storedView.Contains(PersonalDataProtector.Prefix, StringComparison.Ordinal))
        {
            using var document = JsonDocument.Parse(storedView);
            return document.RootElement.Clone();
        }
        var view = JsonNode.Parse(storedView)!.AsObject();
        if (view["inputs"] is JsonObject inputs)
        {
            foreach (var (name, value) in inputs.ToList())
            {
                if (value is JsonValue text && text.TryGetValue<string>(out var stored) && PersonalDataProtector.IsProtected(stored))
                {
                    inputs[name] = name is PersonalFields.ApplicantIdNumber or PersonalFields.ApplicantPhone
                        ? protector.Unprotect(stored)
                        : protector.Reveal(stored);
                }
            }
        }
        return JsonSerializer.SerializeToElement(view);
    }
}
