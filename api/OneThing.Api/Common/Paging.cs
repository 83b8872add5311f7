using System.Globalization;
using Microsoft.OpenApi;

namespace OneThing.Api.Common;

public readonly record struct Paging(int Page, int Size)
{
    public const int MaxPageSize = 200;
    public const int DefaultPageSize = 50;

    /// <summary>The last page that can be asked for: with it, (page - 1) × pageSize always fits the query's OFFSET.</summary>
    public const int MaxPage = 1_000_000;

    /// <summary>
    /// Lists whose rows keep growing (an inbox, the fallback desk) count their matching rows up to this many; a total
    /// of this many means at least as many. A full count would read a department's whole history on every page.
    /// </summary>
    public const int MaxTotal = 1_000;

    public int Offset => (Page - 1) * Size;

    /// <summary><c>?page=&amp;pageSize=</c> as sent: each a whole number in range, or absent (page 1, 50 a page).</summary>
    public static Paging Read(string? page, string? pageSize, FieldErrors errors) =>
        Read(QueryNumber.Read(page, "page", 1, MaxPage, errors), QueryNumber.Read(pageSize, "pageSize", 1, MaxPageSize, errors), errors);

    private static Paging Read(int? page, int? pageSize, FieldErrors errors)
    {
        if (page is < 1 or > MaxPage)
        {
            errors.Add("page", $"Must be a whole number from 1 to {MaxPage}.");
        }
        if (pageSize is < 1 or > MaxPageSize)
        {
            errors.Add("pageSize", $"Must be a whole number from 1 to {MaxPageSize}.");
        }
        return errors.Any ? new Paging(1, DefaultPageSize) : new Paging(page ?? 1, pageSize ?? DefaultPageSize);
    }
}

/// <summary>
/// Whole numbers in query strings, parsed here rather than by binding, so that <c>?page=abc</c> or a number too large
/// for its type is a 400 naming the parameter, like every other invalid input.
/// </summary>
public static class QueryNumber
{
    /// <summary>Null when absent or empty; otherwise the number, or null with an error when it is not digits in range.</summary>
    public static int? Read(string? text, string name, int min, int max, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        // Digits only: no sign, blanks or separators, and nothing past int's range.
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }
        errors.Add(name, $"Must be a whole number from {min} to {max}.");
        return null;
    }
}

/// <summary>Query numbers are bound as text (so that a malformed one is a 400 naming it); the document still says integer.</summary>
public static class QueryNumberDocumentation
{
    public static TBuilder DocumentsQueryNumbers<TBuilder>(this TBuilder route, params string[] names) where TBuilder : IEndpointConventionBuilder =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter is OpenApiParameter { In: ParameterLocation.Query } query && names.Contains(query.Name, StringComparer.Ordinal))
                {
                    query.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" };
                }
            }
            return Task.CompletedTask;
        });
}
