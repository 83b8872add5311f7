using System.ComponentModel.DataAnnotations;

namespace OneThing.Api.Auth;

/// <summary>Section <c>OneThing:Auth</c>: the API keys callers present as <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string SectionName = "OneThing:Auth";

    public List<ApiKeyEntry> Keys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Count; i++)
        {
            var entry = Keys[i];
            var path = $"{SectionName}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(entry.Key))
            {
                yield return new ValidationResult($"{path}:Key is empty.");
            }
            else if (!seen.Add(entry.Key))
            {
                yield return new ValidationResult($"{path}:Key repeats an earlier key.");
            }

            if (!Roles.All.Contains(entry.Role))
            {
                yield return new ValidationResult($"{path}:Role must be one of {string.Join(", ", Roles.All)}.");
            }
            else if (entry.Role == Roles.Department && string.IsNullOrWhiteSpace(entry.Department))
            {
                yield return new ValidationResult($"{path}:Department is required for role department.");
            }
        }
    }
}

public sealed class ApiKeyEntry
{
    public string Key { get; set; } = "";

    public string Role { get; set; } = "";

    /// <summary>Department code, for role <c>department</c> only.</summary>
    public string? Department { get; set; }

    /// <summary>Who holds the key (e.g. "12345 hotline", "ops: Wang Li"); recorded where the API notes an actor.</summary>
    public string? Name { get; set; }
}
