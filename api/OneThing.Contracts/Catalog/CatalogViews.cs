namespace OneThing.Contracts.Catalog;

/// <summary>
/// An item as <c>GET /api/items</c> serves it: the <see cref="ItemDefinition"/> fields, unchanged and in their order,
/// plus <see cref="Regions"/>, the regions that have a variant of this code (<c>?region=</c> fetches one). Regions are
/// the catalog's to say, not part of a definition: the data files and a published body do not carry them.
/// </summary>
public sealed record CatalogItem(
    string Code,
    string Name,
    int Version,
    string Audience,
    string LeadDepartment,
    TimeLimit TimeLimit,
    IReadOnlyList<FormField> Form,
    IReadOnlyList<MaterialDefinition> Materials,
    IReadOnlyList<MatterDefinition> Matters,
    string? Description,
    string? Region,
    IReadOnlyDictionary<string, string>? Notices,
    IReadOnlyList<string> Regions);
