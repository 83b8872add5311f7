using System.Globalization;

namespace OneThing.Grains.Validation;

/// <summary>
/// The 18-character citizen identity number of GB 11643-1999: a 6-digit region code, the birth date as yyyyMMdd,
/// a 3-digit sequence and an ISO 7064 MOD 11-2 check character (0–9 or X).
/// </summary>
public static class ResidentIdNumber
{
    public const int Length = 18;

    private const string CheckCharacters = "10X98765432";

    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    public static bool IsValid(string? value) => Explain(value) is null;

    /// <summary>Null when <paramref name="value"/> is valid, otherwise a short reason that never repeats the value.</summary>
    public static string? Explain(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "empty";
        }

        if (value.Length != Length)
        {
            return $"wrong length: expected {Length} characters, got {value.Length}";
        }

        for (var i = 0; i < Length - 1; i++)
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                return "wrong characters: expected 17 digits followed by a digit or X";
            }
        }

        var check = char.ToUpperInvariant(value[Length - 1]);
        if (!char.IsAsciiDigit(check) && check != 'X')
        {
            return "wrong characters: expected 17 digits followed by a digit or X";
        }

        // Only the shape of the region code is checked: the official code list changes with every redistricting,
        // and people keep the number they were issued under a region that no longer exists.
        if (value[0] == '0')
        {
            return "invalid region code: the first digit must be 1 to 9";
        }

        if (!DateOnly.TryParseExact(value.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate)
            || birthDate.Year < 1900)
        {
            return "impossible birth date: characters 7 to 14 must be a real date yyyyMMdd from 1900 on";
        }

        if (check != ComputeCheckCharacter(value))
        {
            return "wrong check digit";
        }

        return null;
    }

    /// <summary>For logs: keeps the region code and the last 4 characters, e.g. 110105********002X.</summary>
    public static string Mask(string value) =>
        Masking.KeepEnds(value, 6, 4).ToUpperInvariant();

    private static char ComputeCheckCharacter(string value)
    {
        var sum = 0;
        for (var i = 0; i < Weights.Length; i++)
        {
            sum += (value[i] - '0') * Weights[i];
        }

        return CheckCharacters[sum % 11];
    }
}
