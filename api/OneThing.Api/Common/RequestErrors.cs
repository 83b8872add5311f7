using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace OneThing.Api.Common;

/// <summary>
/// Turns the serializer's refusal of a body into field errors keyed by JSON path, as the hand-read bodies report them:
/// <c>reason</c>, <c>materials[0]</c>. The serializer stops at the first problem; when it names the body itself (a
/// required property missing, a property the type does not have), the body's own properties are compared with the
/// type's, so that every such field is named.
/// </summary>
public static class RequestErrors
{
    public static void Explain<T>(JsonException failure, ReadOnlySpan<byte> json, JsonTypeInfo<T> type, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(errors);
        var path = FieldOf(failure.Path);
        var property = type.Properties.FirstOrDefault(p => p.Name == path);
        if (path != "body" && !failure.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            errors.Add(path, property is null ? "Not a valid value here (see the request schema in /openapi/v1.json)." : $"Must be {Expected(property)}.");
            return;
        }
        var present = TopLevelNames(json);
        var known = type.Properties.Select(p => p.Name).ToArray();
        foreach (var name in present.Where(name => !known.Contains(name, StringComparer.Ordinal)))
        {
            errors.Add(JsonBody.Shorten(name), $"Not a property here; expected only: {string.Join(", ", known)}.");
        }
        foreach (var required in type.Properties.Where(p => p.IsRequired && !present.Contains(p.Name)))
        {
            errors.Add(required.Name, $"Required: {Expected(required)}.");
        }
        if (!errors.Any)
        {
            errors.Add(path, "Not a valid value here (see the request schema in /openapi/v1.json).");
        }
    }

    /// <summary><c>$.materials[0]</c> → <c>materials[0]</c>, <c>$['a b']</c> → <c>a b</c>, <c>$</c> → <c>body</c>.</summary>
    public static string FieldOf(string? path)
    {
        if (path is null or "$")
        {
            return "body";
        }
        var field = new StringBuilder(path.Length);
        for (var i = path.StartsWith('$') ? 1 : 0; i < path.Length; i++)
        {
            if (path[i] == '.')
            {
                if (field.Length > 0)
                {
                    field.Append('.');
                }
            }
            else if (path.AsSpan(i).StartsWith("['", StringComparison.Ordinal) && path.IndexOf("']", i, StringComparison.Ordinal) is var end and > 0)
            {
                if (field.Length > 0)
                {
                    field.Append('.');
                }
                field.Append(path, i + 2, end - i - 2);
                i = end + 1;
            }
            else
            {
                field.Append(path[i]);
            }
        }
        return field.Length == 0 ? "body" : field.ToString();
    }

    private static HashSet<string> TopLevelNames(ReadOnlySpan<byte> json)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = StrictJson.MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    names.Add(reader.GetString()!);
                }
            }
        }
        catch (JsonException)
        {
            // The names read so far are all there is to compare.
        }
        return names;
    }

    private static string Expected(JsonPropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type == typeof(string) ? "a string"
            : type == typeof(int) || type == typeof(long) ? "a whole number (a JSON number)"
            : type == typeof(IReadOnlyList<string>) ? "an array of strings"
            : type.IsEnum ? "one of the values the request schema lists"
            : "a value of the request schema's type";
    }
}
