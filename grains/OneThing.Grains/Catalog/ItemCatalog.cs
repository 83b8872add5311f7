using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using OneThing.Contracts.Catalog;

namespace OneThing.Grains.Catalog;

/// <summary>
/// Every item version this silo serves: the built-in files, validated once at start-up, plus the versions ops
/// published (<see cref="AddPublished"/>). Reads go to an immutable snapshot (lists included) that is swapped whole
/// when versions arrive, so any number of grains read it at once without locks and no caller can change what another sees.
/// The synchronous look-ups read only that snapshot; the asynchronous ones also read what it lacks from the table of
/// published versions (<see cref="LoadMissingVersionsFrom"/>).
/// </summary>
/// <remarks>
/// Items come in variants keyed by (code, region): region null is the national base, a region code a regional variant
/// (Chongqing's newborn item next to the national one). Each variant numbers its own versions. Which variant applies
/// where is decided here and only here: <see cref="Find(string, string?, int?)"/> (and <see cref="FindAsync"/>) and
/// <see cref="Latest(string?)"/>.
/// </remarks>
public sealed class ItemCatalog
{
    /// <summary>
    /// The same camelCase shape the API serves. Strict on top: a missing or misspelt property in a data file is an
    /// error with its JSON path, not a silently defaulted value.
    /// </summary>
    public static JsonSerializerOptions JsonOptions => CatalogJson.Options;

    /// <summary>
    /// How long a (code, region, version) the table did not have is answered null without asking it again. Short: a
    /// version published through another silo is found by its exact look-up at most this long after it was published.
    /// </summary>
    public static readonly TimeSpan MissesRememberedFor = TimeSpan.FromSeconds(5);

    /// <summary>At most this many misses are remembered at once; beyond it (codes that do not exist, en masse) a miss is read again.</summary>
    public const int MostMissesRemembered = 1024;

    private readonly FrozenSet<string> _departmentCodes;
    private Snapshot _snapshot;
    private MissingVersionReader? _missing;

    /// <summary>Builds a catalog from definitions already in memory; throws <see cref="CatalogException"/> when one is invalid.</summary>
    /// <param name="noticeTemplates">The templates of notices to applicants by event type (<c>catalog/notices.json</c>); none when null.</param>
    public ItemCatalog(IEnumerable<DepartmentDefinition> departments, IEnumerable<ItemDefinition> items,
        IReadOnlyDictionary<string, string>? noticeTemplates = null)
    {
        ArgumentNullException.ThrowIfNull(departments);
        ArgumentNullException.ThrowIfNull(items);
        var noticeErrors = CatalogValidator.ValidateNotices(noticeTemplates);
        if (noticeErrors.Count > 0)
        {
            throw new CatalogException("notices", noticeErrors);
        }
        NoticeTemplates = noticeTemplates?.ToFrozenDictionary(StringComparer.Ordinal) ?? FrozenDictionary<string, string>.Empty;

        var departmentList = departments.ToImmutableArray();
        var departmentErrors = CatalogValidator.ValidateDepartments(departmentList);
        if (departmentErrors.Count > 0)
        {
            throw new CatalogException("departments", departmentErrors);
        }
        _departmentCodes = departmentList.Select(d => d.Code).ToFrozenSet(StringComparer.Ordinal);
        Departments = departmentList;

        var byVariant = new Dictionary<VariantKey, List<ItemDefinition>>();
        foreach (var item in items)
        {
            var origin = Describe(item.Code, item.Region, item.Version);
            var errors = CatalogValidator.Validate(item, _departmentCodes);
            if (errors.Count > 0)
            {
                throw new CatalogException(origin, errors);
            }
            var key = new VariantKey(item.Code, item.Region);
            var versions = byVariant.TryGetValue(key, out var list) ? list : byVariant[key] = [];
            if (versions.Any(v => v.Version == item.Version))
            {
                throw new CatalogException(origin, ["defined twice"]);
            }
            versions.Add(Freeze(item));
        }

        _snapshot = Snapshot.Create(byVariant.ToFrozenDictionary(
            pair => pair.Key,
            pair => pair.Value.OrderBy(v => v.Version).ToImmutableArray()));
    }

    /// <summary>Every department, in the order of <c>departments.json</c>.</summary>
    public IReadOnlyList<DepartmentDefinition> Departments { get; }

    /// <summary>The templates of notices to applicants by event type, from <c>catalog/notices.json</c>; an item's own win.</summary>
    public IReadOnlyDictionary<string, string> NoticeTemplates { get; }

    /// <summary>The codes of <see cref="Departments"/>: what items are validated against.</summary>
    public IReadOnlySet<string> DepartmentCodes => _departmentCodes;

    /// <summary>
    /// Reads <c>departments.json</c> and <c>items/*.json</c> under <paramref name="catalogDirectory"/>: the national base
    /// of an item in <c>&lt;code&gt;.json</c>, a regional variant in <c>&lt;code&gt;.&lt;region&gt;.json</c> (or
    /// <c>&lt;code&gt;.&lt;region&gt;.&lt;suffix&gt;.json</c> for another of its versions). Throws
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
        var origins = new Dictionary<(VariantKey Variant, int Version), string>();
        foreach (var path in files)
        {
            var origin = $"{itemsFolder}/{Path.GetFileName(path)}";
            var item = Read<ItemDefinition>(path, origin);
            var errors = CatalogValidator.Validate(item, departmentCodes).ToList();

            // The file name says which variant it holds: a mismatch (a variant without its region, a copy under
            // another code) is a copy-paste slip that would otherwise serve the wrong item to a whole region.
            var fileName = Path.GetFileNameWithoutExtension(path);
            if (item.Code is { } code && !IsNamedFor(fileName, code, item.Region))
            {
                errors.Add(item.Region is null
                    ? $"the file of item '{code}' must be named '{code}.json' (the national base; a regional variant sets region and is named '{code}.<region>.json')"
                    : $"the file of item '{code}' for region '{item.Region}' must be named '{code}.{item.Region}.json' or '{code}.{item.Region}.<suffix>.json'");
            }
            var key = (new VariantKey(item.Code ?? "", item.Region), item.Version);
            if (origins.TryGetValue(key, out var earlier))
            {
                errors.Add($"{Describe(item.Code ?? "", item.Region, item.Version)} is already defined in {earlier}");
            }
            if (errors.Count > 0)
            {
                throw new CatalogException(origin, errors);
            }
            origins[key] = origin;
            items.Add(item);
        }

        // Every item has a national base: a region without a variant of its own, and a case filed without a region, get it.
        var nationalCodes = items.Where(i => i.Region is null).Select(i => i.Code).ToHashSet(StringComparer.Ordinal);
        foreach (var ((variant, _), origin) in origins.OrderBy(pair => pair.Value, StringComparer.Ordinal))
        {
            if (!nationalCodes.Contains(variant.Code))
            {
                throw new CatalogException(origin, [$"item '{variant.Code}' has a variant for region '{variant.Region}' but no national base ({itemsFolder}/{variant.Code}.json)"]);
            }
        }
        // Optional: without it applicants are told nothing but what items' own templates say.
        const string noticesFile = "catalog/notices.json";
        var noticesPath = Path.Combine(catalogDirectory, "notices.json");
        var notices = File.Exists(noticesPath) ? Read<Dictionary<string, string>>(noticesPath, noticesFile) : null;
        var noticeErrors = CatalogValidator.ValidateNotices(notices);
        if (noticeErrors.Count > 0)
        {
            throw new CatalogException(noticesFile, noticeErrors);
        }
        return new ItemCatalog(departments, items, notices);
    }

    /// <summary>The newest version of every item's national base, ordered by code.</summary>
    public IReadOnlyList<ItemDefinition> Latest() => Volatile.Read(ref _snapshot).Latest;

    /// <summary>
    /// One item per code as it applies in <paramref name="region"/>, ordered by code: the newest version of the
    /// region's variant where it has one, else of the national base. Without a region, the national bases.
    /// </summary>
    public IReadOnlyList<ItemDefinition> Latest(string? region)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (region is null)
        {
            return snapshot.Latest;
        }
        var effective = new List<ItemDefinition>(snapshot.RegionsByCode.Count);
        foreach (var code in snapshot.RegionsByCode.Keys.Order(StringComparer.Ordinal))
        {
            if (snapshot.Versions.TryGetValue(new VariantKey(code, region), out var variant)
                || snapshot.Versions.TryGetValue(new VariantKey(code, null), out variant))
            {
                effective.Add(variant[^1]);
            }
        }
        return effective;
    }

    /// <summary>The regions that have a variant of <paramref name="code"/>, in order; empty when only the national base exists.</summary>
    public IReadOnlyList<string> Regions(string code) =>
        code is not null && Volatile.Read(ref _snapshot).RegionsByCode.TryGetValue(code, out var regions) ? regions : [];

    /// <summary>The national base of an item this silo holds: its newest version, or the version asked for; null when either is unknown here.</summary>
    public ItemDefinition? Find(string code, int? version = null) => FindVariant(code, null, version);

    /// <summary>
    /// The item as it applies in <paramref name="region"/>: when the region has a variant of it, the newest version of
    /// that variant or the one asked for (null if the variant has no such version); otherwise, and without a region,
    /// the national base's. The one place that decides which variant a region gets. Reads only what this silo holds;
    /// <see cref="FindAsync"/> also reads what it does not hold yet.
    /// </summary>
    public ItemDefinition? Find(string code, string? region, int? version = null)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return region is not null && code is not null && snapshot.Versions.ContainsKey(new VariantKey(code, region))
            ? Find(snapshot, code, region, version)
            : Find(snapshot, code!, null, version);
    }

    /// <summary>
    /// <see cref="Find(string, string?, int?)"/>, and what this silo does not hold yet is read from the table of
    /// published versions: an explicit version, of the region's variant or (when the region has none) of the national
    /// base, or an item this silo has never heard of.
    /// </summary>
    public async ValueTask<ItemDefinition?> FindAsync(
        string code, string? region, int? version = null, CancellationToken cancellationToken = default)
    {
        if (region is null || code is null)
        {
            return await FindVariantAsync(code!, null, version, cancellationToken);
        }
        var variantHere = Volatile.Read(ref _snapshot).Versions.ContainsKey(new VariantKey(code, region));
        if (variantHere || version is not null)
        {
            // An explicit version of a variant this silo has not heard of yet is read from the table: it may have been
            // published through another silo since the last refresh. Which version is the newest may lag instead.
            var own = await FindVariantAsync(code, region, version, cancellationToken);
            if (own is not null || variantHere)
            {
                return own;
            }
        }
        return await FindVariantAsync(code, null, version, cancellationToken);
    }

    /// <summary>
    /// Exactly one variant as this silo holds it: the newest version of (<paramref name="code"/>, <paramref name="region"/>)
    /// or the version asked for, with no falling back to the national base; null when unknown here. Never leaves memory,
    /// so it is safe anywhere; <see cref="FindVariantAsync"/> also reads what this silo does not hold yet.
    /// </summary>
    public ItemDefinition? FindVariant(string code, string? region, int? version = null) =>
        Find(Volatile.Read(ref _snapshot), code, region, version);

    /// <summary>
    /// <see cref="FindVariant"/>, and on a miss the table of published versions: a version (or a whole variant or item)
    /// published through another silo since this one's last refresh, which the API may have validated an application
    /// against there, or a case started on it there may re-activate here. What is read joins the snapshot. One read per
    /// key at a time, however many callers ask; a key the table does not have is answered null without reading for
    /// <see cref="MissesRememberedFor"/>, or until a version of its variant arrives. What a running case re-finds its
    /// definition with.
    /// </summary>
    public ValueTask<ItemDefinition?> FindVariantAsync(
        string code, string? region, int? version = null, CancellationToken cancellationToken = default)
    {
        var found = FindVariant(code, region, version);
        if (found is not null || code is null || Volatile.Read(ref _missing) is not { } missing)
        {
            return ValueTask.FromResult(found);
        }
        var key = new Lookup(code, region, version);
        return missing.IsKnownMissing(key)
            ? ValueTask.FromResult<ItemDefinition?>(null)
            : new ValueTask<ItemDefinition?>(ReadMissingAsync(missing, key, cancellationToken));
    }

    /// <summary>
    /// Where <see cref="FindVariantAsync"/> and <see cref="FindAsync"/> look for a version, a variant or an item this
    /// silo does not hold (yet): the table of published versions (the loader gets the code, the region (null for the
    /// national base), the version asked for (null for the newest) and <paramref name="stopping"/>). Without it (tests,
    /// tools) a miss is simply null.
    /// </summary>
    /// <param name="loader">Reads one published version, or null when the table has none.</param>
    /// <param name="clock">Measures <see cref="MissesRememberedFor"/>; the system clock when null.</param>
    /// <param name="stopping">Ends the reads in flight, which callers share, so no one caller's token can.</param>
    public void LoadMissingVersionsFrom(
        Func<string, string?, int?, CancellationToken, Task<ItemDefinition?>> loader,
        TimeProvider? clock = null,
        CancellationToken stopping = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        Volatile.Write(ref _missing, new MissingVersionReader(this, loader, clock ?? TimeProvider.System, stopping));
    }

    /// <summary>
    /// Adds published versions (already validated when they were published), each to its own variant. A version this
    /// silo already holds with the same definition is skipped. A published version wins over a built-in file of the
    /// same variant and version, because cases may already run on it; such a file is a packaging slip that ops must hear of.
    /// </summary>
    /// <returns>What changed: the versions added, and the built-in versions that published ones replaced.</returns>
    public PublishedMerge AddPublished(IEnumerable<ItemDefinition> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var incoming = items.Select(Freeze).ToList();
        while (true)
        {
            var current = Volatile.Read(ref _snapshot);
            var versions = current.Versions.ToDictionary();
            var added = new List<ItemDefinition>();
            var replaced = new List<ItemDefinition>();
            foreach (var item in incoming)
            {
                var key = new VariantKey(item.Code, item.Region);
                var list = versions.TryGetValue(key, out var known) ? known : [];
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
                versions[key] = list;
                added.Add(item);
            }
            if (added.Count == 0)
            {
                return new PublishedMerge([], []);
            }
            // The publishing grain and the refresh may add at once; retrying on a lost race keeps both.
            var next = Snapshot.Create(versions.ToFrozenDictionary());
            if (Interlocked.CompareExchange(ref _snapshot, next, current) == current)
            {
                Volatile.Read(ref _missing)?.Forget(added);
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

    /// <summary>How messages name a version: <c>item 'newborn' version 1</c>, <c>item 'newborn' (chongqing) version 2</c>.</summary>
    public static string Describe(string code, string? region, int version) =>
        region is null ? $"item '{code}' version {version}" : $"item '{code}' ({region}) version {version}";

    private static bool IsNamedFor(string fileName, string code, string? region) => region is null
        ? fileName == code
        : fileName == $"{code}.{region}" || fileName.StartsWith($"{code}.{region}.", StringComparison.Ordinal);

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

    private async Task<ItemDefinition?> ReadMissingAsync(MissingVersionReader missing, Lookup key, CancellationToken cancellationToken)
    {
        var loaded = await missing.ReadAsync(key, cancellationToken).ConfigureAwait(false);
        // The snapshot's copy: frozen, and the same instance for every caller.
        return loaded is null ? null : Find(Volatile.Read(ref _snapshot), key.Code, key.Region, loaded.Version);
    }

    private static ItemDefinition? Find(Snapshot snapshot, string code, string? region, int? version)
    {
        if (code is null || !snapshot.Versions.TryGetValue(new VariantKey(code, region), out var versions))
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

    /// <summary>A variant of an item: the national base when <see cref="Region"/> is null.</summary>
    private readonly record struct VariantKey(string Code, string? Region);

    /// <summary>
    /// Versions by variant, each list ascending and never empty; every code with the regions that have a variant of it;
    /// the newest national base of each code: built together, swapped whole.
    /// </summary>
    private sealed record Snapshot(
        FrozenDictionary<VariantKey, ImmutableArray<ItemDefinition>> Versions,
        FrozenDictionary<string, ImmutableArray<string>> RegionsByCode,
        IReadOnlyList<ItemDefinition> Latest)
    {
        public static Snapshot Create(FrozenDictionary<VariantKey, ImmutableArray<ItemDefinition>> versions) => new(
            versions,
            versions.Keys
                .GroupBy(key => key.Code, StringComparer.Ordinal)
                .ToFrozenDictionary(
                    group => group.Key,
                    group => group.Where(key => key.Region is not null).Select(key => key.Region!).Order(StringComparer.Ordinal).ToImmutableArray(),
                    StringComparer.Ordinal),
            versions
                .Where(pair => pair.Key.Region is null)
                .Select(pair => pair.Value[^1])
                .OrderBy(item => item.Code, StringComparer.Ordinal)
                .ToImmutableArray());
    }
}

/// <summary>What <see cref="ItemCatalog.AddPublished"/> changed.</summary>
/// <param name="Added">Versions new to this silo (or replacing a built-in one).</param>
/// <param name="ReplacedBuiltIn">Built-in versions a published version with the same number replaced.</param>
public sealed record PublishedMerge(IReadOnlyList<ItemDefinition> Added, IReadOnlyList<ItemDefinition> ReplacedBuiltIn);
