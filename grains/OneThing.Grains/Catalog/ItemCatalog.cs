using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Every item version this silo serves: the built-in files, validated once at start-up, plus the versions ops
/// published (<see cref="AddPublished"/>). Reads go to an immutable snapshot (lists included) that is swapped whole
/// when versions arrive, so any number of grains read it at once without locks and no caller can change what another sees.
/// </summary>
public sealed class ItemCatalog
{
    /// <summary>
    /// The same camelCase shape the API serves. Strict on top: a missing or misspelt property in a data file is an
    /// error with its JSON path, not a silently defaulted value.
    /// </summary>
    public static JsonSerializerOptions JsonOptions => CatalogJson.Options;

    private readonly FrozenSet<string> _departmentCodes;
    private Snapshot _snapshot;
    private Func<string, int?, ItemDefinition?>? _loadMissing;

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

        _snapshot = Snapshot.Create(byCode.ToFrozenDictionary(
            pair => pair.Key,
            pair => pair.Value.OrderBy(v => v.Version).ToImmutableArray(),
            StringComparer.Ordinal));
    }

    /// <summary>Every department, in the order of <c>departments.json</c>.</summary>
    public IReadOnlyList<DepartmentDefinition> Departments { get; }

    /// <summary>The codes of <see cref="Departments"/>: what items are validated against.</summary>
    public IReadOnlySet<string> DepartmentCodes => _departmentCodes;

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
    public IReadOnlyList<ItemDefinition> Latest() => Volatile.Read(ref _snapshot).Latest;

    /// <summary>The newest version of an item, or the version asked for; null when either is unknown.</summary>
    public ItemDefinition? Find(string code, int? version = null)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        var found = Find(snapshot, code, version);
        if (found is not null || code is null || Volatile.Read(ref _loadMissing) is not { } load)
        {
            return found;
        }
        if (version is null && snapshot.Versions.ContainsKey(code))
        {
            // The newest known here is an answer; a newer one arrives with the next refresh.
            return null;
        }
        // A version (or a whole item) published through another silo since this one's last refresh: the API may have
        // validated an application against it there, or a case started on it there may re-activate here. Callers
        // (the case grain) need the answer synchronously, hence a blocking read; it is one index look-up, made only
        // in that window or for an item or version that does not exist.
        if (load(code, version) is not { } loaded)
        {
            return null;
        }
        AddPublished([loaded]);
        return Find(Volatile.Read(ref _snapshot), code, loaded.Version);
    }

    /// <summary>
    /// Where <see cref="Find"/> looks for a version, or an item, this silo does not hold (yet): the table of published
    /// versions (the loader gets the code and the version asked for, null for the newest). Without it (tests, tools)
    /// a miss is simply null.
    /// </summary>
    public void LoadMissingVersionsFrom(Func<string, int?, ItemDefinition?> loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        Volatile.Write(ref _loadMissing, loader);
    }

    /// <summary>
    /// Adds published versions (already validated when they were published). A version this silo already holds
    /// with the same definition is skipped. A published version wins over a built-in file of the same code and
    /// version, because cases may already run on it; such a file is a packaging slip that ops must hear of.
    /// </summary>
    /// <returns>What changed: the versions added, and the built-in versions that published ones replaced.</returns>
    public PublishedMerge AddPublished(IEnumerable<ItemDefinition> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var incoming = items.Select(Freeze).ToList();
        while (true)
        {
            var current = Volatile.Read(ref _snapshot);
            var versions = current.Versions.ToDictionary(StringComparer.Ordinal);
            var added = new List<ItemDefinition>();
            var replaced = new List<ItemDefinition>();
            foreach (var item in incoming)
            {
                var list = versions.TryGetValue(item.Code, out var known) ? known : [];
                var index = IndexOfVersion(list, item.Version);
                if (index >= 0 && SameDefinition(list[index], item))
                {
                    continue;
                }
                if (index >= 0)
                {
                    replaced.Add(list[index]);
                    list = list.SetItem(index, item);
                }
                else
                {
                    list = list.Add(item).Sort((a, b) => a.Version.CompareTo(b.Version));
                }
                versions[item.Code] = list;
                added.Add(item);
            }
            if (added.Count == 0)
            {
                return new PublishedMerge([], []);
            }
            // The publishing grain and the refresh may add at once; retrying on a lost race keeps both.
            var next = Snapshot.Create(versions.ToFrozenDictionary(StringComparer.Ordinal));
            if (Interlocked.CompareExchange(ref _snapshot, next, current) == current)
            {
                return new PublishedMerge(added, replaced);
            }
        }
    }

    /// <summary>
    /// Whether two versions define the same thing, version number aside: what makes publishing idempotent. Compared
    /// as their JSON, which is the shape ops send and GET serves.
    /// </summary>
    public static bool SameDefinition(ItemDefinition a, ItemDefinition b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return JsonSerializer.Serialize(a with { Version = 0 }, JsonOptions) == JsonSerializer.Serialize(b with { Version = 0 }, JsonOptions);
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

    private static int IndexOfVersion(ImmutableArray<ItemDefinition> versions, int version)
    {
        for (var i = 0; i < versions.Length; i++)
        {
            if (versions[i].Version == version)
            {
                return i;
            }
        }
        return -1;
    }

    private static ItemDefinition? Find(Snapshot snapshot, string code, int? version)
    {
        if (code is null || !snapshot.Versions.TryGetValue(code, out var versions))
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

    /// <summary>Versions by code, each list ascending and never empty, and the newest of each: built together, swapped whole.</summary>
    private sealed record Snapshot(FrozenDictionary<string, ImmutableArray<ItemDefinition>> Versions, IReadOnlyList<ItemDefinition> Latest)
    {
        public static Snapshot Create(FrozenDictionary<string, ImmutableArray<ItemDefinition>> versions) => new(
            versions,
            versions.Values
                .Select(list => list[^1])
                .OrderBy(item => item.Code, StringComparer.Ordinal)
                .ToImmutableArray());
    }
}

/// <summary>What <see cref="ItemCatalog.AddPublished"/> changed.</summary>
/// <param name="Added">Versions new to this silo (or replacing a built-in one).</param>
/// <param name="ReplacedBuiltIn">Built-in versions a published version with the same number replaced.</param>
public sealed record PublishedMerge(IReadOnlyList<ItemDefinition> Added, IReadOnlyList<ItemDefinition> ReplacedBuiltIn);
