namespace OneThing.Bench.Lifecycle;

/// <summary>
/// Made-up but valid identifiers, written straight into a request body (ASCII bytes) so that a fresh citizen per
/// case costs no allocation. Computed here from the standards, not by the API's validators, so that a validator bug
/// shows up as failed submissions instead of agreeing with itself.
/// </summary>
public static class Identities
{
    public const int Length = 18;

    private const string IdCheckCharacters = "10X98765432";

    private const string CreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    // Birth dates of adults who could register a newborn: 1960-01-01 plus up to ~44 years.
    private const int BirthDateSpanDays = 16_000;

    private static readonly DateOnly FirstBirthDate = new(1960, 1, 1);

    private static readonly int[] IdWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    private static readonly int[] CreditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    /// <summary>
    /// A GB 11643 resident ID number registered in Yuzhong, Chongqing (500103); the seed picks the birth date and
    /// the 3-digit sequence, so seeds 0 to 15,999,999 give distinct numbers.
    /// </summary>
    public static void WriteIdNumber(Span<byte> target, long seed)
    {
        var n = (ulong)seed;
        var birthDate = FirstBirthDate.AddDays((int)(n % BirthDateSpanDays));
        var sequence = (int)(n / BirthDateSpanDays % 1000);
        "500103"u8.CopyTo(target);
        WriteDigits(target.Slice(6, 4), birthDate.Year);
        WriteDigits(target.Slice(10, 2), birthDate.Month);
        WriteDigits(target.Slice(12, 2), birthDate.Day);
        WriteDigits(target.Slice(14, 3), sequence);

        var sum = 0;
        for (var i = 0; i < IdWeights.Length; i++)
        {
            sum += (target[i] - '0') * IdWeights[i];
        }
        target[17] = (byte)IdCheckCharacters[sum % 11];
    }

    /// <summary>A GB 32100 unified social credit code of an enterprise (91) registered in Yuzhong, Chongqing (500103).</summary>
    public static void WriteCreditCode(Span<byte> target, long seed)
    {
        "91500103"u8.CopyTo(target);
        // Scrambled by an odd multiplier (a bijection on 32 bits) so neighbouring seeds differ in many characters.
        var n = unchecked((uint)seed * 2_654_435_761u);
        for (var i = 16; i >= 8; i--)
        {
            target[i] = (byte)CreditCodeAlphabet[(int)(n % 31)];
            n /= 31;
        }

        var sum = 0;
        for (var i = 0; i < CreditCodeWeights.Length; i++)
        {
            sum += CreditCodeAlphabet.IndexOf((char)target[i], StringComparison.Ordinal) * CreditCodeWeights[i];
        }
        target[17] = (byte)CreditCodeAlphabet[(31 - (sum % 31)) % 31];
    }

    private static void WriteDigits(Span<byte> target, int value)
    {
        for (var i = target.Length - 1; i >= 0; i--)
        {
            target[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
