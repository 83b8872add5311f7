using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace OneThing.Api.Common;

/// <summary>
/// Reads request bodies as JSON documents, strictly, and reports problems per field instead of letting model binding
/// answer a bare 400 that names nothing: the body must be declared JSON (else 415), be UTF-8, hold no property twice,
/// no lone surrogate and no control character outside free text (<see cref="StrictJson"/>). Bodies are capped at 1 MiB.
/// </summary>
public static class JsonBody
{
    public const long MaxBytes = 1024 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = StrictJson.MaxDepth };

    public static Task<(JsonElement Body, ProblemHttpResult? Problem)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken) =>
        ReadAsync(request, static json => Parse(json), cancellationToken);

    /// <summary>
    /// Reads the body into <typeparamref name="T"/> (a request record of OneThing.Contracts, through
    /// <see cref="RequestJson"/>): the same checks as <see cref="ReadObjectAsync"/>, then the record's own, each failure
    /// a field error under the JSON path of the field. What the record cannot say (lengths, ranges, non-empty text) is
    /// the handler's to check.
    /// </summary>
    /// <remarks>
    /// Deserialized straight from Kestrel's buffers with a source-generated contract: no document is built, and the
    /// record is what the OpenAPI document's schema is made from, so the two cannot drift apart. An open map of values
    /// (a task's outputs, a supply's form) reads each value into an element of its own, which costs no more than
    /// cloning a whole document for a few small values. A body that a JSON Schema evaluates too is read by
    /// <see cref="ReadWithElementAsync"/>.
    /// </remarks>
    public static Task<(T? Body, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class =>
        ReadAsync(request, json => Deserialize(json, type), cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync{T}(HttpRequest, JsonTypeInfo{T}, CancellationToken)"/>, and the body as a JSON element
    /// besides, for what only a whole document can judge (an application against its item's JSON Schema).
    /// </summary>
    /// <remarks>
    /// Both come from the one buffer, while Kestrel still holds it: the record first, so that a refused body builds no
    /// document, then the document, cloned because the element outlives the buffer.
    /// </remarks>
    public static async Task<(T? Body, JsonElement Element, ProblemHttpResult? Problem)> ReadWithElementAsync<T>(
        HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var (read, problem) = await ReadAsync(request, json => DeserializeWithElement(json, type), cancellationToken);
        return (read.Body, read.Element, problem);
    }

    private static async Task<(T? Body, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpRequest request, Func<ReadOnlyMemory<byte>, (T? Body, ProblemHttpResult? Problem)> parse, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return (default, UnsupportedMediaType());
        }
        if (request.ContentLength > MaxBytes)
        {
            return (default, BadRequest("body", "The body is larger than 1 MiB."));
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
                    return (default, BadRequest("body", "The body is larger than 1 MiB."));
                }
                if (!read.IsCompleted)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                try
                {
                    return buffer.IsEmpty ? (default, BadRequest("body", "A JSON object is required.")) : Parse(buffer, parse);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }
        }
        catch (BadHttpRequestException error)
        {
            // Kestrel's verdict on the framing (a bad chunk, a body shorter than its Content-Length): the client's fault.
            return (default, BadRequest("body", error.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The body is larger than 1 MiB."
                : "The body could not be read: its framing is malformed."));
        }
    }

    /// <summary>
    /// <c>application/json</c> or a <c>+json</c> type such as <c>application/merge-patch+json</c>, in UTF-8 (the
    /// charset may be left out, as RFC 8259 makes UTF-8 the only one).
    /// </summary>
    public static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }
        if (contentType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Equals("application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        var type = parsed.MediaType;
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        var charset = HeaderUtilities.RemoveQuotes(parsed.Charset);
        return json && (!charset.HasValue || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
    }

    private static (T? Body, ProblemHttpResult? Problem) Parse<T>(in ReadOnlySequence<byte> buffer, Func<ReadOnlyMemory<byte>, (T? Body, ProblemHttpResult? Problem)> parse)
    {
        if (buffer.IsSingleSegment)
        {
            return parse(buffer.First);
        }
        var length = (int)buffer.Length;
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.CopyTo(copy);
            return parse(copy.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private static (JsonElement Body, ProblemHttpResult? Problem) Parse(ReadOnlyMemory<byte> json) =>
        StrictJson.Check(json.Span) is var (field, error) ? (default, BadRequest(field, error)) : Document(json);

    /// <summary>The body as a document of its own (a clone: the element outlives Kestrel's buffer), once the strict scan has passed.</summary>
    private static (JsonElement Body, ProblemHttpResult? Problem) Document(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (default, BadRequest("body", "The body must be a JSON object."));
        }
        catch (JsonException parseError)
        {
            // The scan read the body as valid JSON, so the document refused a property given twice.
            return StrictJson.FindDuplicate(json.Span) is { } path
                ? (default, BadRequest(path, "Given more than once: each property may appear once."))
                : (default, BadRequest("body", $"The body is not valid JSON: {parseError.Message}"));
        }
    }

    private static (T? Body, ProblemHttpResult? Problem) Deserialize<T>(ReadOnlyMemory<byte> json, JsonTypeInfo<T> type) where T : class =>
        StrictJson.Check(json.Span) is var (field, error) ? (null, BadRequest(field, error)) : Record(json, type);

    private static ((T? Body, JsonElement Element) Read, ProblemHttpResult? Problem) DeserializeWithElement<T>(ReadOnlyMemory<byte> json, JsonTypeInfo<T> type)
        where T : class
    {
        var (body, problem) = Deserialize(json, type);
        if (problem is not null)
        {
            return (default, problem);
        }
        // The serializer has read it whole; what the document may still refuse is a name given twice inside an open map's value.
        var (element, documentProblem) = Document(json);
        return documentProblem is null ? ((body, element), null) : (default, documentProblem);
    }

    /// <summary>The record, once the strict scan has passed; a refusal becomes field errors under their JSON paths.</summary>
    private static (T? Body, ProblemHttpResult? Problem) Record<T>(ReadOnlyMemory<byte> json, JsonTypeInfo<T> type) where T : class
    {
        if (json.Span.TrimStart(" \t\r\n"u8) is not [(byte)'{', ..])
        {
            return (null, BadRequest("body", "The body must be a JSON object."));
        }
        try
        {
            return JsonSerializer.Deserialize(json.Span, type) is { } body ? (body, null) : (null, BadRequest("body", "The body must be a JSON object."));
        }
        catch (JsonException failure)
        {
            if (StrictJson.FindDuplicate(json.Span) is { } duplicate)
            {
                return (null, BadRequest(duplicate, "Given more than once: each property may appear once."));
            }
            var errors = new FieldErrors();
            RequestErrors.Explain(failure, json.Span, type, errors);
            return (null, TypedResults.Problem(new HttpValidationProblemDetails(errors.ToDictionary())
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is invalid.",
            }));
        }
    }

    private static ProblemHttpResult BadRequest(string field, string error) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [error] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid.",
        });

    private static ProblemHttpResult UnsupportedMediaType() =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            ["Content-Type"] = ["Must be application/json (UTF-8)."],
        })
        {
            Status = StatusCodes.Status415UnsupportedMediaType,
            Title = "The body must be JSON.",
        });

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

    /// <summary>
    /// An open map of a typed body (a task's outputs, a supplied form) as text, each value a string, number or boolean
    /// of at most <see cref="FieldLimits.Value"/> characters: as the scalar's text, or with <paramref name="asSent"/> as
    /// its JSON (for the case to check against its item's field types). Every bad entry is an error under its path.
    /// </summary>
    public static Dictionary<string, string> ScalarMap(
        IReadOnlyDictionary<string, JsonElement>? values, string prefix, string names, bool asSent, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var map = new Dictionary<string, string>(values?.Count ?? 0, StringComparer.Ordinal);
        if (values is OpenMapConverter.ElementMap elements)
        {
            // The object itself: no enumerator object to allocate on a path every task takes.
            foreach (var property in elements.Element.EnumerateObject())
            {
                AddScalar(map, prefix, names, asSent, property.Name, property.Value, errors);
            }
        }
        else if (values is not null)
        {
            foreach (var (name, value) in values)
            {
                AddScalar(map, prefix, names, asSent, name, value, errors);
            }
        }
        return map;
    }

    private static void AddScalar(
        Dictionary<string, string> map, string prefix, string names, bool asSent, string name, JsonElement value, FieldErrors errors)
    {
        if (name.Length > FieldLimits.Code)
        {
            errors.Add(Join(prefix, Shorten(name)), $"{names} have at most {FieldLimits.Code} characters.");
        }
        else if (TryScalarText(value, out var text) && text.Length <= FieldLimits.Value)
        {
            map[name] = asSent ? value.GetRawText() : text;
        }
        else
        {
            errors.Add(Join(prefix, name), $"Must be a string, number or boolean of at most {FieldLimits.Value} characters.");
        }
    }

    /// <summary><c>applicant</c> + <c>name</c> → <c>applicant.name</c>; the body's own properties have no prefix.</summary>
    public static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    /// <summary>A client's text as part of an error key or message, cut short so a long one is not echoed whole.</summary>
    public static string Shorten(string text) => text.Length <= FieldLimits.Code ? text : string.Concat(text.AsSpan(0, FieldLimits.Code), "…");
}

/// <summary>Collects field errors under their JSON path, e.g. <c>applicant.idNumber</c>.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>Whether <paramref name="field"/> has an error already, so that a second, vaguer one is not added.</summary>
    public bool Has(string field) => _errors.ContainsKey(field);

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
