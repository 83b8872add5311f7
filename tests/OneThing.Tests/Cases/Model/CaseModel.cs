using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Model;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;
using OneThing.Grains.Tasks;

namespace OneThing.Tests.Cases.Model;

/// <summary>
/// The pure case model run as the grain runs it, without the grain: decide, then fold each event in. The shipped
/// catalog and calendar, loaded once; no cluster, no database.
/// </summary>
internal static class CaseModel
{
    public const string CaseId = "cmodel";

    /// <summary>Monday 2026-03-02, 10:00 in Beijing: a working day clear of the Spring Festival.</summary>
    public static readonly DateTimeOffset Monday = new(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));

    public static readonly EventActor Portal = new("portal", "test-portal");

    private static readonly Lazy<ItemCatalog> ShippedCatalog =
        new(() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory));

    private static readonly Lazy<WorkingCalendar> ShippedWorkingDays =
        new(() => WorkingCalendar.LoadFromDirectory(WorkingCalendar.DefaultDirectory));

    public static WorkingCalendar WorkingDays => ShippedWorkingDays.Value;

    public static ItemDefinition Item(string code) => ShippedCatalog.Value.Find(code) ?? throw new ArgumentException($"No item {code} in the catalog.");

    public static EventActor Department(string department) => new("department", $"test-{department}", department);

    /// <summary>Decides <paramref name="command"/> at <paramref name="now"/> and folds its events into <paramref name="state"/>.</summary>
    public static (Decision Decision, CaseState State) Run(CaseState state, CaseCommand command, DateTimeOffset now, ItemDefinition item)
    {
        var decision = CaseDecisions.Decide(state, CaseId, command, now, item, WorkingDays);
        foreach (var e in decision.Events)
        {
            state = CaseEvolution.Apply(state, e, item);
        }
        return (decision, state);
    }

    /// <summary>
    /// An application to <paramref name="item"/> with every required material and a value for every form input its
    /// matters read (personal values as plain text: the model never seals).
    /// </summary>
    public static Submit Application(
        ItemDefinition item,
        IReadOnlyList<string>? optionalMatters = null,
        IReadOnlyList<string>? leaveOut = null,
        IReadOnlyList<DeferredMaterial>? deferred = null)
    {
        var produced = item.Matters.SelectMany(m => m.Outputs).ToHashSet(StringComparer.Ordinal);
        var form = item.Matters.SelectMany(m => m.Inputs)
            .Where(input => !input.StartsWith("applicant.", StringComparison.Ordinal) && !produced.Contains(input))
            .Distinct()
            .ToDictionary(input => input, input => $"{input}-value");
        var materials = item.Materials.Where(m => m.Required && !(leaveOut ?? []).Contains(m.Code))
            .Select(m => Material(m.Code))
            .ToList();
        var applicant = new Applicant("person", "张三", "11010519491231002X", null, "13800138000");
        return new Submit(
            new SubmitCase(item.Code, "online", null, applicant, form, materials, optionalMatters ?? [], null, "fingerprint",
                item.Version, deferred),
            Portal);
    }

    public static MaterialRef Material(string code) => new(code, $"https://files.example.gov.cn/{code}.pdf", new string('a', 64));

    /// <summary>A submitted case of <paramref name="item"/>.</summary>
    public static CaseState Submitted(ItemDefinition item, DateTimeOffset? at = null, Submit? application = null)
    {
        var (decision, state) = Run(new CaseState(), application ?? Application(item), at ?? Monday, item);
        Assert.False(decision.IsRefused, decision.Error);
        return state;
    }

    public static ActOnTask Accept(ItemDefinition item, string matter) =>
        new(matter, new TaskAction(TaskActionKind.Accept, DepartmentOf(item, matter)), Department(DepartmentOf(item, matter)));

    /// <summary>Completes <paramref name="matter"/> with every output it declares, each named after its matter.</summary>
    public static ActOnTask Complete(ItemDefinition item, string matter) =>
        Complete(item, matter, item.FindMatter(matter)!.Outputs.ToDictionary(output => output, output => $"{output}-{matter}"));

    public static ActOnTask Complete(ItemDefinition item, string matter, IReadOnlyDictionary<string, string> outputs) =>
        new(matter, new TaskAction(TaskActionKind.Complete, DepartmentOf(item, matter), Outputs: outputs), Department(DepartmentOf(item, matter)));

    public static ActOnTask Reject(ItemDefinition item, string matter, string reason) =>
        new(matter, new TaskAction(TaskActionKind.Reject, DepartmentOf(item, matter), Reason: reason), Department(DepartmentOf(item, matter)));

    public static ActOnTask RequestSupplement(ItemDefinition item, string matter, params string[] materials) =>
        new(matter, new TaskAction(TaskActionKind.RequestSupplement, DepartmentOf(item, matter), Materials: materials, Note: "缺页"),
            Department(DepartmentOf(item, matter)));

    public static Supply Supply(params string[] materials) =>
        new(new SupplyMaterials(materials.Select(Material).ToList(), new Dictionary<string, string>()), Portal);

    /// <summary>Completes every Ready matter, round after round, until the case ends.</summary>
    public static CaseState RunToEnd(CaseState state, ItemDefinition item, DateTimeOffset at)
    {
        while (!CaseDecisions.IsEnded(state))
        {
            var ready = state.Matters.First(m => m.Status is DepartmentTaskStatus.Ready or DepartmentTaskStatus.Accepted);
            var (decision, next) = Run(state, Complete(item, ready.Code), at, item);
            Assert.False(decision.IsRefused, decision.Error);
            state = next;
        }
        return state;
    }

    public static MatterState Matter(CaseState state, string code) => state.Matters.Single(m => m.Code == code);

    public static List<string> Types(Decision decision) => decision.Events.Select(e => e.Type).ToList();

    private static string DepartmentOf(ItemDefinition item, string matter) => item.FindMatter(matter)!.Department;
}
