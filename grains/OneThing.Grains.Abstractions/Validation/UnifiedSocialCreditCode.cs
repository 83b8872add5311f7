namespace OneThing.Grains.Validation;

/// <summary>
/// The 18-character unified social credit code of GB 32100-2015 that identifies a company, institution or other
/// organisation: registration authority, category, 6-digit region code, 9-character organisation code and a
/// MOD 31 check character.
/// </summary>
/// <remarks>
/// Only length, alphabet and check character are validated. The authority (position 1: 1, 5, 9 or Y in practice)
/// and category (position 2) tables are maintained by the registries and grow with new entity types, and the
/// organisation code in positions 9–17 carries a GB 11714 check of its own; checking any of them would be a table
/// or rule to keep in sync, and getting it wrong rejects a real organisation, while the final check character
/// already catches every single-character typo.
/// </remarks>
public static class UnifiedSocialCreditCode
{
    public const int Length = 18;

    /// <summary>Digits and capitals without I, O, S, V and Z, which are too easily confused with 1, 0, 5, U and 2.</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    public static bool IsValid(string? value) => Explain(value) is null;

    /// <summary>Null when <paramref name="value"/> is valid (in any letter case), otherwise a short reason.</summary>
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

        var sum = 0;
        for (var i = 0; i < Length; i++)
        {
            var index = Alphabet.IndexOf(char.ToUpperInvariant(value[i]), StringComparison.Ordinal);
            if (index < 0)
            {
                return "wrong characters: only digits and the capital letters A to Y except I, O, S, V and Z are allowed";
            }

            if (i < Weights.Length)
            {
                sum += index * Weights[i];
            }
        }

        var expected = Alphabet[(31 - (sum % 31)) % 31];
        if (char.ToUpperInvariant(value[Length - 1]) != expected)
        {
            return "wrong check character";
        }

        return null;
    }

    /// <summary>
    /// For logs: keeps the first 6 and last 4 characters, e.g. 913501********0Y43. The code of a company is public,
    /// but that of a sole trader points at a person, so it is treated like an ID number.
    /// </summary>
    public static string Mask(string value) =>
        Masking.KeepEnds(value, 6, 4).ToUpperInvariant();
}
