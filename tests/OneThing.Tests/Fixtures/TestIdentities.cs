using System.Globalization;
using System.Text;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Valid, made-up identities for test data: distinct seeds give distinct numbers, so tests need not share citizens.
/// </summary>
/// <remarks>
/// The check characters are computed here from the standards rather than by the API's validators, so a bug in a
/// validator cannot make its own test data agree with it.
/// </remarks>
public static class TestIdentities
{
    /// <summary>A mobile number of the form people recognise as a placeholder (China Mobile's customer line).</summary>
    public const string Phone = "13800138000";

    private const int BirthDateSpanDays = 25_000;

    private const string CreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    private static readonly DateOnly FirstBirthDate = new(1940, 1, 1);

    private static readonly int[] IdNumberWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    private static readonly int[] CreditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    /// <summary>
    /// A GB 11643 resident ID number registered in Yuzhong, Chongqing (500103) with a birth date between 1940 and
    /// 2008; distinct for seeds 0 to 24,999,999.
    /// </summary>
    public static string IdNumber(int seed)
    {
        var n = unchecked((uint)seed);
        var birthDate = FirstBirthDate.AddDays((int)(n % BirthDateSpanDays));
        var sequence = n / BirthDateSpanDays % 1000;
        var body = string.Create(
            CultureInfo.InvariantCulture,
            $"500103{birthDate:yyyyMMdd}{sequence:D3}");

        var sum = 0;
        for (var i = 0; i < IdNumberWeights.Length; i++)
        {
            sum += (body[i] - '0') * IdNumberWeights[i];
        }

        return body + "10X98765432"[sum % 11];
    }

    /// <summary>
    /// A GB 32100 unified social credit code of an enterprise (91) registered in Yuzhong, Chongqing (500103);
    /// distinct for every seed.
    /// </summary>
    public static string CreditCode(int seed)
    {
        // Scrambled by an odd multiplier (a bijection on 32 bits) and written in base 31, so that small seeds use
        // letters as well as digits and still never collide.
        var n = unchecked((uint)seed * 2_654_435_761u);
        var organisation = new char[9];
        for (var i = organisation.Length - 1; i >= 0; i--)
        {
            organisation[i] = CreditCodeAlphabet[(int)(n % 31)];
            n /= 31;
        }

        var body = new StringBuilder("91500103").Append(organisation).ToString();
        var sum = 0;
        for (var i = 0; i < CreditCodeWeights.Length; i++)
        {
            sum += CreditCodeAlphabet.IndexOf(body[i], StringComparison.Ordinal) * CreditCodeWeights[i];
        }

        return body + CreditCodeAlphabet[(31 - (sum % 31)) % 31];
    }
}
