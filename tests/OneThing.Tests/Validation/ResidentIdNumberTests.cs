using OneThing.Grains.Validation;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Validation;

public sealed class ResidentIdNumberTests
{
    // The sample printed in GB 11643-1999 itself, ending in X.
    private const string PublishedSample = "11010519491231002X";

    private const string CheckCharacters = "0123456789X";

    public static TheoryData<string> ValidNumbers() => new()
    {
        PublishedSample,
        // Computed independently with the GB 11643 weights, so that digit check characters are covered too.
        "440306201212319994",
        "500103198001011238",
        "110105200002290048",
        "630102190001010071",
        TestIdentities.IdNumber(0),
        TestIdentities.IdNumber(1),
        TestIdentities.IdNumber(4_242),
        TestIdentities.IdNumber(24_999_999),
    };

    [Fact]
    public void PublishedSampleIsValid()
    {
        Assert.True(ResidentIdNumber.IsValid(PublishedSample));
        Assert.Null(ResidentIdNumber.Explain(PublishedSample));
    }

    [Fact]
    public void LowerCaseCheckXIsAcceptedAsX()
    {
        Assert.True(ResidentIdNumber.IsValid("11010519491231002x"));
    }

    [Theory]
    [MemberData(nameof(ValidNumbers))]
    public void EverySingleCharacterCorruptionIsRejected(string valid)
    {
        Assert.True(ResidentIdNumber.IsValid(valid));
        for (var position = 0; position < valid.Length; position++)
        {
            var allowed = position == valid.Length - 1 ? CheckCharacters : CheckCharacters[..10];
            foreach (var replacement in allowed)
            {
                if (char.ToUpperInvariant(valid[position]) == replacement)
                {
                    continue;
                }

                var corrupted = string.Concat(valid.AsSpan(0, position), replacement.ToString(), valid.AsSpan(position + 1));
                Assert.False(ResidentIdNumber.IsValid(corrupted), $"{corrupted} differs from {valid} at position {position + 1}");
                Assert.NotNull(ResidentIdNumber.Explain(corrupted));
            }
        }
    }

    [Theory]
    [InlineData("11010519491231002")]
    [InlineData("11010519491231002X0")]
    [InlineData("110105491231002")] // the retired 15-digit first-generation format
    public void WrongLengthIsRejectedAsSuch(string value)
    {
        Assert.False(ResidentIdNumber.IsValid(value));
        Assert.Contains("length", ResidentIdNumber.Explain(value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void MissingValueIsRejected(string? value)
    {
        Assert.False(ResidentIdNumber.IsValid(value));
        Assert.NotNull(ResidentIdNumber.Explain(value));
    }

    [Theory]
    [InlineData("1101051949123100XX")]
    [InlineData("11010519491231002Y")]
    [InlineData("11010519491231 02X")]
    [InlineData("１１０１０５１９４９１２３１００２X")] // full-width digits are digits to char.IsDigit, not to us
    [InlineData("11010519491231002-")]
    public void CharactersOtherThanDigitsAndAFinalXAreRejected(string value)
    {
        Assert.False(ResidentIdNumber.IsValid(value));
        Assert.Contains("characters", ResidentIdNumber.Explain(value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("19990230")] // 30 February
    [InlineData("20230229")] // 29 February in a common year
    [InlineData("19001301")] // month 13
    [InlineData("19990100")] // day 0
    [InlineData("18991231")] // before 1900
    public void ImpossibleBirthDateIsRejectedWhateverTheCheckCharacter(string birthDate)
    {
        foreach (var check in CheckCharacters)
        {
            var value = $"500103{birthDate}123{check}";
            Assert.False(ResidentIdNumber.IsValid(value));
            Assert.Contains("birth date", ResidentIdNumber.Explain(value), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LeapDayIsARealBirthDate()
    {
        Assert.True(ResidentIdNumber.IsValid(CompleteCheck("50010320000229123")));
    }

    [Fact]
    public void RegionCodeStartingWithZeroIsRejectedWhateverTheCheckCharacter()
    {
        foreach (var check in CheckCharacters)
        {
            var value = $"01010519491231002{check}";
            Assert.False(ResidentIdNumber.IsValid(value));
            Assert.Contains("region", ResidentIdNumber.Explain(value), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("11010519491231002")]
    [InlineData("50010319800101123")]
    [InlineData("44030620121231999")]
    public void ExactlyOneCheckCharacterCompletesAValidBody(string body)
    {
        Assert.Single(CheckCharacters, check => ResidentIdNumber.IsValid(body + check));
    }

    [Fact]
    public void WrongCheckDigitIsNamedAsTheReason()
    {
        Assert.Equal("wrong check digit", ResidentIdNumber.Explain("110105194912310021"));
    }

    [Fact]
    public void MaskKeepsRegionCodeAndLastFour()
    {
        Assert.Equal("110105********002X", ResidentIdNumber.Mask(PublishedSample));
        Assert.Equal("110105********002X", ResidentIdNumber.Mask("11010519491231002x"));
    }

    [Theory]
    [MemberData(nameof(ValidNumbers))]
    public void MaskNeverContainsTheBirthDateOrSequence(string valid)
    {
        var masked = ResidentIdNumber.Mask(valid);

        Assert.Equal(valid.Length, masked.Length);
        Assert.Equal(new string('*', 8), masked[6..14]);
        Assert.DoesNotContain(valid[6..14], masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1101051949")]
    public void MaskOfATooShortValueHidesEverything(string value)
    {
        Assert.Equal(new string('*', value.Length), ResidentIdNumber.Mask(value));
    }

    private static string CompleteCheck(string body) =>
        body + CheckCharacters.Single(check => ResidentIdNumber.IsValid(body + check));
}
