using OneThing.Grains.Catalog;

namespace OneThing.Tests.Catalog;

/// <summary>
/// Which variant of an item a region gets, and how each variant keeps its own versions: the rule lives in
/// <see cref="ItemCatalog"/> alone. The shipped catalog has newborn's national base (v1, 5 matters) and Chongqing's
/// variant (v2, 10 matters).
/// </summary>
public sealed class RegionalVariantTests
{
    private static ItemCatalog FreshCatalog() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory);

    [Fact]
    public void RegionWithAVariantGetsItAndEveryOtherRegionGetsTheNationalBase()
    {
        var catalog = FreshCatalog();

        var chongqing = catalog.Find("newborn", "chongqing")!;
        var shanghai = catalog.Find("newborn", "shanghai")!;

        Assert.Equal(("chongqing", 2, 10), (chongqing.Region, chongqing.Version, chongqing.Matters.Count));
        Assert.Equal(((string?)null, 1, 5), (shanghai.Region, shanghai.Version, shanghai.Matters.Count));
        Assert.Same(shanghai, catalog.Find("newborn"));
        Assert.Same(shanghai, catalog.Find("newborn", region: null, version: null));
        Assert.Same(catalog.Find("retirement"), catalog.Find("retirement", "chongqing"));
        Assert.Null(catalog.Find("no-such-item", "chongqing"));
    }

    [Fact]
    public void VersionsAreNumberedPerVariantAndAnAskedVersionNeverFallsBackToAnotherVariant()
    {
        var catalog = FreshCatalog();

        Assert.Equal(10, catalog.Find("newborn", "chongqing", 2)!.Matters.Count);
        // Chongqing has a variant, so its version 1 is Chongqing's, which does not exist: not the national v1.
        Assert.Null(catalog.Find("newborn", "chongqing", 1));
        Assert.Null(catalog.Find("newborn", 2));
        Assert.Equal(5, catalog.Find("newborn", "shanghai", 1)!.Matters.Count);
        Assert.Null(catalog.FindVariant("newborn", "shanghai", 1));
        Assert.Same(catalog.Find("newborn", "chongqing"), catalog.FindVariant("newborn", "chongqing", 2));
    }

    [Fact]
    public void NewVariantVersionLeavesTheNationalBaseAndEarlierVersionsAlone()
    {
        var catalog = FreshCatalog();
        var national = catalog.Find("newborn")!;
        var chongqing2 = catalog.Find("newborn", "chongqing")!;

        var merge = catalog.AddPublished([chongqing2 with { Version = 3, Name = "新生儿出生一件事（重庆3.0）" }]);

        var added = Assert.Single(merge.Added);
        Assert.Equal(("newborn", "chongqing", 3), (added.Code, added.Region, added.Version));
        Assert.Equal(3, catalog.Find("newborn", "chongqing")!.Version);
        Assert.Same(chongqing2, catalog.Find("newborn", "chongqing", 2));
        Assert.Same(national, catalog.Find("newborn"));
        Assert.Same(national, catalog.Latest().Single(item => item.Code == "newborn"));
        Assert.Equal(3, catalog.Latest("chongqing").Single(item => item.Code == "newborn").Version);
    }

    [Fact]
    public void NationalVersionLeavesTheRegionalVariantAlone()
    {
        var catalog = FreshCatalog();
        var chongqing = catalog.Find("newborn", "chongqing")!;

        catalog.AddPublished([catalog.Find("newborn")! with { Version = 2, Name = "新生儿出生一件事（全国新版）" }]);

        Assert.Equal(2, catalog.Find("newborn")!.Version);
        Assert.Equal(2, catalog.Find("newborn", "shanghai")!.Version);
        Assert.Same(chongqing, catalog.Find("newborn", "chongqing"));
        Assert.Equal(1, catalog.Find("newborn", 1)!.Version);
    }

    [Fact]
    public void LatestForARegionIsOneItemPerCodeWithTheRegionsVariantWhereItHasOne()
    {
        var catalog = FreshCatalog();
        var national = catalog.Latest();

        var chongqing = catalog.Latest("chongqing");
        var shanghai = catalog.Latest("shanghai");

        Assert.Equal(national.Select(item => item.Code), chongqing.Select(item => item.Code));
        Assert.All(national, item => Assert.Null(item.Region));
        Assert.Equal(5, national.Single(item => item.Code == "newborn").Matters.Count);
        Assert.Equal(10, chongqing.Single(item => item.Code == "newborn").Matters.Count);
        Assert.All(chongqing.Where(item => item.Code != "newborn"), item => Assert.Contains(item, national));
        Assert.Equal(national, shanghai);
        Assert.Same(national, catalog.Latest(null));
    }

    [Fact]
    public void RegionsListEveryVariantOfACode()
    {
        var catalog = FreshCatalog();

        catalog.AddPublished([catalog.Find("newborn")! with { Region = "shanghai" }]);

        Assert.Equal(["chongqing", "shanghai"], catalog.Regions("newborn"));
        Assert.Empty(catalog.Regions("retirement"));
        Assert.Empty(catalog.Regions("no-such-item"));
        Assert.Equal(1, catalog.Find("newborn", "shanghai")!.Version);
        Assert.Equal("shanghai", catalog.Find("newborn", "shanghai")!.Region);
    }

    [Fact]
    public async Task MissingVariantsAreReadByCodeRegionAndVersionOnlyWhenAVersionIsAskedFor()
    {
        var catalog = FreshCatalog();
        var guangdong = catalog.Find("newborn")! with { Region = "guangdong", Name = "新生儿出生一件事（广东）" };
        var asked = new List<(string, string?, int?)>();
        catalog.LoadMissingVersionsFrom((code, region, version, _) =>
        {
            asked.Add((code, region, version));
            return Task.FromResult(code == "newborn" && region == "guangdong" && version == 1 ? guangdong : null);
        });

        // A region without a variant here gets the national base's newest at once: a variant published elsewhere
        // arrives with the refresh, like any newer version.
        Assert.Null((await catalog.FindAsync("newborn", "guangdong"))!.Region);
        Assert.Empty(asked);
        // A case that started on another silo's new variant asks for it exactly, and finds it.
        Assert.Equal("新生儿出生一件事（广东）", (await catalog.FindVariantAsync("newborn", "guangdong", 1))!.Name);
        Assert.Equal("guangdong", catalog.Find("newborn", "guangdong")!.Region);
        Assert.Equal(["chongqing", "guangdong"], catalog.Regions("newborn"));
        // An unknown version of a known variant is asked for and stays unknown; an unknown variant's version falls
        // back, and is not asked for again while the miss is remembered.
        Assert.Null(await catalog.FindAsync("newborn", "chongqing", 9));
        Assert.Equal(1, (await catalog.FindAsync("newborn", "hainan", 1))!.Version);
        Assert.Null((await catalog.FindAsync("newborn", "hainan", 1))!.Region);
        Assert.Equal([("newborn", (string?)"guangdong", (int?)1), ("newborn", "chongqing", 9), ("newborn", "hainan", 1)], asked);
    }

    [Theory]
    [InlineData("Chongqing")]
    [InlineData("chong qing")]
    [InlineData("")]
    [InlineData("重庆")]
    [InlineData("-chongqing")]
    [InlineData("chongqing_2")]
    public void RegionThatIsNotLowercaseKebabCaseIsRefusedByTheValidator(string region)
    {
        var catalog = FreshCatalog();

        var problems = CatalogValidator.ValidateFields(catalog.Find("newborn", "chongqing")! with { Region = region }, catalog.DepartmentCodes);

        Assert.Contains(problems, problem => problem.Field == "region");
    }

    [Theory]
    [InlineData("chongqing")]
    [InlineData("shanghai-pudong")]
    [InlineData("guangdong2")]
    public void LowercaseKebabCaseRegionsAreValid(string region) => Assert.True(RegionCodes.IsValid(region));
}
