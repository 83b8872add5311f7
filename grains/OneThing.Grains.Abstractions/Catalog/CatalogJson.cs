using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Grains.Catalog;

/// <summary>
/// The strict JSON reading of catalog data, the same for built-in files, published versions and the item bodies ops
/// send: a missing or misspelt property is an error, not a silent default.
/// </summary>
public static class CatalogJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
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
