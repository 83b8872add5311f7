namespace OneThing.Grains.Validation;

/// <summary>
/// A mainland Chinese phone number as citizens type it on a form: a mobile number (11 digits, 13x to 19x) or a
/// landline (0, a 2- or 3-digit area code, then 7 or 8 digits, with an optional '-' after the area code).
/// </summary>
/// <remarks>
/// No country code, spaces or extensions: the number is for a case officer to call back, and accepting every
/// notation would mean normalising it, which is a separate decision.
/// </remarks>
public static class PhoneNumber
{
    private const int MobileLength = 11;

    public static bool IsValid(string? value) => Explain(value) is null;

    /// <summary>Null when <paramref name="value"/> is valid, otherwise a short reason that never repeats the value.</summary>
    public static string? Explain(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "empty";
        }

        return value[0] switch
        {
            '1' => ExplainMobile(value),
            '0' => ExplainLandline(value),
            _ => "wrong prefix: expected a mobile number starting with 1 or a landline starting with 0",
        };
    }

    /// <summary>For logs: keeps the first 3 and last 4 characters, e.g. 138****5678.</summary>
    public static string Mask(string value) =>
        Masking.KeepEnds(value, 3, 4);

    private static string? ExplainMobile(string value)
    {
        if (!AllDigits(value))
        {
            return "wrong characters: a mobile number has digits only";
        }

        if (value.Length != MobileLength)
        {
            return $"wrong length: a mobile number has {MobileLength} digits, got {value.Length}";
        }

        // 10x, 11x and 12x are service and test ranges, never issued to subscribers.
        if (value[1] is < '3' or > '9')
        {
            return "wrong prefix: a mobile number starts with 13 to 19";
        }

        return null;
    }

    private static string? ExplainLandline(string value)
    {
        var hyphen = value.IndexOf('-', StringComparison.Ordinal);
        if (hyphen < 0)
        {
            if (!AllDigits(value))
            {
                return "wrong characters: a landline has digits and one optional '-' after the area code";
            }

            // Without the hyphen the split is ambiguous, so any total that some split allows is accepted.
            return value.Length is >= 1 + 2 + 7 and <= 1 + 3 + 8
                ? null
                : "wrong length: a landline has 0, a 2- or 3-digit area code and a 7- or 8-digit number";
        }

        var areaCode = value.AsSpan(0, hyphen);
        var subscriber = value.AsSpan(hyphen + 1);
        if (!AllDigits(areaCode) || !AllDigits(subscriber))
        {
            return "wrong characters: a landline has digits and one optional '-' after the area code";
        }

        if (areaCode.Length is < 1 + 2 or > 1 + 3)
        {
            return "wrong area code: expected 0 followed by 2 or 3 digits before the '-'";
        }

        if (subscriber.Length is < 7 or > 8)
        {
            return "wrong length: expected 7 or 8 digits after the area code";
        }

        return null;
    }

    private static bool AllDigits(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
