using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Tests.Catalog;

public sealed class CatalogValidatorTests
{
    private static readonly HashSet<string> Departments = new(StringComparer.Ordinal) { "health", "police", "hrss" };

    /// <summary>first → second → third, plus an optional extra after first; every case below breaks one thing.</summary>
    private static ItemDefinition Sample() => new(
        Code: "sample-item",
        Name: "示例一件事",
        Version: 1,
        Audience: "individual",
        LeadDepartment: "health",
        TimeLimit: new TimeLimit(WorkingDays: 5),
        Form:
        [
            new FormField("babyName", "姓名", FormFieldTypes.String, Required: true),
            new FormField("gender", "性别", FormFieldTypes.Enum, Required: true, Options: ["male", "female"]),
        ],
        Materials: [new MaterialDefinition("id-card", "身份证", Required: true, Deferrable: true)],
        Matters:
        [
            Matter("first", "health", [], ["babyName", "gender", "applicant.idNumber"], ["firstNumber"]),
            Matter("second", "police", ["first"], ["firstNumber"], ["secondNumber"]),
            Matter("third", "hrss", ["second"], ["firstNumber", "secondNumber"], ["thirdNumber"]),
            Matter("extra", "health", ["first"], ["firstNumber"], ["extraNumber"], optional: true, limit: new TimeLimit(Duration: "PT4H")),
        ]);

    private static MatterDefinition Matter(
        string code, string department, string[] dependsOn, string[] inputs, string[] outputs,
        bool optional = false, TimeLimit? limit = null) =>
        new(code, code + "事项", department, dependsOn, optional, limit ?? new TimeLimit(WorkingDays: 1), inputs, outputs);

    private static ItemDefinition WithMatter(ItemDefinition item, string code, Func<MatterDefinition, MatterDefinition> change) =>
        item with { Matters = item.Matters.Select(m => m.Code == code ? change(m) : m).ToList() };

    private static readonly Dictionary<string, (Func<ItemDefinition, ItemDefinition> Break, string Expected)> Breakages = new()
    {
        ["dependency cycle"] = (
            i => WithMatter(i, "first", m => m with { DependsOn = ["third"] }),
            "matters form a dependency cycle: first → second → third → first"),
        ["self dependency"] = (
            i => WithMatter(i, "second", m => m with { DependsOn = ["second"] }),
            "matter 'second' depends on itself"),
        ["unknown dependsOn"] = (
            i => WithMatter(i, "third", m => m with { DependsOn = ["secnd"] }),
            "matter 'third' depends on unknown matter 'secnd'"),
        ["unknown department"] = (
            i => WithMatter(i, "second", m => m with { Department = "nowhere" }),
            "matter 'second' names unknown department 'nowhere'"),
        ["unknown lead department"] = (
            i => i with { LeadDepartment = "nowhere" },
            "leadDepartment 'nowhere' is not a known department"),
        ["input nobody provides"] = (
            i => WithMatter(i, "third", m => m with { Inputs = [.. m.Inputs, "motherName"] }),
            "matter 'third' input 'motherName' is not a form field, an applicant field or an output of any matter"),
        ["input from a matter not depended on"] = (
            i => WithMatter(i, "extra", m => m with { Inputs = ["secondNumber"] }),
            "matter 'extra' input 'secondNumber' is produced by 'second', which 'extra' does not depend on"),
        ["unknown applicant field"] = (
            i => WithMatter(i, "first", m => m with { Inputs = ["applicant.email"] }),
            "matter 'first' input 'applicant.email' is not an applicant field"),
        ["duplicate output"] = (
            i => WithMatter(i, "extra", m => m with { Outputs = ["secondNumber"] }),
            "output 'secondNumber' is produced by both 'second' and 'extra'"),
        ["output named like a form field"] = (
            i => WithMatter(i, "second", m => m with { Outputs = ["babyName"] }),
            "matter 'second' output 'babyName' has the name of a form field"),
        ["time limit with both units"] = (
            i => i with { TimeLimit = new TimeLimit(WorkingDays: 5, Duration: "PT4H") },
            "item timeLimit must set exactly one of workingDays or duration"),
        ["time limit with neither unit"] = (
            i => WithMatter(i, "first", m => m with { TimeLimit = new TimeLimit() }),
            "matter 'first' timeLimit must set exactly one of workingDays or duration"),
        ["zero working days"] = (
            i => WithMatter(i, "first", m => m with { TimeLimit = new TimeLimit(WorkingDays: 0) }),
            "matter 'first' timeLimit workingDays 0 is below 1"),
        ["duration that is not ISO 8601"] = (
            i => WithMatter(i, "extra", m => m with { TimeLimit = new TimeLimit(Duration: "4 hours") }),
            "matter 'extra' timeLimit duration '4 hours' is not an ISO 8601 duration"),
        ["negative duration"] = (
            i => WithMatter(i, "extra", m => m with { TimeLimit = new TimeLimit(Duration: "-PT4H") }),
            "matter 'extra' timeLimit duration '-PT4H' is not positive"),
        ["item limit shorter than its longest chain"] = (
            i => i with { TimeLimit = new TimeLimit(WorkingDays: 2) },
            "the chain first → second → third needs 3 working days but the item allows 2"),
        ["enum without options"] = (
            i => i with { Form = [i.Form[0], i.Form[1] with { Options = [] }] },
            "form field 'gender' is an enum without options"),
        ["options on a non-enum field"] = (
            i => i with { Form = [i.Form[0] with { Options = ["a"] }, i.Form[1]] },
            "form field 'babyName' has options but is of type 'string'"),
        ["unknown field type"] = (
            i => i with { Form = [i.Form[0] with { Type = "text" }, i.Form[1]] },
            "form field 'babyName' has unknown type 'text'"),
        ["duplicate form field"] = (
            i => i with { Form = [i.Form[0], i.Form[1], i.Form[0]] },
            "form field 'babyName' is declared twice"),
        ["duplicate material"] = (
            i => i with { Materials = [i.Materials[0], i.Materials[0]] },
            "material 'id-card' is declared twice"),
        ["deferrable material that is not required"] = (
            i => i with { Materials = [i.Materials[0] with { Required = false }] },
            "material 'id-card' is deferrable but not required"),
        ["duplicate matter"] = (
            i => i with { Matters = [.. i.Matters, i.Matters[0] with { Outputs = [] }] },
            "matter 'first' is declared twice"),
        ["no matters"] = (
            i => i with { Matters = [] },
            "the item has no matters"),
        ["required matter after an optional one"] = (
            i => i with { Matters = [.. i.Matters, Matter("fourth", "police", ["extra"], [], ["fourthNumber"])] },
            "required matter 'fourth' depends on optional matter 'extra'"),
        ["code not kebab-case"] = (
            i => i with { Code = "Sample_Item" },
            "code 'Sample_Item' is not kebab-case"),
        ["empty name"] = (
            i => i with { Name = " " },
            "name is empty"),
        ["version zero"] = (
            i => i with { Version = 0 },
            "version 0 is below 1"),
        ["unknown audience"] = (
            i => i with { Audience = "everyone" },
            "audience 'everyone' is neither 'individual' nor 'enterprise'"),
    };

    public static TheoryData<string> BrokenDefinitions()
    {
        var names = new TheoryData<string>();
        foreach (var name in Breakages.Keys)
        {
            names.Add(name);
        }
        return names;
    }

    [Fact]
    public void SampleDefinitionIsValidSoEachBrokenCaseFailsForItsOwnReason()
    {
        Assert.Empty(CatalogValidator.Validate(Sample(), Departments));
    }

    [Theory]
    [MemberData(nameof(BrokenDefinitions))]
    public void BrokenDefinitionIsRejectedWithAMessageNamingTheProblem(string breakage)
    {
        var (breakIt, expected) = Breakages[breakage];

        var errors = CatalogValidator.Validate(breakIt(Sample()), Departments);

        Assert.True(
            errors.Any(e => e.Contains(expected, StringComparison.Ordinal)),
            $"expected an error containing \"{expected}\", got: {string.Join(" | ", errors)}");
    }

    [Fact]
    public void InputFromATransitiveDependencyResolves()
    {
        // third depends on second only, yet reads firstNumber: second depends on first.
        Assert.Contains("firstNumber", Sample().FindMatter("third")!.Inputs);
        Assert.DoesNotContain("first", Sample().FindMatter("third")!.DependsOn);

        Assert.Empty(CatalogValidator.Validate(Sample(), Departments));
    }

    [Fact]
    public void EveryProblemOfAnItemIsReportedAtOnce()
    {
        var item = WithMatter(Sample() with { Version = 0 }, "second", m => m with { Department = "nowhere" });

        var errors = CatalogValidator.Validate(item, Departments);

        Assert.Contains("version 0 is below 1", errors);
        Assert.Contains("matter 'second' names unknown department 'nowhere'", errors);
    }

    [Fact]
    public void DepartmentListWithUnknownKindOrRepeatedCodeIsRejected()
    {
        var errors = CatalogValidator.ValidateDepartments(
        [
            new DepartmentDefinition("health", "卫生健康委员会", "agency"),
            new DepartmentDefinition("health", "卫生健康委员会", "agency"),
            new DepartmentDefinition("water", "自来水公司", "company"),
        ]);

        Assert.Contains("department 'health' is listed twice", errors);
        Assert.Contains(errors, e => e.StartsWith("department 'water' has kind 'company'", StringComparison.Ordinal));
    }
}
