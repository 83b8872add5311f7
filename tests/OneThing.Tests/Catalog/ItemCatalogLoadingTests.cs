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
    public void SameItemVersionInTwoFilesIsRejected()
    {
        CopyShippedItem("newborn.json", "newborn.copy.json");

        var error = Assert.Throws<CatalogException>(() => ItemCatalog.LoadFromDirectory(_directory));

        Assert.Equal(
            "catalog/items/newborn.json: item 'newborn' version 1 is already defined in catalog/items/newborn.copy.json",
            error.Message);
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
    public void LaterVersionBecomesLatestAndEarlierVersionStaysFindable()
    {
        WriteItem("newborn.v2.json", ShippedText("newborn.json")
            .Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal)
            .Replace("\"workingDays\": 5 }", "\"workingDays\": 6 }", StringComparison.Ordinal));

        var catalog = ItemCatalog.LoadFromDirectory(_directory);

        var latest = Assert.Single(catalog.Latest());
        Assert.Equal(2, latest.Version);
        Assert.Equal(6, latest.TimeLimit.WorkingDays);
        Assert.Same(latest, catalog.Find("newborn"));
        Assert.Equal(5, catalog.Find("newborn", 1)!.TimeLimit.WorkingDays);
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
