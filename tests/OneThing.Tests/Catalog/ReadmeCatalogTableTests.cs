using System.Globalization;
using System.Text;
using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Tests.Catalog;

/// <summary>
/// The README's catalog table is rendered from <c>catalog/</c>, so it cannot drift from the data:
/// <c>scripts/catalog-table.sh</c> runs this test with <c>ONETHING_WRITE_README=1</c>, which rewrites the block.
/// </summary>
public sealed class ReadmeCatalogTableTests
{
    private const string Start = "<!-- catalog:start -->";
    private const string End = "<!-- catalog:end -->";

    [Fact]
    public void ReadmeCatalogTableIsCurrent()
    {
        var root = RepositoryRoot();
        var readmePath = Path.Combine(root, "README.md");
        var readme = File.ReadAllText(readmePath).ReplaceLineEndings("\n");
        var start = readme.IndexOf(Start, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"README.md has no {Start} … {End} block; add one and run scripts/catalog-table.sh");

        var table = "\n" + RenderTable(Path.Combine(root, "catalog"));
        var current = readme[(start + Start.Length)..end];
        if (current == table)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable("ONETHING_WRITE_README") == "1")
        {
            File.WriteAllText(readmePath, readme[..(start + Start.Length)] + table + readme[end..]);
            return;
        }
        Assert.Fail("The catalog table in README.md differs from catalog/: run scripts/catalog-table.sh to regenerate it.");
    }

    /// <summary>
    /// One row per variant of each item (its newest file version), ordered by code, the national base first and then
    /// the regional variants by region; departments lead first, then in matter order.
    /// </summary>
    public static string RenderTable(string catalogDirectory)
    {
        var items = Directory.GetFiles(Path.Combine(catalogDirectory, "items"), "*.json")
            .Select(path => JsonSerializer.Deserialize<ItemDefinition>(File.ReadAllText(path), ItemCatalog.JsonOptions)!)
            .GroupBy(item => (item.Code, item.Region))
            .Select(variant => variant.MaxBy(item => item.Version)!)
            .OrderBy(item => item.Code, StringComparer.Ordinal)
            .ThenBy(item => item.Region is not null)
            .ThenBy(item => item.Region, StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder();
        text.Append("| item | variant | name | audience | matters | departments (lead first) | time limit |\n");
        text.Append("|---|---|---|---|---|---|---|\n");
        foreach (var item in items)
        {
            var departments = item.Matters.Select(m => m.Department).Prepend(item.LeadDepartment).Distinct(StringComparer.Ordinal);
            var matters = string.Join(", ", item.Matters.Select(m => m.Optional ? $"`{m.Code}` (optional)" : $"`{m.Code}`"));
            var variant = item.Region is null ? $"national v{item.Version}" : $"`{item.Region}` v{item.Version}";
            text.Append(CultureInfo.InvariantCulture,
                $"| `{item.Code}` | {variant} | {item.Name} | {item.Audience} | {item.Matters.Count}: {matters} | {string.Join(", ", departments.Select(d => $"`{d}`"))} | {Limit(item.TimeLimit)} |\n");
        }
        return text.ToString();
    }

    private static string Limit(TimeLimit limit) => limit switch
    {
        { WorkingDays: 1 } => "1 working day",
        { WorkingDays: { } days } => string.Create(CultureInfo.InvariantCulture, $"{days} working days"),
        { Duration: { } duration } => duration,
        _ => "",
    };

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OneThing.Orleans.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}
