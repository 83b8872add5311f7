using System.Text.Json;
using OneThing.Grains.Validation;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Validation;

public sealed class FormValuesTests
{
    private static readonly string[] Colours = ["red", "green", "Blue"];

    [Theory]
    [InlineData("string", "\"Zhang San\"", "Zhang San")]
    [InlineData("string", "\"  padded  \"", "padded")]
    [InlineData("string", "\"张三\"", "张三")]
    [InlineData("date", "\"2024-02-29\"", "2024-02-29")]
    [InlineData("date", "\"1900-01-01\"", "1900-01-01")]
    [InlineData("integer", "0", "0")]
    [InlineData("integer", "-42", "-42")]
    [InlineData("integer", "9223372036854775807", "9223372036854775807")]
    [InlineData("integer", "-9223372036854775808", "-9223372036854775808")]
    [InlineData("integer", "3.0", "3")]
    [InlineData("integer", "12e2", "1200")]
    [InlineData("boolean", "true", "true")]
    [InlineData("boolean", "false", "false")]
    [InlineData("idNumber", "\"11010519491231002X\"", "11010519491231002X")]
    [InlineData("idNumber", "\"11010519491231002x\"", "11010519491231002X")]
    [InlineData("idNumber", "\" 11010519491231002X \"", "11010519491231002X")]
    [InlineData("creditCode", "\"91350100M000100Y43\"", "91350100M000100Y43")]
    [InlineData("creditCode", "\"91350100m000100y43\"", "91350100M000100Y43")]
    [InlineData("phone", "\"13800138000\"", "13800138000")]
    [InlineData("phone", "\"0755-12345678\"", "0755-12345678")]
    [InlineData("enum", "\"green\"", "green")]
    [InlineData("enum", "\"Blue\"", "Blue")]
    public void GoodValuesAreAcceptedInTheirNormalForm(string type, string json, string expected)
    {
        var accepted = FormValues.TryNormalize(type, Colours, Json(json), out var normalized, out var error);

        Assert.True(accepted, error);
        Assert.Null(error);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("string", "\"\"", "must be non-empty text")]
    [InlineData("string", "\"   \"", "must be non-empty text")]
    [InlineData("string", "42", "must be non-empty text")]
    [InlineData("string", "null", "must be non-empty text")]
    [InlineData("string", "[\"a\"]", "must be non-empty text")]
    [InlineData("date", "\"2023-02-29\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"1999-02-30\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"2024-13-01\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"2024/01/05\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"05-01-2024\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"2024-01-05T00:00:00\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"20240105\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"2024-1-5\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\" 2024-01-05\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "\"\"", "must be a date in the form yyyy-MM-dd")]
    [InlineData("date", "20240105", "must be a date in the form yyyy-MM-dd")]
    [InlineData("integer", "1.5", "must be a whole number")]
    [InlineData("integer", "9223372036854775808", "must be a whole number")]
    [InlineData("integer", "1e30", "must be a whole number")]
    [InlineData("integer", "\"42\"", "must be a whole number")]
    [InlineData("integer", "true", "must be a whole number")]
    [InlineData("boolean", "\"true\"", "must be true or false")]
    [InlineData("boolean", "1", "must be true or false")]
    [InlineData("boolean", "null", "must be true or false")]
    [InlineData("idNumber", "\"110105194912310021\"", "must be a valid resident ID number (wrong check digit)")]
    [InlineData("idNumber", "\"50010319990230123X\"", "must be a valid resident ID number (impossible birth date")]
    [InlineData("idNumber", "\"1101051949123100\"", "must be a valid resident ID number (wrong length")]
    [InlineData("idNumber", "11010519491231002", "must be a resident ID number given as a JSON string")]
    [InlineData("creditCode", "\"91350100M000100Y44\"", "must be a valid unified social credit code (wrong check character)")]
    [InlineData("creditCode", "\"91350100O000100Y43\"", "must be a valid unified social credit code (wrong characters")]
    [InlineData("creditCode", "null", "must be a unified social credit code given as a JSON string")]
    [InlineData("phone", "\"12345678901\"", "must be a valid phone number (wrong prefix")]
    [InlineData("phone", "\"+8613800138000\"", "must be a valid phone number (wrong prefix")]
    [InlineData("phone", "13800138000", "must be a phone number given as a JSON string")]
    [InlineData("enum", "\"blue\"", "must be one of: red, green, Blue")]
    [InlineData("enum", "\" red\"", "must be one of: red, green, Blue")]
    [InlineData("enum", "0", "must be one of: red, green, Blue")]
    [InlineData("colour", "\"red\"", "cannot be checked: the field type 'colour' is unknown")]
    [InlineData("String", "\"text\"", "cannot be checked: the field type 'String' is unknown")]
    public void BadValuesAreRejectedWithAnErrorNamingWhatWasExpected(string type, string json, string expectedStart)
    {
        var accepted = FormValues.TryNormalize(type, Colours, Json(json), out var normalized, out var error);

        Assert.False(accepted);
        Assert.Equal(string.Empty, normalized);
        Assert.NotNull(error);
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
    }

    [Fact]
    public void StringOfExactlyTheMaximumLengthIsAcceptedAndOneMoreIsNot()
    {
        var longest = new string('字', FormValues.MaxStringLength);

        Assert.True(FormValues.TryNormalize("string", null, JsonSerializer.SerializeToElement(longest), out var normalized, out _));
        Assert.Equal(longest, normalized);
        Assert.False(FormValues.TryNormalize("string", null, JsonSerializer.SerializeToElement(longest + "字"), out _, out var error));
        Assert.Equal("must be text of at most 2000 characters", error);
    }

    [Fact]
    public void StringLengthIsMeasuredAfterTrimming()
    {
        var padded = "  " + new string('a', FormValues.MaxStringLength) + "  ";

        Assert.True(FormValues.TryNormalize("string", null, JsonSerializer.SerializeToElement(padded), out _, out _));
    }

    [Fact]
    public void EnumWithoutOptionsAcceptsNothing()
    {
        foreach (var options in new[] { null, Array.Empty<string>() })
        {
            Assert.False(FormValues.TryNormalize("enum", options, Json("\"red\""), out _, out var error));
            Assert.Equal("cannot be answered: the field offers no options", error);
        }
    }

    [Fact]
    public void MissingValueIsRejectedForEveryType()
    {
        foreach (var type in new[] { "string", "date", "integer", "boolean", "idNumber", "creditCode", "phone", "enum" })
        {
            Assert.False(FormValues.TryNormalize(type, Colours, default, out _, out var error), type);
            Assert.False(string.IsNullOrEmpty(error), type);
        }
    }

    [Fact]
    public void ErrorsNeverRepeatAnIdentityNumber()
    {
        var idNumber = TestIdentities.IdNumber(7);
        var wrong = idNumber[..17] + (idNumber[17] == '0' ? '1' : '0');

        FormValues.TryNormalize("idNumber", null, JsonSerializer.SerializeToElement(wrong), out _, out var error);

        Assert.NotNull(error);
        Assert.DoesNotContain(wrong[6..14], error, StringComparison.Ordinal);
    }

    [Fact]
    public void TestIdentitiesAreAcceptedByTheirFieldTypes()
    {
        Assert.True(FormValues.TryNormalize("idNumber", null, JsonSerializer.SerializeToElement(TestIdentities.IdNumber(3)), out _, out _));
        Assert.True(FormValues.TryNormalize("creditCode", null, JsonSerializer.SerializeToElement(TestIdentities.CreditCode(3)), out _, out _));
        Assert.True(FormValues.TryNormalize("phone", null, JsonSerializer.SerializeToElement(TestIdentities.Phone), out _, out _));
    }

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
