using Microsoft.Extensions.DependencyInjection;

namespace OneThing.Grains.Catalog;

public static class CatalogServiceCollectionExtensions
{
    /// <summary>Where the build copies <c>catalog/</c>: next to the host's assemblies.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "catalog");

    /// <summary>
    /// Loads and validates the catalog now, so that a bad data file stops the silo at start-up (with the file and the
    /// reasons in the exception) instead of failing the first case that touches it.
    /// </summary>
    public static IServiceCollection AddOneThingCatalog(this IServiceCollection services, string catalogDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(ItemCatalog.LoadFromDirectory(catalogDirectory));
        return services;
    }
}
