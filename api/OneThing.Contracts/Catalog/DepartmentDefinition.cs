namespace OneThing.Contracts.Catalog;

/// <summary>
/// A department (or a company such as a bank) that owns matters, read from <c>catalog/departments.json</c>.
/// <see cref="Kind"/> is <c>agency</c>, <c>utility</c>, <c>bank</c> or <c>hospital</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("onething.DepartmentDefinition")]
public sealed record DepartmentDefinition(
    [property: Id(0)] string Code,
    [property: Id(1)] string Name,
    [property: Id(2)] string Kind);
