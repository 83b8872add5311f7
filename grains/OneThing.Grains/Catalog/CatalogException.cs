namespace OneThing.Grains.Catalog;

/// <summary>
/// The catalog cannot be served. The message names the source and every reason, e.g.
/// <c>catalog/items/newborn.json: matter 'x' names unknown department 'y'; …</c>, so that an operator can fix the file
/// from the start-up log alone.
/// </summary>
public sealed class CatalogException : Exception
{
    public CatalogException()
    {
    }

    public CatalogException(string message)
        : base(message)
    {
    }

    public CatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CatalogException(string origin, IReadOnlyList<string> reasons, Exception? innerException = null)
        : base($"{origin}: {string.Join("; ", reasons ?? [])}", innerException)
    {
        Origin = origin;
        Reasons = reasons ?? [];
    }

    /// <summary>The file (relative to the catalog's parent, like <c>catalog/items/newborn.json</c>) or item at fault.</summary>
    public string? Origin { get; }

    public IReadOnlyList<string> Reasons { get; } = [];
}
