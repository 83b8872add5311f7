using Microsoft.Extensions.DependencyInjection;
using OneThing.Grains.Catalog;

namespace OneThing.Tests.Catalog;

/// <summary>Loading a catalog directory: each test builds its own copy in a temporary directory.</summary>
public sealed class ItemCatalogLoadingTests : IDisposable
{
    private static readonly string Shipped = CatalogServiceCollectionExtensions.DefaultDirectory;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "onething-catalog-" + Guid.NewGuid().ToString("N"));

    public ItemCatalogLoadingTests()
    {
        System.IO.Directory.CreateDirectory(Path.Combine(_directory, "items"));
        File.Copy(Path.Combine(Shipped, "departments.json"), Path.Combine(_directory, "departments.json"));
        CopyShippedItem("newborn.json");
    }

    public void Dispose() => System.IO.Directory.Delete(_directory, recursive: true);

    [Fact]
    public void MalformedJsonFailsNamingTheFile()
    {
        WriteItem("broken.json", """{ "code": "broken", """);

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/broken.json: invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Equal("catalog/items/broken.json", error.Origin);
    }

    [Fact]
    public void ItemFailingValidationFailsNamingTheFileAndEveryReason()
    {
        WriteItem("open-restaurant.json", ShippedText("open-restaurant.json")
            .Replace("\"department\": \"fire\"", "\"department\": \"nowhere\"", StringComparison.Ordinal)
            .Replace("\"version\": 1", "\"version\": 0", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/open-restaurant.json: version 0 is below 1; ", error.Message, StringComparison.Ordinal);
        Assert.Contains("; matter 'fire-safety-inspection' names unknown department 'nowhere'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingPropertyIsAnErrorNotADefault()
    {
        WriteItem("retirement.json", ShippedText("retirement.json")
            .Replace("\"leadDepartment\": \"hrss\",", "", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/retirement.json: invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("leadDepartment", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MisspeltPropertyIsAnErrorNotIgnored()
    {
        WriteItem("retirement.json", ShippedText("retirement.json")
            .Replace("\"description\":", "\"regoin\": \"x\", \"description\":", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/retirement.json: invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("regoin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileNamedAfterAnotherItemIsRejected()
    {
        File.Copy(Path.Combine(Shipped, "items", "retirement.json"), Path.Combine(_directory, "items", "pension.json"));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/pension.json: the file of item 'retirement' must be named", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameVariantVersionInTwoFilesIsRejected()
    {
        CopyShippedItem("newborn.chongqing.json");
        CopyShippedItem("newborn.chongqing.json", "newborn.chongqing.copy.json");

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.Equal(
            "catalog/items/newborn.chongqing.json: item 'newborn' (chongqing) version 2 is already defined in catalog/items/newborn.chongqing.copy.json",
            error.Message);
    }

    [Fact]
    public void SameVersionNumberInTwoVariantsIsNoConflict()
    {
        CopyShippedItem("newborn.chongqing.json");
        WriteItem("newborn.shanghai.json", ShippedText("newborn.json").Replace("\"version\": 1,", "\"version\": 1, \"region\": \"shanghai\",", StringComparison.Ordinal));

        var catalog = ItemCatalog.LoadFromDirectory(_directory);

        Assert.Equal(["chongqing", "shanghai"], catalog.Regions("newborn"));
        Assert.Equal(1, catalog.FindVariant("newborn", "shanghai", 1)!.Version);
        Assert.Null(catalog.FindVariant("newborn", null, 1)!.Region);
    }

    [Fact]
    public void VariantFileNamedWithoutItsRegionIsRejected()
    {
        WriteItem("newborn.v2.json", ShippedText("newborn.chongqing.json"));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith(
            "catalog/items/newborn.v2.json: the file of item 'newborn' for region 'chongqing' must be named 'newborn.chongqing.json'",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NationalBaseInARegionsFileIsRejected()
    {
        // A variant whose region was lost in editing would otherwise become the national base's next version.
        WriteItem("newborn.chongqing.json", ShippedText("newborn.json").Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/newborn.chongqing.json: the file of item 'newborn' must be named 'newborn.json' (the national base",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VariantWithoutANationalBaseIsRejected()
    {
        File.Delete(Path.Combine(_directory, "items", "newborn.json"));
        CopyShippedItem("newborn.chongqing.json");

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.Equal(
            "catalog/items/newborn.chongqing.json: item 'newborn' has a variant for region 'chongqing' but no national base (catalog/items/newborn.json)",
            error.Message);
    }

    [Fact]
    public void RegionThatIsNoRegionCodeIsRejectedNamingTheFile()
    {
        WriteItem("newborn.Chongqing.json", ShippedText("newborn.chongqing.json")
            .Replace("\"region\": \"chongqing\"", "\"region\": \"Chongqing\"", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items/newborn.Chongqing.json: region 'Chongqing' is not a region code in lowercase kebab-case",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDepartmentsFileIsReported()
    {
        File.Delete(Path.Combine(_directory, "departments.json"));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/departments.json: not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryWithoutItemsIsReported()
    {
        File.Delete(Path.Combine(_directory, "items", "newborn.json"));

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.StartsWith("catalog/items: no item files", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LaterVersionOfAVariantBecomesItsLatestAndEarlierVersionStaysFindable()
    {
        CopyShippedItem("newborn.chongqing.json");
        WriteItem("newborn.chongqing.v3.json", ShippedText("newborn.chongqing.json")
            .Replace("\"version\": 2", "\"version\": 3", StringComparison.Ordinal)
            .Replace("\"workingDays\": 5 }", "\"workingDays\": 6 }", StringComparison.Ordinal));

        var catalog = ItemCatalog.LoadFromDirectory(_directory);

        var latest = Assert.Single(catalog.Latest("chongqing"));
        Assert.Equal(("chongqing", 3, 6), (latest.Region, latest.Version, latest.TimeLimit.WorkingDays));
        Assert.Same(latest, catalog.Find("newborn", "chongqing"));
        Assert.Equal(5, catalog.Find("newborn", "chongqing", 2)!.TimeLimit.WorkingDays);
        Assert.Equal(1, Assert.Single(catalog.Latest()).Version);
        Assert.Null(catalog.Find("newborn", 3));
        Assert.Null(catalog.Find("no-such-item"));
    }

    [Fact]
    public void AddOneThingCatalogFailsAtRegistrationWhenTheCatalogIsBad()
    {
        WriteItem("broken.json", "[]");

        Assert.Throws<CatalogException>(() => new ServiceCollection().AddOneThingCatalog(_directory));
    }

    [Fact]
    public void AddOneThingCatalogRegistersOneLoadedCatalog()
    {
        using var services = new ServiceCollection().AddOneThingCatalog(_directory).BuildServiceProvider();

        var catalog = services.GetRequiredService<ItemCatalog>();

        Assert.Same(catalog, services.GetRequiredService<ItemCatalog>());
        Assert.Equal("newborn", Assert.Single(catalog.Latest()).Code);
    }

    private static string ShippedText(string file) => File.ReadAllText(Path.Combine(Shipped, "items", file));

    private void CopyShippedItem(string file, string? targetName = null) =>
        File.Copy(Path.Combine(Shipped, "items", file), Path.Combine(_directory, "items", targetName ?? file));

    private void WriteItem(string file, string json) => File.WriteAllText(Path.Combine(_directory, "items", file), json);
}
