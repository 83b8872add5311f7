using System.Text;
using System.Text.Json;
using OneThing.Api.Catalog;
using OneThing.Api.Common;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Grains.Validation;

namespace OneThing.Tests.Validation;

public sealed class StrictJsonTests
{
    [Theory]
    [InlineData("""{"name":"张三","note":"第一行\n第二行"}""")]
    [InlineData("""{"reason":"tab\there, CR\r and LF\n"}""")]
    [InlineData("""{"delivery":{"method":"mail","address":"重庆市\n渝中区"}}""")]
    [InlineData("""{"name":"出生一件事","description":"第一段\r\n第二段"}""")]
    [InlineData("""{"name":"\u5f20\u4e09","emoji":"\ud83d\ude00","raw":"😀"}""")]
    [InlineData("""{"a":[1,{"b":[true,"x"],"n":null}],"c":{}}""")]
    public void CleanBodiesPass(string json)
    {
        Assert.Null(StrictJson.Check(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("""{"applicant":{"name":"\ud800"}}""", "applicant.name")]
    [InlineData("""{"applicant":{"name":"a\udc00b"}}""", "applicant.name")]
    [InlineData("""{"form":{"babyName":"x\ud800"}}""", "form.babyName")]
    [InlineData("""{"itemCode":"\ud800newborn"}""", "itemCode")]
    [InlineData("""{"materials":[{"code":"a"},{"code":"b","uri":"\ud800"}]}""", "materials[1].uri")]
    [InlineData("""{"optionalMatters":["a","\udfff"]}""", "optionalMatters[1]")]
    public void LoneSurrogatesAreRefusedNamingTheField(string json, string field)
    {
        var flaw = StrictJson.Check(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(flaw);
        Assert.Equal(field, flaw.Value.Field);
        Assert.Contains("surrogate", flaw.Value.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"form":{"babyName":"a\u0000b"}}""", "form.babyName")]
    [InlineData("""{"applicant":{"name":"a\nb"}}""", "applicant.name")]
    [InlineData("""{"applicant":{"name":"a\u001fb"}}""", "applicant.name")]
    [InlineData("""{"reason":"a\u0000b"}""", "reason")]
    [InlineData("""{"note":"bell\u0007"}""", "note")]
    [InlineData("""{"comment":"del\u007f"}""", "comment")]
    [InlineData("""{"materials":["a\tb"]}""", "materials[0]")]
    [InlineData("""{"na\u0000me":"x"}""", "body")]
    public void ControlCharactersAreRefusedOutsideFreeText(string json, string field)
    {
        var flaw = StrictJson.Check(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(flaw);
        if (field != "body")
        {
            Assert.Equal(field, flaw.Value.Field);
        }
        Assert.Contains("control characters", flaw.Value.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"materials":[null]}""", "materials[0]")]
    [InlineData("""{"materials":[{"code":"a"},null]}""", "materials[1]")]
    [InlineData("""{"events":["TaskReady",null]}""", "events[1]")]
    [InlineData("""{"holidays":[null],"workingWeekends":[]}""", "holidays[0]")]
    [InlineData("""{"a":{"b":[[null]]}}""", "a.b[0][0]")]
    public void NullEntriesOfListsAreRefusedNamingTheEntry(string json, string field)
    {
        var flaw = StrictJson.Check(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(flaw);
        Assert.Equal(field, flaw.Value.Field);
    }

    [Fact]
    public void RawDeleteCharacterIsRefused()
    {
        var flaw = StrictJson.Check([.. """{"name":"a"""u8, 0x7F, .. "\"}"u8]);

        Assert.Equal("name", flaw?.Field);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE5, 0xBC })]
    public void BytesThatAreNotUtf8AreRefusedAsTheBody(byte[] bad)
    {
        byte[] json = [.. """{"applicant":{"name":"a"""u8, .. bad, .. "\"}}"u8];

        Assert.Equal("body", StrictJson.Check(json)?.Field);
    }

    [Fact]
    public void EscapesMixedWithBytesThatAreNotUtf8AreRefusedAsTheBody()
    {
        byte[] json = [.. """{"name":"\n"""u8, 0xFF, .. "\"}"u8];

        Assert.Equal("body", StrictJson.Check(json)?.Field);
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "a")]
    [InlineData("""{"applicant":{"idNumber":"1","name":"x","idNumber":"2"}}""", "applicant.idNumber")]
    [InlineData("""{"materials":[{"code":"a"},{"code":"b","code":"c"}]}""", "materials[1].code")]
    [InlineData("""{"x":{"a":1},"y":{"a":1},"x":2}""", "x")]
    [InlineData("""{"\u0061":1,"a":2}""", "a")]
    public void DuplicatePropertiesAreFoundAtAnyDepth(string json, string path)
    {
        Assert.Equal(path, StrictJson.FindDuplicate(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void PropertiesOfDifferentObjectsMayShareANameAndSoMayArrayElements()
    {
        Assert.Null(StrictJson.FindDuplicate("""{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}"""u8));
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("Application/JSON; charset=UTF-8", true)]
    [InlineData("application/json;charset=\"utf-8\"", true)]
    [InlineData("application/merge-patch+json", true)]
    [InlineData("application/json; charset=iso-8859-1", false)]
    [InlineData("text/plain", false)]
    [InlineData("text/json", false)]
    [InlineData("application/xml", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData("multipart/form-data; boundary=x", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyJsonInUtf8IsJson(string? contentType, bool json)
    {
        Assert.Equal(json, JsonBody.IsJson(contentType));
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1000000", 1_000_000)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void PageNumbersInRangeAreRead(string? text, int? expected)
    {
        var errors = new FieldErrors();

        Assert.Equal(expected, QueryNumber.Read(text, "page", 1, Paging.MaxPage, errors));
        Assert.False(errors.Any);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1.0")]
    [InlineData("1,2")]
    [InlineData("1000001")]
    [InlineData("2147483648")]
    [InlineData("99999999999")]
    public void MalformedOrOutOfRangePageNumbersNameTheParameter(string text)
    {
        var errors = new FieldErrors();

        Assert.Null(QueryNumber.Read(text, "page", 1, Paging.MaxPage, errors));
        Assert.True(errors.Has("page"));
    }

    [Fact]
    public void TheLastPageStillHasAnOffsetThatFitsAnInteger()
    {
        var paging = Paging.Read(Paging.MaxPage.ToString(System.Globalization.CultureInfo.InvariantCulture), Paging.MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), new FieldErrors());

        Assert.Equal((long)(Paging.MaxPage - 1) * Paging.MaxPageSize, paging.Offset);
    }

    [Theory]
    [InlineData("newborn", true)]
    [InlineData("open-restaurant", true)]
    [InlineData("a1-b2", true)]
    [InlineData("", false)]
    [InlineData("Newborn", false)]
    [InlineData("1abc", false)]
    [InlineData("a--b", false)]
    [InlineData("a-", false)]
    [InlineData("a_b", false)]
    [InlineData("a b", false)]
    public void ItemCodesAreKebabCase(string code, bool kebab)
    {
        Assert.Equal(kebab, ItemBody.IsKebabCase(code));
    }

    [Fact]
    public void ItemCodesHaveAtMostSixtyFourCharacters()
    {
        Assert.Null(ItemBody.CodeProblem(new string('a', FieldLimits.Code)));
        Assert.NotNull(ItemBody.CodeProblem(new string('a', FieldLimits.Code + 1)));
    }

    [Theory]
    [InlineData("\"a\\u0000b\"", "must not contain control characters")]
    [InlineData("\"line\\nbreak\"", "must not contain control characters")]
    [InlineData("\"\\ud800\"", "must be valid Unicode text")]
    public void FormStringsRefuseControlCharactersAndLoneSurrogates(string json, string expectedStart)
    {
        using var document = JsonDocument.Parse(json);

        Assert.False(FormValues.TryNormalize(FormFieldTypes.String, null, document.RootElement, out _, out var error));
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
    }
}
