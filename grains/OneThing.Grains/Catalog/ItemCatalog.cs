using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Every item version this silo serves, validated once at start-up. The snapshot is immutable after construction
/// (lists included), so any number of grains read it at once without locks and no caller can change what another sees.
/// </summary>
public sealed class ItemCatalog
{
    /// <summary>
    /// The same camelCase shape the API serves. Strict on top: a missing or misspelt property in a data file is an
    /// error with its JSON path, not a silently defaulted value.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = CreateJsonOptions();

    private readonly FrozenDictionary<string, ImmutableArray<ItemDefinition>> _versions;
    private readonly IReadOnlyList<ItemDefinition> _latest;
    private readonly FrozenSet<string> _departmentCodes;

    /// <summary>Builds a catalog from definitions already in memory; throws <see cref="CatalogException"/> when one is invalid.</summary>
    public ItemCatalog(IEnumerable<DepartmentDefinition> departments, IEnumerable<ItemDefinition> items)
    {
        ArgumentNullException.ThrowIfNull(departments);
        ArgumentNullException.ThrowIfNull(items);

        var departmentList = departments.ToImmutableArray();
        var departmentErrors = CatalogValidator.ValidateDepartments(departmentList);
        if (departmentErrors.Count > 0)
        {
            throw new CatalogException("departments", departmentErrors);
        }
        _departmentCodes = departmentList.Select(d => d.Code).ToFrozenSet(StringComparer.Ordinal);
        Departments = departmentList;

        var byCode = new Dictionary<string, List<ItemDefinition>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var origin = $"item '{item.Code}' version {item.Version}";
            var errors = CatalogValidator.Validate(item, _departmentCodes);
            if (errors.Count > 0)
            {
                throw new CatalogException(origin, errors);
            }
            var versions = byCode.TryGetValue(item.Code, out var list) ? list : byCode[item.Code] = [];
            if (versions.Any(v => v.Version == item.Version))
            {
                throw new CatalogException(origin, ["defined twice"]);
            }
            versions.Add(Freeze(item));
        }

        _versions = byCode.ToFrozenDictionary(
            pair => pair.Key,
            pair => pair.Value.OrderBy(v => v.Version).ToImmutableArray(),
            StringComparer.Ordinal);
        _latest = _versions.Values
            .Select(versions => versions[^1])
            .OrderBy(item => item.Code, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    /// <summary>Every department, in the order of <c>departments.json</c>.</summary>
    public IReadOnlyList<DepartmentDefinition> Departments { get; }

    /// <summary>
    /// Reads <c>departments.json</c> and <c>items/*.json</c> under <paramref name="catalogDirectory"/>. Throws
    /// <see cref="CatalogException"/> naming the first file that does not parse or validate, with all of its problems.
    /// </summary>
    public static ItemCatalog LoadFromDirectory(string catalogDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(catalogDirectory);
        const string departmentsFile = "catalog/departments.json";
        const string itemsFolder = "catalog/items";

        var departmentsPath = Path.Combine(catalogDirectory, "departments.json");
        if (!File.Exists(departmentsPath))
        {
            throw new CatalogException(departmentsFile, [$"not found in {Path.GetFullPath(catalogDirectory)}"]);
        }
        var departments = Read<List<DepartmentDefinition>>(departmentsPath, departmentsFile);
        var departmentErrors = CatalogValidator.ValidateDepartments(departments);
        if (departmentErrors.Count > 0)
        {
            throw new CatalogException(departmentsFile, departmentErrors);
        }
        var departmentCodes = departments.Select(d => d.Code).ToHashSet(StringComparer.Ordinal);

        var itemsPath = Path.Combine(catalogDirectory, "items");
        var files = Directory.Exists(itemsPath)
            ? Directory.GetFiles(itemsPath, "*.json").Order(StringComparer.Ordinal).ToList()
            : [];
        if (files.Count == 0)
        {
            throw new CatalogException(itemsFolder, [$"no item files in {Path.GetFullPath(itemsPath)}"]);
        }

        var items = new List<ItemDefinition>();
        var origins = new Dictionary<(string Code, int Version), string>();
        foreach (var path in files)
        {
            var origin = $"{itemsFolder}/{Path.GetFileName(path)}";
            var item = Read<ItemDefinition>(path, origin);
            var errors = CatalogValidator.Validate(item, departmentCodes).ToList();

            // One file per version: newborn.json, then newborn.v2.json and so on; a mismatch is a copy-paste slip.
            var fileName = Path.GetFileNameWithoutExtension(path);
            if (item.Code is { } code && fileName != code && !fileName.StartsWith(code + ".", StringComparison.Ordinal))
            {
                errors.Add($"the file of item '{code}' must be named '{code}.json' or '{code}.<suffix>.json'");
            }
            if (origins.TryGetValue((item.Code ?? "", item.Version), out var earlier))
            {
                errors.Add($"item '{item.Code}' version {item.Version} is already defined in {earlier}");
            }
            if (errors.Count > 0)
            {
                throw new CatalogException(origin, errors);
            }
            origins[(item.Code!, item.Version)] = origin;
            items.Add(item);
        }
        return new ItemCatalog(departments, items);
    }

    /// <summary>The newest version of every item, ordered by code.</summary>
    public IReadOnlyList<ItemDefinition> Latest() => _latest;

    /// <summary>The newest version of an item, or the version asked for; null when either is unknown.</summary>
    public ItemDefinition? Find(string code, int? version = null)
    {
        if (code is null || !_versions.TryGetValue(code, out var versions))
        {
            return null;
        }
        if (version is null)
        {
            return versions[^1];
        }
        foreach (var candidate in versions)
        {
            if (candidate.Version == version)
            {
                return candidate;
            }
        }
        return null;
    }

    public bool IsKnownDepartment(string code) => code is not null && _departmentCodes.Contains(code);

    private static T Read<T>(string path, string origin)
        where T : class
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, JsonOptions)
                ?? throw new CatalogException(origin, ["the file holds null"]);
        }
        catch (JsonException error)
        {
            throw new CatalogException(origin, [$"invalid JSON: {error.Message}"], error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new CatalogException(origin, [$"cannot be read: {error.Message}"], error);
        }
    }

    /// <summary>Deserialized lists are mutable List&lt;T&gt;; the shared snapshot must not be.</summary>
    private static ItemDefinition Freeze(ItemDefinition item) => item with
    {
        Form = item.Form.Select(f => f with { Options = f.Options is null ? null : f.Options.ToImmutableArray() }).ToImmutableArray(),
        Materials = item.Materials.ToImmutableArray(),
        Matters = item.Matters
            .Select(m => m with
            {
                DependsOn = m.DependsOn.ToImmutableArray(),
                Inputs = m.Inputs.ToImmutableArray(),
                Outputs = m.Outputs.ToImmutableArray(),
            })
            .ToImmutableArray(),
    };

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
