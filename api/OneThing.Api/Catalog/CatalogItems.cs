using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Api.Catalog;

public static class CatalogItems
{
    /// <summary>The item as <c>GET /api/items</c> serves it: the definition's fields and the regions the catalog has a variant in.</summary>
    public static CatalogItem From(CatalogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var item = entry.Item;
        return new CatalogItem(item.Code, item.Name, item.Version, item.Audience, item.LeadDepartment, item.TimeLimit, item.Form,
            item.Materials, item.Matters, item.Description, item.Region, item.Notices, entry.Regions);
    }
}
