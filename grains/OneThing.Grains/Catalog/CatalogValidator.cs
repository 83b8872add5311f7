using System.Text.RegularExpressions;
using OneThing.Contracts.Catalog;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Static checks of one item against the department catalog. A definition that cannot run (a cycle, an input no one
/// produces, a department no one answers for) must fail when the silo starts, not halfway through a citizen's case.
/// </summary>
public static partial class CatalogValidator
{
    public static readonly IReadOnlySet<string> Audiences =
        new HashSet<string>(StringComparer.Ordinal) { "individual", "enterprise" };

    public static readonly IReadOnlySet<string> DepartmentKinds =
        new HashSet<string>(StringComparer.Ordinal) { "agency", "utility", "bank", "hospital" };

    /// <summary>Applicant data any matter may ask for: it travels with the case as <c>applicant</c>, not in the form.</summary>
    public static readonly IReadOnlySet<string> ApplicantInputs =
        new HashSet<string>(StringComparer.Ordinal) { "applicant.name", "applicant.idNumber", "applicant.creditCode", "applicant.phone" };

    private const string Arrow = " → ";

    public static IReadOnlyList<string> Validate(ItemDefinition item, IEnumerable<DepartmentDefinition> departments)
    {
        ArgumentNullException.ThrowIfNull(departments);
        return Validate(item, departments.Select(d => d.Code).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Every problem of the item, each naming what is wrong; empty when the item can run.</summary>
    public static IReadOnlyList<string> Validate(ItemDefinition item, IReadOnlySet<string> knownDepartments) =>
        ValidateFields(item, knownDepartments).Select(problem => problem.Message).ToList();

    /// <summary>
    /// The problems of <see cref="Validate(ItemDefinition, IReadOnlySet{string})"/>, each with the JSON path of the
    /// field at fault (<c>leadDepartment</c>, <c>form[1].type</c>, <c>matters[2].dependsOn</c>), so that an item
    /// sent over HTTP is answered field by field.
    /// </summary>
    public static IReadOnlyList<CatalogProblem> ValidateFields(ItemDefinition item, IReadOnlySet<string> knownDepartments)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(knownDepartments);
        var errors = new Problems();

        if (!IsKebabCase(item.Code))
        {
            errors.Add("code", $"code '{item.Code}' is not kebab-case (like 'open-restaurant')");
        }
        if (item.Region is not null && !RegionCodes.IsValid(item.Region))
        {
            errors.Add("region", $"region '{item.Region}' is not {RegionCodes.Rule} (leave it out for the national base)");
        }
        if (string.IsNullOrWhiteSpace(item.Name))
        {
            errors.Add("name", "name is empty");
        }
        if (item.Version < 1)
        {
            errors.Add("version", $"version {item.Version} is below 1");
        }
        if (item.Audience is null || !Audiences.Contains(item.Audience))
        {
            errors.Add("audience", $"audience '{item.Audience}' is neither 'individual' nor 'enterprise'");
        }
        if (item.LeadDepartment is null || !knownDepartments.Contains(item.LeadDepartment))
        {
            errors.Add("leadDepartment", $"leadDepartment '{item.LeadDepartment}' is not a known department");
        }
        ValidateTimeLimit(item.TimeLimit, "item timeLimit", "timeLimit", errors);
        if (item.Form is null || item.Materials is null)
        {
            errors.Add(item.Form is null ? "form" : "materials", "form and materials must be lists (empty when there are none)");
        }

        var formFields = ValidateForm(item.Form ?? [], errors);
        ValidateMaterials(item.Materials ?? [], errors);
        ValidateMatters(item, formFields, knownDepartments, errors);
        foreach (var problem in ValidateNotices(item.Notices))
        {
            errors.Add("notices", problem);
        }
        return errors.All;
    }

    /// <summary>The problems of notice templates by event type (<c>catalog/notices.json</c>, an item's <c>notices</c>).</summary>
    public static IReadOnlyList<string> ValidateNotices(IReadOnlyDictionary<string, string>? templates) =>
        templates is null ? [] : [.. templates.Select(t => Webhooks.ApplicantNotices.TemplateProblem(t.Key, t.Value)).OfType<string>()];

    /// <summary>Problems of the department list itself: codes are what matters and API keys refer to.</summary>

    public static IReadOnlyList<string> ValidateDepartments(IReadOnlyList<DepartmentDefinition> departments)
    {
        ArgumentNullException.ThrowIfNull(departments);
        var errors = new List<string>();
        if (departments.Count == 0)
        {
            errors.Add("no departments");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var department in departments)
        {
            if (department is null)
            {
                errors.Add("an entry is null");
                continue;
            }
            if (!IsKebabCase(department.Code))
            {
                errors.Add($"department code '{department.Code}' is not kebab-case");
            }
            else if (!seen.Add(department.Code))
            {
                errors.Add($"department '{department.Code}' is listed twice");
            }
            if (string.IsNullOrWhiteSpace(department.Name))
            {
                errors.Add($"department '{department.Code}' has no name");
            }
            if (department.Kind is null || !DepartmentKinds.Contains(department.Kind))
            {
                errors.Add($"department '{department.Code}' has kind '{department.Kind}', not one of {string.Join(", ", DepartmentKinds)}");
            }
        }
        return errors;
    }

    public static bool IsKebabCase(string? code) => code is not null && KebabCase().IsMatch(code);

    private static void ValidateTimeLimit(TimeLimit? limit, string owner, string field, Problems errors)
    {
        if (limit is null)
        {
            errors.Add(field, $"{owner} is missing");
        }
        else if (limit.Explain(out _, out _) is { } problem)
        {
            errors.Add(field, $"{owner} {problem}");
        }
    }

    private static HashSet<string> ValidateForm(IReadOnlyList<FormField> form, Problems errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < form.Count; i++)
        {
            var field = form[i];
            var at = $"form[{i}]";
            if (field is null)
            {
                errors.Add(at, "form has a null entry");
                continue;
            }
            var name = field.Name ?? "";
            if (!IsDataName(name))
            {
                errors.Add($"{at}.name", $"form field name '{name}' is not camelCase");
            }
            if (!names.Add(name))
            {
                errors.Add($"{at}.name", $"form field '{name}' is declared twice");
            }
            if (string.IsNullOrWhiteSpace(field.Label))
            {
                errors.Add($"{at}.label", $"form field '{name}' has no label");
            }
            if (field.Type is null || !FormFieldTypes.All.Contains(field.Type))
            {
                errors.Add($"{at}.type", $"form field '{name}' has unknown type '{field.Type}'");
            }
            else if (field.Type == FormFieldTypes.Enum)
            {
                if (field.Options is not { Count: > 0 })
                {
                    errors.Add($"{at}.options", $"form field '{name}' is an enum without options");
                }
                else if (field.Options.Any(string.IsNullOrWhiteSpace)
                    || field.Options.Distinct(StringComparer.Ordinal).Count() != field.Options.Count)
                {
                    errors.Add($"{at}.options", $"form field '{name}' has a blank or repeated option");
                }
            }
            else if (field.Options is { Count: > 0 })
            {
                errors.Add($"{at}.options", $"form field '{name}' has options but is of type '{field.Type}'; only enum fields take options");
            }
        }
        return names;
    }

    private static void ValidateMaterials(IReadOnlyList<MaterialDefinition> materials, Problems errors)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < materials.Count; i++)
        {
            var material = materials[i];
            var at = $"materials[{i}]";
            if (material is null)
            {
                errors.Add(at, "materials has a null entry");
                continue;
            }
            if (!IsKebabCase(material.Code))
            {
                errors.Add($"{at}.code", $"material code '{material.Code}' is not kebab-case");
            }
            else if (!codes.Add(material.Code))
            {
                errors.Add($"{at}.code", $"material '{material.Code}' is declared twice");
            }
            if (string.IsNullOrWhiteSpace(material.Name))
            {
                errors.Add($"{at}.name", $"material '{material.Code}' has no name");
            }
            // 容缺受理 defers a material the application needs; an optional one has nothing to defer.
            if (material.Deferrable && !material.Required)
            {
                errors.Add($"{at}.deferrable", $"material '{material.Code}' is deferrable but not required");
            }
        }
    }

    private static void ValidateMatters(
        ItemDefinition item, HashSet<string> formFields, IReadOnlySet<string> knownDepartments, Problems errors)
    {
        var all = item.Matters ?? [];
        var matters = all.Where(m => m is not null).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i] is null)
            {
                errors.Add($"matters[{i}]", "matters has a null entry");
            }
        }
        if (matters.Count == 0)
        {
            errors.Add("matters", "the item has no matters");
            return;
        }
        // Records compare by value and two entries may be equal: positions are kept by reference.
        var positions = new Dictionary<MatterDefinition, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i] is { } entry)
            {
                positions[entry] = i;
            }
        }
        string At(MatterDefinition matter) => $"matters[{positions[matter]}]";

        var byCode = new Dictionary<string, MatterDefinition>(StringComparer.Ordinal);
        var producers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var matter in matters)
        {
            var code = matter.Code ?? "";
            if (!IsKebabCase(code))
            {
                errors.Add($"{At(matter)}.code", $"matter code '{code}' is not kebab-case");
            }
            if (!byCode.TryAdd(code, matter))
            {
                errors.Add($"{At(matter)}.code", $"matter '{code}' is declared twice");
            }
            if (string.IsNullOrWhiteSpace(matter.Name))
            {
                errors.Add($"{At(matter)}.name", $"matter '{code}' has no name");
            }
            if (matter.Department is null || !knownDepartments.Contains(matter.Department))
            {
                errors.Add($"{At(matter)}.department", $"matter '{code}' names unknown department '{matter.Department}'");
            }
            ValidateTimeLimit(matter.TimeLimit, $"matter '{code}' timeLimit", $"{At(matter)}.timeLimit", errors);
            if (matter.DependsOn is null || matter.Inputs is null || matter.Outputs is null)
            {
                errors.Add(At(matter), $"matter '{code}' must list dependsOn, inputs and outputs (empty when there are none)");
            }
            foreach (var output in matter.Outputs ?? [])
            {
                if (!IsDataName(output))
                {
                    errors.Add($"{At(matter)}.outputs", $"matter '{code}' output '{output}' is not camelCase");
                }
                else if (formFields.Contains(output))
                {
                    errors.Add($"{At(matter)}.outputs", $"matter '{code}' output '{output}' has the name of a form field");
                }
                else if (!producers.TryAdd(output, code))
                {
                    errors.Add($"{At(matter)}.outputs", producers[output] == code
                        ? $"matter '{code}' lists output '{output}' twice"
                        : $"output '{output}' is produced by both '{producers[output]}' and '{code}'");
                }
            }
            if (matter.Certificate is not null && matter.Outputs?.Contains(matter.Certificate) != true)
            {
                errors.Add($"{At(matter)}.certificate", $"matter '{code}' certificate '{matter.Certificate}' is not one of its outputs");
            }
        }

        foreach (var matter in matters)
        {
            var code = matter.Code ?? "";
            foreach (var dependency in matter.DependsOn ?? [])
            {
                if (dependency == code)
                {
                    errors.Add($"{At(matter)}.dependsOn", $"matter '{code}' depends on itself");
                }
                else if (dependency is null || !byCode.TryGetValue(dependency, out var prerequisite))
                {
                    errors.Add($"{At(matter)}.dependsOn", $"matter '{code}' depends on unknown matter '{dependency}'");
                }
                else if (!matter.Optional && prerequisite.Optional)
                {
                    errors.Add($"{At(matter)}.dependsOn", $"required matter '{code}' depends on optional matter '{dependency}', which may never run");
                }
            }
            if ((matter.DependsOn ?? []).Distinct(StringComparer.Ordinal).Count() != (matter.DependsOn?.Count ?? 0))
            {
                errors.Add($"{At(matter)}.dependsOn", $"matter '{code}' lists a dependency twice");
            }
        }

        var graph = byCode.ToDictionary(
            pair => pair.Key,
            pair => (pair.Value.DependsOn ?? []).Where(d => d is not null && d != pair.Key && byCode.ContainsKey(d)).Distinct().ToList(),
            StringComparer.Ordinal);
        var cycles = FindCycles(graph);
        foreach (var cycle in cycles)
        {
            // The cycle reads in running order and closes on its first matter, which depends on the one before it.
            errors.Add($"{At(byCode[cycle[^1]])}.dependsOn", $"matters form a dependency cycle: {string.Join(Arrow, cycle)}");
        }

        foreach (var matter in matters)
        {
            var code = matter.Code ?? "";
            var ancestors = Ancestors(code, graph);
            var seenInputs = new HashSet<string>(StringComparer.Ordinal);
            foreach (var input in matter.Inputs ?? [])
            {
                if (input is null || !seenInputs.Add(input))
                {
                    errors.Add($"{At(matter)}.inputs", $"matter '{code}' lists input '{input}' twice or empty");
                    continue;
                }
                if (formFields.Contains(input) || ApplicantInputs.Contains(input))
                {
                    continue;
                }
                if (input.StartsWith("applicant.", StringComparison.Ordinal))
                {
                    errors.Add($"{At(matter)}.inputs", $"matter '{code}' input '{input}' is not an applicant field ({string.Join(", ", ApplicantInputs)})");
                }
                else if (!producers.TryGetValue(input, out var producer))
                {
                    errors.Add($"{At(matter)}.inputs", $"matter '{code}' input '{input}' is not a form field, an applicant field or an output of any matter");
                }
                else if (!ancestors.Contains(producer))
                {
                    errors.Add($"{At(matter)}.inputs", $"matter '{code}' input '{input}' is produced by '{producer}', which '{code}' does not depend on");
                }
            }
        }

        if (cycles.Count == 0 && item.TimeLimit is { WorkingDays: { } allowed, Duration: null })
        {
            CheckLongestChain(byCode, graph, allowed, errors);
        }
    }

    /// <summary>
    /// The item's limit must cover its longest chain of matters. Calendar durations count as whole days, which is
    /// never less than the working days they can span.
    /// </summary>
    private static void CheckLongestChain(
        Dictionary<string, MatterDefinition> byCode, Dictionary<string, List<string>> graph, int allowed, Problems errors)
    {
        var longest = new Dictionary<string, (int Days, List<string> Chain)>(StringComparer.Ordinal);
        (int Days, List<string> Chain) Longest(string code)
        {
            if (longest.TryGetValue(code, out var known))
            {
                return known;
            }
            var own = byCode[code].TimeLimit switch
            {
                { WorkingDays: { } days } => days,
                { Duration: { } text } when TimeLimit.TryParseDuration(text, out var duration) => (int)Math.Ceiling(duration.TotalDays),
                _ => 0,
            };
            var before = graph[code].Select(Longest).OrderByDescending(c => c.Days).FirstOrDefault((0, []));
            var result = (before.Days + own, new List<string>(before.Chain) { code });
            longest[code] = result;
            return result;
        }

        var worst = graph.Keys.Select(Longest).OrderByDescending(c => c.Days).First();
        if (worst.Days > allowed)
        {
            errors.Add("timeLimit", $"the chain {string.Join(Arrow, worst.Chain)} needs {worst.Days} working days but the item allows {allowed}");
        }
    }

    /// <summary>Each distinct cycle once, as the path that closes it (a → b → a: a must finish before b, b before a).</summary>
    private static List<List<string>> FindCycles(Dictionary<string, List<string>> graph)
    {
        var cycles = new List<List<string>>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        var onPath = new HashSet<string>(StringComparer.Ordinal);

        void Visit(string code)
        {
            path.Add(code);
            onPath.Add(code);
            foreach (var next in graph[code])
            {
                if (onPath.Contains(next))
                {
                    // Reversed so that arrows read in running order, as in the chain message: a runs before b.
                    var cycle = path.Skip(path.IndexOf(next)).Append(next).Reverse().ToList();
                    if (reported.Add(string.Join(",", cycle.Skip(1).Order(StringComparer.Ordinal))))
                    {
                        cycles.Add(cycle);
                    }
                }
                else if (!done.Contains(next))
                {
                    Visit(next);
                }
            }
            onPath.Remove(code);
            path.RemoveAt(path.Count - 1);
            done.Add(code);
        }

        foreach (var code in graph.Keys)
        {
            if (!done.Contains(code))
            {
                Visit(code);
            }
        }
        return cycles;
    }

    private static HashSet<string> Ancestors(string code, Dictionary<string, List<string>> graph)
    {
        var ancestors = new HashSet<string>(StringComparer.Ordinal);
        if (!graph.TryGetValue(code, out var direct))
        {
            return ancestors;
        }
        var pending = new Stack<string>(direct);
        while (pending.TryPop(out var next))
        {
            if (ancestors.Add(next))
            {
                foreach (var further in graph[next])
                {
                    pending.Push(further);
                }
            }
        }
        return ancestors;
    }

    /// <summary>Form field and output names: camelCase, so that they never collide with <c>applicant.*</c>.</summary>
    private static bool IsDataName(string? name) => name is not null && CamelCase().IsMatch(name);

    /// <summary>Problems in the order they are found, each with its field.</summary>
    private sealed class Problems
    {
        private readonly List<CatalogProblem> _all = [];

        public IReadOnlyList<CatalogProblem> All => _all;

        public void Add(string field, string message) => _all.Add(new CatalogProblem(field, message));
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex KebabCase();

    [GeneratedRegex("^[a-z][A-Za-z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex CamelCase();
}

/// <summary>One reason an item cannot run, with the JSON path of the field at fault (e.g. <c>matters[2].dependsOn</c>).</summary>
public sealed record CatalogProblem(string Field, string Message);
