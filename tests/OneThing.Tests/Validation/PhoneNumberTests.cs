using OneThing.Grains.Validation;

namespace OneThing.Tests.Validation;

public sealed class PhoneNumberTests
{
    [Theory]
    [InlineData("13800138000")]
    [InlineData("15012345678")]
    [InlineData("16612345678")]
    [InlineData("19912345678")]
    public void MobileNumbersOfElevenDigitsFrom13To19AreValid(string value)
    {
        Assert.True(PhoneNumber.IsValid(value));
        Assert.Null(PhoneNumber.Explain(value));
    }

    [Theory]
    [InlineData("010-12345678")] // Beijing: 2-digit area code, 8 digits
    [InlineData("01012345678")]
    [InlineData("023-6312345")] // 7-digit local number
    [InlineData("0755-12345678")] // Shenzhen: 3-digit area code
    [InlineData("0755-1234567")]
    [InlineData("07551234567")]
    [InlineData("057188888888")] // 3-digit area code and 8 digits, no hyphen
    public void LandlinesWithOptionalHyphenAfterTheAreaCodeAreValid(string value)
    {
        Assert.True(PhoneNumber.IsValid(value));
        Assert.Null(PhoneNumber.Explain(value));
    }

    [Theory]
    [InlineData("12012345678", "prefix")] // 10x–12x are never issued to subscribers
    [InlineData("1380013800", "length")]
    [InlineData("138001380001", "length")]
    [InlineData("1380013800a", "characters")]
    [InlineData("138-0013-8000", "characters")]
    [InlineData("138 0013 8000", "characters")]
    [InlineData("+8613800138000", "prefix")]
    [InlineData("8613800138000", "prefix")]
    [InlineData("23456789", "prefix")]
    [InlineData("010-123456", "length")]
    [InlineData("010-123456789", "length")]
    [InlineData("012345678", "length")]
    [InlineData("0123456789012", "length")]
    [InlineData("01-12345678", "area code")]
    [InlineData("01234-1234567", "area code")]
    [InlineData("010--12345678", "characters")]
    [InlineData("010-1234-5678", "characters")]
    [InlineData("010 12345678", "characters")]
    public void OtherShapesAreRejectedWithTheReason(string value, string reason)
    {
        Assert.False(PhoneNumber.IsValid(value));
        Assert.Contains(reason, PhoneNumber.Explain(value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void MissingValueIsRejected(string? value)
    {
        Assert.False(PhoneNumber.IsValid(value));
        Assert.NotNull(PhoneNumber.Explain(value));
    }

    [Theory]
    [InlineData("13812345678", "138****5678")]
    [InlineData("010-12345678", "010*****5678")]
    [InlineData("0755-1234567", "075*****4567")]
    public void MaskKeepsFirstThreeAndLastFour(string value, string masked)
    {
        Assert.Equal(masked, PhoneNumber.Mask(value));
    }

    [Theory]
    [InlineData("13812345678")]
    [InlineData("19900001111")]
    [InlineData("02112345678")]
    public void MaskNeverContainsTheMiddleDigits(string value)
    {
        var masked = PhoneNumber.Mask(value);

        Assert.Equal(value.Length, masked.Length);
        Assert.Equal(new string('*', value.Length - 7), masked[3..^4]);
    }

    [Fact]
    public void MaskOfATooShortValueHidesEverything()
    {
        Assert.Equal("*******", PhoneNumber.Mask("1381234"));
    }
}
