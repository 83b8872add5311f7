namespace OneThing.Contracts;

/// <summary>A numbered page: <see cref="Total"/> items match in all (see docs/api.md, "Paging", for its bound).</summary>
public sealed record PageOf<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);
