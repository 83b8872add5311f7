using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OneThing.Api.Common;

/// <summary>
/// Reads request bodies as JSON documents and reports problems per field, instead of letting model binding answer
/// a bare 400 that names nothing. Bodies are capped at 1 MiB.
/// </summary>
public static class JsonBody
{
    public const long MaxBytes = 1024 * 1024;

    public static async Task<(JsonElement Body, ValidationProblem? Problem)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            return (default, Problem("body", "The body is larger than 1 MiB."));
        }
        try
        {
            // The body stays in Kestrel's pooled buffers until it is whole, then parses from there: department
            // actions are small and frequent, and a copy of each into a fresh array showed up as GC work.
            var reader = request.BodyReader;
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                if (buffer.Length > MaxBytes)
                {
                    reader.AdvanceTo(buffer.End);
                    return (default, Problem("body", "The body is larger than 1 MiB."));
                }
                if (!read.IsCompleted)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                try
                {
                    if (buffer.IsEmpty)
                    {
                        return (default, Problem("body", "A JSON object is required."));
                    }
                    using var document = JsonDocument.Parse(buffer);
                    return document.RootElement.ValueKind == JsonValueKind.Object
                        ? (document.RootElement.Clone(), null)
                        : (default, Problem("body", "The body must be a JSON object."));
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }
        }
        catch (JsonException error)
        {
            return (default, Problem("body", $"The body is not valid JSON: {error.Message}"));
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, Problem("body", "The body is larger than 1 MiB."));
        }
    }

    public static ValidationProblem Problem(string field, string error) =>
        Problem(new Dictionary<string, string[]> { [field] = [error] });

    public static ValidationProblem Problem(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.");

    /// <summary>A JSON scalar as the text handed between departments (numbers and booleans in their JSON spelling).</summary>
    public static bool TryScalarText(JsonElement value, out string text)
    {
        text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => "",
        };
        return value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;
    }

    public static string? OptionalString(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>Collects field errors under their JSON path, e.g. <c>applicant.idNumber</c>.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string error)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(error);
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public ValidationProblem ToProblem() => JsonBody.Problem(ToDictionary());
}
