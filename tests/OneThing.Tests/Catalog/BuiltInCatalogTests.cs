using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using Orleans.Serialization;

namespace OneThing.Tests.Catalog;

/// <summary>The catalog the build ships next to every host (catalog/ in the output directory).</summary>
public sealed class BuiltInCatalogTests
{
    private static readonly string Directory = CatalogServiceCollectionExtensions.DefaultDirectory;

    private static readonly Lazy<ItemCatalog> Shipped = new(() => ItemCatalog.LoadFromDirectory(Directory));

    /// <summary>The newest version of every shipped variant: the national bases and Chongqing's newborn item.</summary>
    private static IEnumerable<ItemDefinition> EveryVariant() => Shipped.Value.Latest().Concat(Shipped.Value.Latest("chongqing")).Distinct();

    public static TheoryData<string> ItemFiles()
    {
        var files = new TheoryData<string>();
        foreach (var path in System.IO.Directory.GetFiles(Path.Combine(Directory, "items"), "*.json").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(path));
        }
        return files;
    }

    [Theory]
    [MemberData(nameof(ItemFiles))]
    public void EveryShippedItemFileParsesAndPassesValidation(string file)
    {
        var departments = JsonSerializer.Deserialize<List<DepartmentDefinition>>(
            File.ReadAllText(Path.Combine(Directory, "departments.json")), ItemCatalog.JsonOptions)!;
        var item = JsonSerializer.Deserialize<ItemDefinition>(
            File.ReadAllText(Path.Combine(Directory, "items", file)), ItemCatalog.JsonOptions)!;

        var errors = CatalogValidator.Validate(item, departments);

        Assert.True(errors.Count == 0, $"{file}: {string.Join("; ", errors)}");
        Assert.Equal(item.Region is null ? $"{item.Code}.json" : $"{item.Code}.{item.Region}.json", file);
    }

    [Fact]
    public void ShippedCatalogServesTheFiveFirstBatchItems()
    {
        var codes = Shipped.Value.Latest().Select(i => i.Code).ToList();

        Assert.Superset(
            new HashSet<string> { "newborn", "open-restaurant", "company-info-change", "company-deregistration", "retirement" },
            codes.ToHashSet());
        Assert.Equal(codes.Order(StringComparer.Ordinal), codes);
    }

    [Fact]
    public void ShippedDepartmentsCoverEveryDevelopmentKeyDepartment()
    {
        string[] developmentKeyDepartments =
        [
            "health", "police", "medical-insurance", "hrss", "market-regulation", "tax", "housing-fund",
            "housing-construction", "fire", "bank", "customs", "seal", "disease-control",
        ];

        Assert.All(developmentKeyDepartments, code => Assert.True(Shipped.Value.IsKnownDepartment(code), code));
        Assert.Equal("bank", Shipped.Value.Departments.Single(d => d.Code == "bank").Kind);
        Assert.Equal("hospital", Shipped.Value.Departments.Single(d => d.Code == "hospital").Kind);
    }

    [Fact]
    public void NationalNewbornRunsFiveMattersFromCertificateToHouseholdToInsuranceAndCard()
    {
        var newborn = Shipped.Value.Find("newborn")!;

        Assert.Null(newborn.Region);
        Assert.Equal(1, newborn.Version);
        Assert.Equal(
            ["birth-certificate", "household-registration", "residents-medical-insurance", "social-security-card", "vaccination-certificate"],
            newborn.Matters.Select(m => m.Code));
        Assert.All(newborn.Matters, m => Assert.False(m.Optional));
        Assert.Equal(5, newborn.TimeLimit.WorkingDays);
        Assert.Null(newborn.TimeLimit.Duration);
        Assert.Equal("individual", newborn.Audience);
        Assert.Empty(newborn.FindMatter("birth-certificate")!.DependsOn);
        Assert.Equal(["birth-certificate"], newborn.FindMatter("household-registration")!.DependsOn);
        Assert.Equal(["household-registration"], newborn.FindMatter("residents-medical-insurance")!.DependsOn);
        Assert.Equal(["household-registration"], newborn.FindMatter("social-security-card")!.DependsOn);
        Assert.Equal(["birth-certificate"], newborn.FindMatter("vaccination-certificate")!.DependsOn);
        Assert.Equal("police", newborn.FindMatter("household-registration")!.Department);
        Assert.Equal("medical-insurance", newborn.FindMatter("residents-medical-insurance")!.Department);
        Assert.Equal("hrss", newborn.FindMatter("social-security-card")!.Department);
        Assert.Equal("disease-control", newborn.FindMatter("vaccination-certificate")!.Department);
    }

    [Fact]
    public void ChongqingNewbornIsItsVersionTwoWithTenMattersInFiveWorkingDays()
    {
        var newborn = Shipped.Value.Find("newborn", "chongqing")!;

        Assert.Equal(("chongqing", 2), (newborn.Region, newborn.Version));
        Assert.Equal(10, newborn.Matters.Count);
        Assert.Equal(5, newborn.TimeLimit.WorkingDays);
        Assert.True(newborn.FindMatter("parenting-registration")!.Optional);
        Assert.Equal("tax", newborn.FindMatter("medical-insurance-payment")!.Department);
        Assert.Equal(["chongqing"], Shipped.Value.Regions("newborn"));
    }

    [Fact]
    public void NewbornVariantsDefineTheMattersTheyShareAlike()
    {
        var national = Shipped.Value.Find("newborn")!;
        var chongqing = Shipped.Value.Find("newborn", "chongqing")!;

        // One handover whichever variant a case runs: the same inputs and outputs, form fields and materials.
        static string Json(object? value) => JsonSerializer.Serialize(value, ItemCatalog.JsonOptions);
        Assert.All(national.Matters, matter => Assert.Equal(Json(matter), Json(chongqing.FindMatter(matter.Code))));
        Assert.All(national.Form, field => Assert.Equal(Json(field), Json(chongqing.Form.Single(f => f.Name == field.Name))));
        Assert.All(national.Materials, material => Assert.Contains(material, chongqing.Materials));
        Assert.Equal((national.Name, national.LeadDepartment, national.Audience), (chongqing.Name, chongqing.LeadDepartment, chongqing.Audience));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("chongqing")]
    public void NewbornHandsTheCertificateNumberToThePoliceAndTheBabysIdNumberOnward(string? region)
    {
        var newborn = Shipped.Value.Find("newborn", region)!;

        Assert.Contains("birthCertificateNumber", newborn.FindMatter("birth-certificate")!.Outputs);
        Assert.Contains("birthCertificateNumber", newborn.FindMatter("household-registration")!.Inputs);
        Assert.Contains("citizenIdNumber", newborn.FindMatter("household-registration")!.Outputs);
        Assert.Contains("citizenIdNumber", newborn.FindMatter("residents-medical-insurance")!.Inputs);
        Assert.Contains("citizenIdNumber", newborn.FindMatter("social-security-card")!.Inputs);
    }

    [Fact]
    public void OpenRestaurantFoodLicenceWaitsForTheBusinessLicenceWhileSignageAndFireSafetyRunAtOnce()
    {
        var restaurant = Shipped.Value.Find("open-restaurant")!;

        Assert.Equal("market-regulation", restaurant.LeadDepartment);
        Assert.Equal(["business-licence"], restaurant.FindMatter("food-business-licence")!.DependsOn);
        Assert.Contains("unifiedSocialCreditCode", restaurant.FindMatter("food-business-licence")!.Inputs);
        Assert.Empty(restaurant.FindMatter("outdoor-signage")!.DependsOn);
        Assert.Empty(restaurant.FindMatter("fire-safety-inspection")!.DependsOn);
        Assert.True(restaurant.FindMatter("tobacco-retail-licence")!.Optional);
        Assert.Contains(restaurant.Materials, m => m.Deferrable && m.Required);
    }

    [Fact]
    public void CompanyInfoChangeIsRegisteredOnceAndFansOutToFiveDepartments()
    {
        var change = Shipped.Value.Find("company-info-change")!;
        var followers = change.Matters.Where(m => m.Code != "change-registration").ToList();

        Assert.Empty(change.FindMatter("change-registration")!.DependsOn);
        Assert.Equal(
            ["bank", "housing-fund", "hrss", "police", "tax"],
            followers.Select(m => m.Department).Order(StringComparer.Ordinal));
        Assert.All(followers, m =>
        {
            Assert.Equal(["change-registration"], m.DependsOn);
            Assert.Contains("changeRegistrationNumber", m.Inputs);
        });
    }

    [Fact]
    public void CompanyDeregistrationClearsTaxInTenWorkingDaysBeforeTheRegistryWhileTheRestRunAlongside()
    {
        var deregistration = Shipped.Value.Find("company-deregistration")!;
        var tax = deregistration.FindMatter("tax-deregistration")!;
        var registry = deregistration.FindMatter("registry-deregistration")!;
        var alongside = deregistration.Matters.Where(m => m != tax && m != registry).ToList();

        Assert.Equal(10, tax.TimeLimit.WorkingDays);
        Assert.Equal(["tax-deregistration"], registry.DependsOn);
        Assert.Equal(1, registry.TimeLimit.WorkingDays);
        Assert.Equal(["bank", "customs", "hrss", "seal"], alongside.Select(m => m.Department).Order(StringComparer.Ordinal));
        Assert.All(alongside, m =>
        {
            Assert.Empty(m.DependsOn);
            Assert.Equal(1, m.TimeLimit.WorkingDays);
        });
        Assert.True(deregistration.TimeLimit.WorkingDays >= 11);
    }

    [Fact]
    public void RetirementWithdrawalNeedsTheFreezeAndTheRetirementStatusFromThePension()
    {
        var retirement = Shipped.Value.Find("retirement")!;
        var withdrawal = retirement.FindMatter("housing-fund-withdrawal")!;

        Assert.Equal(["housing-fund-freeze", "pension-application"], withdrawal.DependsOn.Order(StringComparer.Ordinal));
        Assert.Contains("housingFundFreezeReference", withdrawal.Inputs);
        Assert.Contains("retirementApprovedDate", withdrawal.Inputs);
        Assert.Equal("hrss", retirement.FindMatter("pension-application")!.Department);
        Assert.Equal("medical-insurance", retirement.FindMatter("medical-insurance-change")!.Department);
    }

    [Fact]
    public void ShippedItemsRoundTripThroughTheApiJsonShape()
    {
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        foreach (var item in EveryVariant())
        {
            var served = JsonSerializer.Serialize(item, web);

            var readBack = JsonSerializer.Deserialize<ItemDefinition>(served, ItemCatalog.JsonOptions)!;

            Assert.Equal(served, JsonSerializer.Serialize(readBack, web));
        }
    }

    [Fact]
    public void ShippedItemsCrossTheOrleansWireUnchanged()
    {
        using var services = new ServiceCollection()
            .AddSerializer(builder => builder.AddAssembly(typeof(ItemDefinition).Assembly))
            .BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        foreach (var item in EveryVariant())
        {
            var copy = serializer.Deserialize<ItemDefinition>(serializer.SerializeToArray(item));

            Assert.Equal(JsonSerializer.Serialize(item, web), JsonSerializer.Serialize(copy, web));
        }
    }

    [Fact]
    public void CatalogSnapshotCannotBeChangedThroughTheListsItHandsOut()
    {
        var newborn = Shipped.Value.Find("newborn")!;

        Assert.Throws<NotSupportedException>(() => ((IList<MatterDefinition>)newborn.Matters).Clear());
        Assert.Throws<NotSupportedException>(() => ((IList<string>)newborn.Matters[0].Inputs).Add("anything"));
    }
}
