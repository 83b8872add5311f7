namespace OneThing.Contracts;

/// <summary>
/// The shapes of identity numbers, as regular expressions for the request schemas. They say what a schema can: the
/// characters and the length. The check digits are computed by the server (OneThing.Grains.Validation), which answers
/// 400 naming the field when one is wrong.
/// </summary>
public static class Patterns
{
    /// <summary>居民身份证号码: 17 digits and a check character (a digit or X). Unanchored, to compose (the item form schema).</summary>
    public const string ResidentIdNumberShape = "[0-9]{17}[0-9Xx]";

    /// <summary>统一社会信用代码: 18 characters of the code's alphabet (digits and upper-case letters but I, O, S, V, Z).</summary>
    public const string UnifiedSocialCreditCodeShape = "[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}";

    /// <summary>A mainland mobile number (13x to 19x, 11 digits) or a landline (0, a 2- or 3-digit area code, 7 or 8 digits, optionally split by one '-').</summary>
    public const string PhoneShape = "1[3-9][0-9]{9}|0[0-9]{9,11}|0[0-9]{2,3}-[0-9]{7,8}";

    public const string ResidentIdNumber = "^" + ResidentIdNumberShape + "$";

    public const string UnifiedSocialCreditCode = "^" + UnifiedSocialCreditCodeShape + "$";

    public const string Phone = "^(" + PhoneShape + ")$";

    /// <summary>The last 6 characters of an identity number or a credit code (what the progress look-up asks for).</summary>
    public const string Last6 = "^[0-9A-Za-z]{6}$";

    /// <summary>A material file's SHA-256, in hexadecimal.</summary>
    public const string Sha256 = "^[0-9A-Fa-f]{64}$";

    /// <summary>An absolute https URI.</summary>
    public const string HttpsUri = "^[Hh][Tt][Tt][Pp][Ss]://";

    /// <summary>A calendar date, yyyy-MM-dd.</summary>
    public const string Date = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
}
