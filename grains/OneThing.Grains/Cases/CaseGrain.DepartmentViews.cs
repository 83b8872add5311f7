using System.Text.Json;
using OneThing.Grains.Common;

namespace OneThing.Grains.Cases;

public sealed partial class CaseGrain
{
    /// <summary>
    /// Each department's document (<see cref="DepartmentCaseView"/>) of the current revision, built on its first read:
    /// a department polls its cases as a portal does. Cleared with the case's own view on every change.
    /// </summary>
    private readonly Dictionary<string, CaseDocument> _departmentDocuments = new(StringComparer.Ordinal);

    public Task<CaseDocument?> GetDocumentForDepartmentAsync(string department, int? knownRevision)
    {
        if (!Exists || !View().Tasks.Any(t => t.Department == department))
        {
            return Task.FromResult<CaseDocument?>(null);
        }
        if (!_departmentDocuments.TryGetValue(department, out var document))
        {
            _departmentDocuments[department] = document = new CaseDocument(
                JsonSerializer.SerializeToUtf8Bytes(DepartmentCaseView.For(View(), Item, department), ViewJson.Options),
                _document?.Departments ?? View().Tasks.Select(t => t.Department).Distinct().ToList(),
                S.Revision);
        }
        return Task.FromResult<CaseDocument?>(document.Revision == knownRevision ? document with { Utf8Json = [] } : document);
    }
}
