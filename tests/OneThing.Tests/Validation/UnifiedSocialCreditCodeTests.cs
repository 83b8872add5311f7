using OneThing.Grains.Validation;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Validation;

public sealed class UnifiedSocialCreditCodeTests
{
    // The example widely published with GB 32100-2015 explanations.
    private const string PublishedSample = "91350100M000100Y43";

    private const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    public static TheoryData<string> ValidCodes() => new()
    {
        PublishedSample,
        // Computed independently with the GB 32100 weights: a letter, X and 0-valued check characters and a Y
        // authority are all covered.
        "91110000MA01ABCD2Q",
        "12100000400000123X",
        "51440300MJL1234568",
        "Y1500000XY0000000N",
        "93310115MA1K3W5PPR",
        TestIdentities.CreditCode(0),
        TestIdentities.CreditCode(1),
        TestIdentities.CreditCode(-1),
    };

    [Fact]
    public void PublishedSampleIsValid()
    {
        Assert.True(UnifiedSocialCreditCode.IsValid(PublishedSample));
        Assert.Null(UnifiedSocialCreditCode.Explain(PublishedSample));
    }

    [Fact]
    public void LowerCaseIsAcceptedAsUpperCase()
    {
        Assert.True(UnifiedSocialCreditCode.IsValid("91350100m000100y43"));
        Assert.True(UnifiedSocialCreditCode.IsValid("93310115ma1k3w5ppr"));
    }

    [Theory]
    [MemberData(nameof(ValidCodes))]
    public void EverySingleCharacterCorruptionIsRejected(string valid)
    {
        Assert.True(UnifiedSocialCreditCode.IsValid(valid));
        for (var position = 0; position < valid.Length; position++)
        {
            foreach (var replacement in Alphabet)
            {
                if (char.ToUpperInvariant(valid[position]) == replacement)
                {
                    continue;
                }

                var corrupted = string.Concat(valid.AsSpan(0, position), replacement.ToString(), valid.AsSpan(position + 1));
                Assert.False(UnifiedSocialCreditCode.IsValid(corrupted), $"{corrupted} differs from {valid} at position {position + 1}");
                Assert.NotNull(UnifiedSocialCreditCode.Explain(corrupted));
            }
        }
    }

    [Theory]
    [InlineData("91350100M000100Y4")]
    [InlineData("91350100M000100Y430")]
    [InlineData("350100000100042")] // the 15-digit business registration number that credit codes replaced
    public void WrongLengthIsRejectedAsSuch(string value)
    {
        Assert.False(UnifiedSocialCreditCode.IsValid(value));
        Assert.Contains("length", UnifiedSocialCreditCode.Explain(value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void MissingValueIsRejected(string? value)
    {
        Assert.False(UnifiedSocialCreditCode.IsValid(value));
        Assert.NotNull(UnifiedSocialCreditCode.Explain(value));
    }

    [Theory]
    [InlineData('I')]
    [InlineData('O')]
    [InlineData('Z')]
    [InlineData('S')]
    [InlineData('V')]
    [InlineData('i')]
    [InlineData('o')]
    [InlineData('-')]
    [InlineData(' ')]
    public void LettersOutsideTheAlphabetAreRejectedAnywhere(char letter)
    {
        for (var position = 0; position < PublishedSample.Length; position++)
        {
            var value = string.Concat(PublishedSample.AsSpan(0, position), letter.ToString(), PublishedSample.AsSpan(position + 1));
            Assert.False(UnifiedSocialCreditCode.IsValid(value));
            Assert.Contains("characters", UnifiedSocialCreditCode.Explain(value), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("91350100M000100Y4")]
    [InlineData("00000000000000000")]
    [InlineData("YYYYYYYYYYYYYYYYY")]
    public void ExactlyOneCheckCharacterCompletesABody(string body)
    {
        Assert.Single(Alphabet, check => UnifiedSocialCreditCode.IsValid(body + check));
    }

    [Fact]
    public void WrongCheckCharacterIsNamedAsTheReason()
    {
        Assert.Equal("wrong check character", UnifiedSocialCreditCode.Explain("91350100M000100Y44"));
    }

    [Fact]
    public void AuthorityAndCategoryAreNotOverValidated()
    {
        // Authority 8 and category X are in no 2015 table; the check character alone decides.
        Assert.Single(Alphabet, check => UnifiedSocialCreditCode.IsValid("8X350100M000100Y4" + check));
    }

    [Fact]
    public void MaskKeepsFirstSixAndLastFour()
    {
        Assert.Equal("913501********0Y43", UnifiedSocialCreditCode.Mask(PublishedSample));
        Assert.Equal("913501********0Y43", UnifiedSocialCreditCode.Mask("91350100m000100y43"));
    }

    [Theory]
    [MemberData(nameof(ValidCodes))]
    public void MaskNeverContainsTheMiddle(string valid)
    {
        var masked = UnifiedSocialCreditCode.Mask(valid);

        Assert.Equal(valid.Length, masked.Length);
        Assert.Equal(new string('*', 8), masked[6..14]);
    }

    [Fact]
    public void MaskOfATooShortValueHidesEverything()
    {
        Assert.Equal("*****", UnifiedSocialCreditCode.Mask("91350"));
    }
}
