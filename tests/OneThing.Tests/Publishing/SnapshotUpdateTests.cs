using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;

namespace OneThing.Tests.Publishing;

/// <summary>The in-memory side of publishing: catalog and calendar take new data without a restart, whole or not at all.</summary>
public sealed class SnapshotUpdateTests
{
    private static readonly Lazy<ItemCatalog> ShippedCatalog = new(() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory));

    private static ItemCatalog FreshCatalog() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory);

    [Fact]
    public void PublishedVersionBecomesNewestAndEarlierVersionsStay()
    {
        var catalog = FreshCatalog();
        var v1 = catalog.Find("newborn")!;

        var merge = catalog.AddPublished([v1 with { Version = 2, Name = "出生一件事（新版）" }]);

        Assert.Equal(2, Assert.Single(merge.Added).Version);
        Assert.Empty(merge.ReplacedBuiltIn);
        Assert.Equal(2, catalog.Find("newborn")!.Version);
        Assert.Same(v1, catalog.Find("newborn", 1));
        Assert.Equal(2, catalog.Latest().Single(item => item.Code == "newborn").Version);
    }

    [Fact]
    public void AddingTheSameVersionAgainChangesNothing()
    {
        var catalog = FreshCatalog();
        var v2 = catalog.Find("retirement")! with { Version = 2 };
        catalog.AddPublished([v2]);
        var served = catalog.Find("retirement", 2);

        var merge = catalog.AddPublished([v2 with { Form = [.. v2.Form] }]);

        Assert.Empty(merge.Added);
        Assert.Same(served, catalog.Find("retirement", 2));
    }

    [Fact]
    public void PublishedVersionWinsOverABuiltInFileOfTheSameNumber()
    {
        var catalog = FreshCatalog();
        var builtIn = catalog.Find("retirement")!;

        var merge = catalog.AddPublished([builtIn with { Name = "已发布的版本" }]);

        Assert.Same(builtIn, Assert.Single(merge.ReplacedBuiltIn));
        Assert.Equal("已发布的版本", catalog.Find("retirement", builtIn.Version)!.Name);
    }

    [Fact]
    public async Task AMissingVersionIsAskedOfTheLoaderAndKept()
    {
        var catalog = FreshCatalog();
        var asked = new List<(string, string?, int?)>();
        var v3 = catalog.Find("newborn")! with { Version = 3 };
        catalog.LoadMissingVersionsFrom(async (code, region, version, cancellationToken) =>
        {
            asked.Add((code, region, version));
            await Task.Yield();
            return code == "newborn" && region is null && version == 3 ? v3 : null;
        });

        Assert.Equal(3, (await catalog.FindVariantAsync("newborn", null, 3))!.Version);
        Assert.Equal(3, (await catalog.FindVariantAsync("newborn", null, 3))!.Version);
        Assert.Equal(3, catalog.Find("newborn", 3)!.Version);
        Assert.Null(await catalog.FindVariantAsync("newborn", null, 9));
        Assert.Equal(1, (await catalog.FindVariantAsync("newborn", null, 1))!.Version);
        Assert.Equal([("newborn", (string?)null, (int?)3), ("newborn", null, 9)], asked);
    }

    [Fact]
    public void SameDefinitionIgnoresTheVersionNumberOnly()
    {
        var item = ShippedCatalog.Value.Find("open-restaurant")!;

        Assert.True(ItemCatalog.SameDefinition(item, item with { Version = 5, Matters = [.. item.Matters] }));
        Assert.False(ItemCatalog.SameDefinition(item, item with { TimeLimit = new TimeLimit(WorkingDays: 99) }));
    }

    [Fact]
    public void ValidatorNamesTheFieldOfEachProblem()
    {
        var item = ShippedCatalog.Value.Find("newborn")!;
        var broken = item with
        {
            LeadDepartment = "nowhere",
            Form = [item.Form[0], item.Form[1] with { Type = "colour" }, .. item.Form.Skip(2)],
            Matters = [item.Matters[0], item.Matters[1] with { Department = "nowhere" }, .. item.Matters.Skip(2)],
        };

        var problems = CatalogValidator.ValidateFields(broken, ShippedCatalog.Value.DepartmentCodes);

        Assert.Contains(problems, p => p.Field == "leadDepartment");
        Assert.Contains(problems, p => p.Field == "form[1].type" && p.Message.Contains("colour", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Field == "matters[1].department" && p.Message.Contains("nowhere", StringComparison.Ordinal));
        Assert.Equal(problems.Select(p => p.Message), CatalogValidator.Validate(broken, ShippedCatalog.Value.DepartmentCodes));
    }

    [Fact]
    public void CalendarTakesANewYearAndReplacesAKnownOne()
    {
        var calendar = new WorkingCalendar([new CalendarYear(2026, [new DateOnly(2026, 1, 1)], [])]);
        Assert.True(calendar.IsWorkingDay(new DateOnly(2027, 3, 3)));

        var changed = calendar.SetYears(
        [
            new CalendarYear(2027, [new DateOnly(2027, 3, 3), new DateOnly(2027, 3, 3)], [new DateOnly(2027, 3, 6)]),
            new CalendarYear(2026, [], []),
        ]);

        Assert.Equal([2026, 2027], changed);
        Assert.Equal([2026, 2027], calendar.KnownYears);
        Assert.False(calendar.IsWorkingDay(new DateOnly(2027, 3, 3)));
        Assert.True(calendar.IsWorkingDay(new DateOnly(2027, 3, 6)));
        Assert.True(calendar.IsWorkingDay(new DateOnly(2026, 1, 1)));
        Assert.Equal([new DateOnly(2027, 3, 3)], calendar.FindYear(2027)!.Holidays);
        Assert.Empty(calendar.SetYears([new CalendarYear(2027, [new DateOnly(2027, 3, 3)], [new DateOnly(2027, 3, 6)])]));
    }

    [Fact]
    public void InconsistentYearIsRefusedAndNothingChanges()
    {
        var calendar = new WorkingCalendar([]);

        Assert.Throws<ArgumentException>(() => calendar.SetYears(
        [
            new CalendarYear(2027, [new DateOnly(2027, 3, 3)], []),
            new CalendarYear(2028, [], [new DateOnly(2028, 1, 3)]),
        ]));

        Assert.Empty(calendar.KnownYears);
        Assert.Null(calendar.FindYear(2027));
    }

    [Fact]
    public void CalendarProblemsAreKeyedByTheirField()
    {
        var problems = WorkingCalendar.FindProblems(new CalendarYear(
            2028,
            [new DateOnly(2028, 1, 3), new DateOnly(2029, 1, 1), new DateOnly(2028, 1, 8)],
            [new DateOnly(2028, 1, 4), new DateOnly(2028, 1, 8)]));

        Assert.Equal(["holidays[1]", "workingWeekends[0]", "workingWeekends[1]"], problems.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("not in year 2028", problems["holidays[1]"][0], StringComparison.Ordinal);
        Assert.Contains("Tuesday", problems["workingWeekends[0]"][0], StringComparison.Ordinal);
        Assert.Contains("both a holiday and a working weekend", problems["workingWeekends[1]"][0], StringComparison.Ordinal);
    }
}
