using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace OneThing.Api.Common;

/// <summary>
/// Turns the serializer's refusal of a body into field errors keyed by JSON path, as the hand-read bodies report them:
/// <c>reason</c>, <c>materials[0].uri</c>. The serializer stops at the first problem; when it names an object (a
/// required property missing, a property the type does not have), that object's properties are compared with its
/// type's, so that every such field of it is named.
/// </summary>
public static class RequestErrors
{
    public static void Explain<T>(JsonException failure, ReadOnlySpan<byte> json, JsonTypeInfo<T> type, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(errors);
        var path = FieldOf(failure.Path);
        using var document = Parse(json);
        var (owner, ownerType, prefix) = OwnerAt(document?.RootElement, type, failure.Path);
        var atOwner = prefix == (path == "body" ? "" : path);
        if (owner is { } found && (atOwner || failure.Message.Contains("could not be mapped", StringComparison.Ordinal)))
        {
            CompareNames(found, ownerType, prefix, errors);
            if (errors.Any)
            {
                return;
            }
        }
        errors.Add(path, ExpectedAt(ownerType, prefix, path) is { } expected
            ? $"Must be {expected}."
            : "Not a valid value here (see the request schema in /openapi/v1.json).");
    }

    /// <summary>What the value at <paramref name="path"/> must be: a property of the owner, or an entry of a list property.</summary>
    private static string? ExpectedAt(JsonTypeInfo owner, string prefix, string path)
    {
        var property = owner.Properties.FirstOrDefault(p => JsonBody.Join(prefix, p.Name) == path);
        if (property is not null)
        {
            return Expected(property.PropertyType, owner.Options);
        }
        var bracket = path.EndsWith(']') ? path.LastIndexOf('[') : -1;
        var list = bracket > 0 ? owner.Properties.FirstOrDefault(p => JsonBody.Join(prefix, p.Name).AsSpan().SequenceEqual(path.AsSpan(0, bracket))) : null;
        return list is not null && owner.Options.GetTypeInfo(list.PropertyType).ElementType is { } entry ? Expected(entry, owner.Options) : null;
    }

    /// <summary>Names the properties of <paramref name="owner"/> its type does not have, and those it lacks that the type requires.</summary>
    private static void CompareNames(JsonElement owner, JsonTypeInfo type, string prefix, FieldErrors errors)
    {
        var known = type.Properties.Select(p => p.Name).ToArray();
        foreach (var present in owner.EnumerateObject())
        {
            if (!known.Contains(present.Name, StringComparer.Ordinal))
            {
                errors.Add(JsonBody.Join(prefix, JsonBody.Shorten(present.Name)), $"Not a property here; expected only: {string.Join(", ", known)}.");
            }
        }
        foreach (var required in type.Properties.Where(p => p.IsRequired && !owner.TryGetProperty(p.Name, out _)))
        {
            errors.Add(JsonBody.Join(prefix, required.Name), $"Required: {Expected(required.PropertyType, type.Options)}.");
        }
    }

    /// <summary>
    /// The deepest object on the serializer's path whose type is a record of the request (the body itself at least),
    /// with that type and its field path: the object whose properties to compare when the refusal names it.
    /// </summary>
    private static (JsonElement? Owner, JsonTypeInfo Type, string Prefix) OwnerAt(JsonElement? root, JsonTypeInfo type, string? path)
    {
        if (root is not { ValueKind: JsonValueKind.Object } element)
        {
            return (null, type, "");
        }
        (JsonElement? Owner, JsonTypeInfo Type, string Prefix) owner = (element, type, "");
        var current = type;
        var prefix = "";
        foreach (var (name, index) in Segments(path))
        {
            JsonTypeInfo next;
            if (name is not null)
            {
                var property = current.Kind == JsonTypeInfoKind.Object ? current.Properties.FirstOrDefault(p => p.Name == name) : null;
                if (property is null || element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    break;
                }
                next = current.Options.GetTypeInfo(property.PropertyType);
                prefix = JsonBody.Join(prefix, name);
            }
            else
            {
                if (current.ElementType is null || element.ValueKind != JsonValueKind.Array || index >= element.GetArrayLength())
                {
                    break;
                }
                element = element[index];
                next = current.Options.GetTypeInfo(current.ElementType);
                prefix = $"{prefix}[{index}]";
            }
            current = next;
            if (current.Kind == JsonTypeInfoKind.Object && element.ValueKind == JsonValueKind.Object)
            {
                owner = (element, current, prefix);
            }
        }
        return owner;
    }

    /// <summary><c>$.materials[0].code</c> → materials, [0], code.</summary>
    private static IEnumerable<(string? Name, int Index)> Segments(string? path)
    {
        var field = FieldOf(path);
        if (field == "body")
        {
            yield break;
        }
        foreach (var part in field.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            yield return (bracket < 0 ? part : part[..bracket], 0);
            while (bracket >= 0)
            {
                var close = part.IndexOf(']', bracket);
                if (close < 0 || !int.TryParse(part.AsSpan(bracket + 1, close - bracket - 1), out var index))
                {
                    yield break;
                }
                yield return (null, index);
                bracket = part.IndexOf('[', close);
            }
        }
    }

    private static JsonDocument? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = StrictJson.MaxDepth });
        }
        catch (JsonException)
        {
            // Not JSON after all: there is no object to compare, only the serializer's path to name.
            return null;
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

    private static string Expected(Type declared, JsonSerializerOptions options)
    {
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        return type == typeof(string) ? "a string"
            : type == typeof(int) || type == typeof(long) ? "a whole number (a JSON number)"
            : type == typeof(IReadOnlyList<string>) ? "an array of strings"
            : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) ? "an object of name → value"
            : StrictEnumConverter.NamesOf(options, type) is { } names ? $"one of: {string.Join(", ", names)}"
            : type.IsEnum ? "one of the values the request schema lists"
            : !options.TryGetTypeInfo(type, out var info) ? "a value of the request schema's type"
            : info.Kind == JsonTypeInfoKind.Object ? $"an object {Shape(info)}"
            : info is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } entry } && options.TryGetTypeInfo(entry, out var entryInfo)
                && entryInfo.Kind == JsonTypeInfoKind.Object ? $"an array of {Shape(entryInfo)}"
            : "a value of the request schema's type";
    }

    /// <summary><c>{ code, uri, sha256 }</c>: a record's properties, as a refusal spells what it expected.</summary>
    private static string Shape(JsonTypeInfo record) => $"{{ {string.Join(", ", record.Properties.Select(p => p.Name))} }}";
}
