using System.Globalization;
using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Validation;

/// <summary>
/// Checks one submitted form value against the type of its field and turns it into the single string form that is
/// stored, so that equal answers compare equal whatever JSON the client sent.
/// </summary>
public static class FormValues
{
    /// <summary>The longest form value (and so the longest output or input value) a case holds.</summary>
    public const int MaxStringLength = 2000;

    /// <summary>
    /// True with the normalized value, or false with a short English error that says what was expected (to follow
    /// the field's name, e.g. "must be true or false") and never repeats the value.
    /// </summary>
    public static bool TryNormalize(
        string type,
        IReadOnlyList<string>? options,
        JsonElement value,
        out string normalized,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(type);

        normalized = string.Empty;
        error = type switch
        {
            FormFieldTypes.String => NormalizeString(value, ref normalized),
            FormFieldTypes.Date => NormalizeDate(value, ref normalized),
            FormFieldTypes.Integer => NormalizeInteger(value, ref normalized),
            FormFieldTypes.Boolean => NormalizeBoolean(value, ref normalized),
            FormFieldTypes.IdNumber => NormalizeIdentifier(value, "resident ID number", ResidentIdNumber.Explain, ref normalized),
            FormFieldTypes.CreditCode => NormalizeIdentifier(value, "unified social credit code", UnifiedSocialCreditCode.Explain, ref normalized),
            FormFieldTypes.Phone => NormalizeIdentifier(value, "phone number", PhoneNumber.Explain, ref normalized),
            FormFieldTypes.Enum => NormalizeEnum(value, options, ref normalized),
            _ => $"cannot be checked: the field type '{type}' is unknown",
        };

        if (error is not null)
        {
            normalized = string.Empty;
            return false;
        }

        return true;
    }

    private static string? NormalizeString(JsonElement value, ref string normalized)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return $"must be non-empty text (a JSON string) of at most {MaxStringLength} characters";
        }

        if (!TryGetText(value, out var raw))
        {
            return InvalidText;
        }

        // Surrounding whitespace is never meant; a value of only whitespace is an empty answer.
        var text = raw.Trim();
        if (text.Length == 0)
        {
            return $"must be non-empty text of at most {MaxStringLength} characters";
        }

        if (text.Length > MaxStringLength)
        {
            return $"must be text of at most {MaxStringLength} characters";
        }

        if (CharacterProblem(text) is { } problem)
        {
            return problem;
        }

        normalized = text;
        return null;
    }

    private const string InvalidText = "must be valid Unicode text (an unpaired surrogate is not a character)";

    /// <summary>A JSON string's text; false when it holds an escaped lone surrogate or bytes that are not UTF-8.</summary>
    private static bool TryGetText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = string.Empty;
            return false;
        }
    }

    /// <summary>
    /// Form answers are one-line values: no control character (U+0000 to U+001F, U+007F; PostgreSQL's jsonb refuses
    /// U+0000 outright) and no unpaired surrogate, which is no character at all.
    /// </summary>
    public static string? CharacterProblem(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TextRules.Explain(text, freeText: false) switch
        {
            null => null,
            TextProblem.LoneSurrogate => InvalidText,
            _ => "must not contain control characters (U+0000 to U+001F, U+007F)",
        };
    }

    private static string? NormalizeDate(JsonElement value, ref string normalized)
    {
        if (value.ValueKind != JsonValueKind.String
            || !TryGetText(value, out var raw)
            || !DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return "must be a date in the form yyyy-MM-dd";
        }

        normalized = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return null;
    }

    private static string? NormalizeInteger(JsonElement value, ref string normalized)
    {
        const string expected = "must be a whole number (a JSON number) between -9223372036854775808 and 9223372036854775807";
        if (value.ValueKind != JsonValueKind.Number)
        {
            return expected;
        }

        if (value.TryGetInt64(out var integer))
        {
            normalized = integer.ToString(CultureInfo.InvariantCulture);
            return null;
        }

        // Some clients write whole numbers as 5.0 or 5e2; decimal holds every long exactly, double does not.
        if (value.TryGetDecimal(out var number)
            && number == decimal.Truncate(number)
            && number is >= long.MinValue and <= long.MaxValue)
        {
            normalized = ((long)number).ToString(CultureInfo.InvariantCulture);
            return null;
        }

        return expected;
    }

    private static string? NormalizeBoolean(JsonElement value, ref string normalized)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                normalized = "true";
                return null;
            case JsonValueKind.False:
                normalized = "false";
                return null;
            default:
                return "must be true or false";
        }
    }

    private static string? NormalizeIdentifier(JsonElement value, string name, Func<string?, string?> explain, ref string normalized)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return $"must be a {name} given as a JSON string";
        }

        if (!TryGetText(value, out var raw))
        {
            return InvalidText;
        }

        // Pasted numbers often carry a stray space or a lower-case x; neither changes which number is meant.
        var text = raw.Trim().ToUpperInvariant();
        var reason = explain(text);
        if (reason is not null)
        {
            return $"must be a valid {name} ({reason})";
        }

        normalized = text;
        return null;
    }

    private static string? NormalizeEnum(JsonElement value, IReadOnlyList<string>? options, ref string normalized)
    {
        if (options is null || options.Count == 0)
        {
            return "cannot be answered: the field offers no options";
        }

        var text = value.ValueKind == JsonValueKind.String && TryGetText(value, out var raw) ? raw : null;
        foreach (var option in options)
        {
            if (string.Equals(text, option, StringComparison.Ordinal))
            {
                normalized = option;
                return null;
            }
        }

        return $"must be one of: {string.Join(", ", options)}";
    }
}
