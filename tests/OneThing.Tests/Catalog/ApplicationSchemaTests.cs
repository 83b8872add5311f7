using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OneThing.Api.Catalog;
using OneThing.Api.Common;
using OneThing.Contracts;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Validation;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Catalog;

/// <summary>The JSON Schema of an item's application, built from the shipped catalog; no cluster.</summary>
public sealed class ApplicationSchemaTests
{
    private static readonly Lazy<ItemCatalog> Shipped = new(() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory));

    private static ItemDefinition Item(string code) => Shipped.Value.Latest().Single(item => item.Code == code);

    private static JsonNode SchemaOf(ItemDefinition item) => JsonNode.Parse(ApplicationSchema.For(item).Text)!;

    public static TheoryData<string> ShippedItems() => [.. Shipped.Value.Latest().Select(item => item.Code).Order(StringComparer.Ordinal)];

    [Fact]
    public void FormFieldsAreTypedWithTheirRequiredOnesEnumsAndPatterns()
    {
        var item = Item("open-restaurant");
        var schema = SchemaOf(item);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        var form = schema["properties"]!["form"]!;
        Assert.False((bool)form["additionalProperties"]!);
        Assert.Equal(item.Form.Where(f => f.Required).Select(f => f.Name), form["required"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(item.Form.Select(f => f.Name), form["properties"]!.AsObject().Select(p => p.Key));
        foreach (var field in item.Form)
        {
            var property = form["properties"]![field.Name]!;
            Assert.Equal(field.Label, (string?)property["title"]);
            Assert.Equal(field.Type, (string?)property["x-fieldType"]);
            switch (field.Type)
            {
                case FormFieldTypes.Enum:
                    Assert.Equal(field.Options!, property["enum"]!.AsArray().Select(n => (string?)n));
                    break;
                case FormFieldTypes.Integer:
                    Assert.Equal("integer", (string?)property["type"]);
                    Assert.Equal(long.MinValue, (long)property["minimum"]!);
                    Assert.Equal(long.MaxValue, (long)property["maximum"]!);
                    break;
                case FormFieldTypes.String:
                    Assert.Equal(FormValues.MaxStringLength, (int)property["maxLength"]!);
                    break;
                case FormFieldTypes.IdNumber:
                    Assert.Contains(Patterns.ResidentIdNumberShape, (string?)property["pattern"], StringComparison.Ordinal);
                    break;
                case FormFieldTypes.Phone:
                    Assert.Contains(Patterns.PhoneShape, (string?)property["pattern"], StringComparison.Ordinal);
                    break;
            }
        }
    }

    [Fact]
    public void DatesBooleansAndCreditCodesHaveTheirTypes()
    {
        var medical = SchemaOf(Item("medical-expense-reimbursement"))["properties"]!["form"]!["properties"]!.AsObject();
        Assert.Contains(medical, p => (string?)p.Value!["x-fieldType"] == "date" && (string?)p.Value["format"] == "date");
        Assert.Contains(medical, p => (string?)p.Value!["x-fieldType"] == "boolean" && (string?)p.Value["type"] == "boolean");
        var retirement = SchemaOf(Item("retirement"))["properties"]!["form"]!["properties"]!.AsObject();
        Assert.Contains(retirement, p => (string?)p.Value!["x-fieldType"] == "creditCode"
            && ((string?)p.Value["pattern"])!.Contains(Patterns.UnifiedSocialCreditCodeShape, StringComparison.Ordinal));
    }

    [Fact]
    public void MaterialsCarryTheirDeferrableMarksAndOnlyNonDeferrableOnesAreDemanded()
    {
        var item = Item("open-restaurant");
        var materials = SchemaOf(item)["properties"]!["materials"]!;
        Assert.Equal(item.Materials.Select(m => m.Code), materials["items"]!["properties"]!["code"]!["enum"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(
            item.Materials.Select(m => (m.Code, m.Required, m.Deferrable)),
            materials["x-materials"]!.AsArray().Select(m => ((string)m!["code"]!, (bool)m["required"]!, (bool)m["deferrable"]!)));
        Assert.Contains(item.Materials, m => m.Deferrable);
        Assert.Equal(
            item.Materials.Where(m => m.Required && !m.Deferrable).Select(m => m.Code),
            materials["allOf"]!.AsArray().Select(c => (string?)c!["contains"]!["properties"]!["code"]!["const"]));
    }

    [Fact]
    public void OptionalMattersAreTheItemsOptionalOnes()
    {
        var item = Item("utility-connection");
        var matters = SchemaOf(item)["properties"]!["optionalMatters"]!;
        Assert.Equal(item.Matters.Where(m => m.Optional).Select(m => m.Code), matters["items"]!["enum"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(0, (int)SchemaOf(Item("newborn"))["properties"]!["optionalMatters"]!["maxItems"]!);
    }

    [Theory]
    [MemberData(nameof(ShippedItems))]
    public void ACompleteApplicationPassesItsItemsSchema(string code)
    {
        var item = Item(code);
        var errors = new FieldErrors();

        ApplicationSchema.For(item).Validate(Application(item, seed: 310_000), errors);

        Assert.False(errors.Any, string.Join("; ", errors.ToDictionary().Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
    }

    [Fact]
    public void AnApplicationTheSchemaRefusesGetsAFieldErrorForEachFault()
    {
        var item = Item("open-restaurant");
        var application = CaseDriver.SampleApplication(ItemJson(item), 310_001);
        var form = application["form"]!.AsObject();
        var enumField = item.Form.First(f => f.Type == FormFieldTypes.Enum);
        var integerField = item.Form.First(f => f.Type == FormFieldTypes.Integer);
        var phoneField = item.Form.First(f => f.Type == FormFieldTypes.Phone);
        var requiredField = item.Form.First(f => f.Required && f.Type == FormFieldTypes.String);
        form[enumField.Name] = "no-such-option";
        form[integerField.Name] = "12";
        form[phoneField.Name] = "12345";
        form.Remove(requiredField.Name);
        form["noSuchField"] = "x";
        var demanded = item.Materials.First(m => m.Required && !m.Deferrable);
        var materials = application["materials"]!.AsArray();
        materials.Remove(materials.Single(m => (string?)m!["code"] == demanded.Code));
        application["optionalMatters"] = new JsonArray("no-such-matter");
        var errors = new FieldErrors();

        ApplicationSchema.For(item).Validate(JsonSerializer.SerializeToElement(application), errors);

        var refused = errors.ToDictionary();
        Assert.StartsWith("must be one of", refused[$"form.{enumField.Name}"].Single(), StringComparison.Ordinal);
        Assert.StartsWith("must be a whole number", refused[$"form.{integerField.Name}"].Single(), StringComparison.Ordinal);
        Assert.StartsWith("must be a valid phone number", refused[$"form.{phoneField.Name}"].Single(), StringComparison.Ordinal);
        Assert.Equal($"Required ({requiredField.Label}).", refused[$"form.{requiredField.Name}"].Single());
        Assert.Equal($"Not a field of {item.Code}.", refused["form.noSuchField"].Single());
        Assert.Equal($"Missing required material {demanded.Code} ({demanded.Name}).", refused["materials"].Single());
        Assert.Equal($"Not an optional matter of {item.Code}.", refused["optionalMatters"].Single());
    }

    [Fact]
    public void AFieldAlreadyRefusedKeepsItsFirstError()
    {
        var item = Item("newborn");
        var application = CaseDriver.SampleApplication(ItemJson(item), 310_002);
        application["form"]!["babyGender"] = "unknown";
        var errors = new FieldErrors();
        errors.Add("form.babyGender", "first");

        ApplicationSchema.For(item).Validate(JsonSerializer.SerializeToElement(application), errors);

        Assert.Equal(["first"], errors.ToDictionary()["form.babyGender"]);
    }

    [Fact]
    public void OneSchemaIsBuiltPerDefinition()
    {
        var item = Item("newborn");
        var copy = JsonSerializer.Deserialize<ItemDefinition>(JsonSerializer.Serialize(item, CatalogJson.Options), CatalogJson.Options)!;

        Assert.Same(ApplicationSchema.For(item), ApplicationSchema.For(copy));
        Assert.NotSame(ApplicationSchema.For(item), ApplicationSchema.For(item with { Version = item.Version + 100 }));
    }

    [Theory]
    [InlineData("13800138000", true)]
    [InlineData("010-12345678", true)]
    [InlineData("02312345678", true)]
    [InlineData("0231234567", true)]
    [InlineData("12800138000", false)]
    [InlineData("1380013800", false)]
    [InlineData("0-12345678", false)]
    [InlineData("023-123456", false)]
    [InlineData("+8613800138000", false)]
    public void ThePhonePatternAcceptsWhatThePhoneRuleAccepts(string phone, bool valid)
    {
        Assert.Equal(valid, PhoneNumber.IsValid(phone));
        Assert.Equal(valid, Regex.IsMatch(phone, $"^(?:{Patterns.PhoneShape})$"));
    }

    [Fact]
    public void IdentifierPatternsAcceptValidNumbers()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            Assert.Matches($"^(?:{Patterns.ResidentIdNumberShape})$", TestIdentities.IdNumber(seed));
            Assert.Matches($"^(?:{Patterns.UnifiedSocialCreditCodeShape})$", TestIdentities.CreditCode(seed));
        }
        Assert.DoesNotMatch($"^(?:{Patterns.ResidentIdNumberShape})$", "11010519491231002");
        Assert.DoesNotMatch($"^(?:{Patterns.UnifiedSocialCreditCodeShape})$", "91350100M000100Y4O");
    }

    private static JsonElement ItemJson(ItemDefinition item) => JsonSerializer.SerializeToElement(item, ViewJson.Options);

    private static JsonElement Application(ItemDefinition item, int seed) =>
        JsonSerializer.SerializeToElement(CaseDriver.SampleApplication(ItemJson(item), seed));
}
