using System.Text.Json;
using OneThing.Contracts.Departments;
using OneThing.Grains.Common;
using OneThing.Grains.Tasks;

namespace OneThing.Api.Departments;

/// <summary>Inbox rows as stored (the task's view, personal inputs sealed), opened for the department that reads them.</summary>
public static class InboxRows
{
    /// <summary>
    /// The row's task with its sealed inputs opened. It is read back into <see cref="TaskView"/> rather than served as
    /// stored: jsonb keeps its own key order and whatever instant format the row was written with, and an inbox item
    /// must be the same document as <c>GET /api/tasks/{id}</c>. The applicant's identity number and phone must open;
    /// other inputs (form fields typed idNumber or phone, which this process cannot tell from free text) are opened
    /// when they are values this system sealed and otherwise shown as they are.
    /// </summary>
    public static TaskView Open(string storedView, PersonalDataProtector protector)
    {
        var view = JsonSerializer.Deserialize<TaskView>(storedView, ViewJson.Options)
            ?? throw new JsonException("An inbox row holds no task.");
        if (!storedView.Contains(PersonalDataProtector.Prefix, StringComparison.Ordinal))
        {
            return view;
        }
        var inputs = new Dictionary<string, string>(view.Inputs, StringComparer.Ordinal);
        foreach (var (name, stored) in view.Inputs)
        {
            if (PersonalDataProtector.IsProtected(stored))
            {
                inputs[name] = name is PersonalFields.ApplicantIdNumber or PersonalFields.ApplicantPhone
                    ? protector.Unprotect(stored)
                    : protector.Reveal(stored);
            }
        }
        return view with { Inputs = inputs };
    }
}
