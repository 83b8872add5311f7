using OneThing.Contracts.Catalog;

namespace OneThing.Grains.Catalog;

/// <summary>
/// An item as the catalog serves it: the definition that applies (a region's variant, or the national base) and the
/// regions that have a variant of the same code, so that a client can discover them.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.CatalogEntry")]
public sealed record CatalogEntry(
    [property: Id(0)] ItemDefinition Item,
    [property: Id(1)] IReadOnlyList<string> Regions);
