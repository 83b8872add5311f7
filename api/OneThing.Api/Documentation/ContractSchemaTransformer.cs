using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using OneThing.Contracts.Departments;

namespace OneThing.Api.Documentation;

/// <summary>
/// Schemas the type alone cannot say: an open map of form values or outputs holds scalars only, a map of texts (an
/// item's notice templates) is an object of strings, and the inbox's items, stored as JSON, are tasks.
/// </summary>
internal sealed class ContractSchemaTransformer : IOpenApiSchemaTransformer
{
    public async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (typeof(IReadOnlyDictionary<string, JsonElement>).IsAssignableFrom(type) || type == typeof(Dictionary<string, JsonElement>))
        {
            schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Boolean };
        }
        else if (type == typeof(IReadOnlyDictionary<string, string>))
        {
            // The generator leaves this interface's schema empty, which admits null too: a nullable property of it
            // would then match both of its oneOf choices when null, and validators refuse that.
            // Where the generator writes a nullable property inline rather than as oneOf [null, $ref], null is said here.
            schema.Type = context.JsonPropertyInfo is { IsGetNullable: true } ? JsonSchemaType.Object | JsonSchemaType.Null : JsonSchemaType.Object;
            schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String };
        }
        else if (type == typeof(InboxPage) && schema.Properties is { } properties)
        {
            var task = await context.GetOrCreateSchemaAsync(typeof(TaskView), null, cancellationToken);
            context.Document!.AddComponent(nameof(TaskView), task);
            properties["items"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchemaReference(nameof(TaskView), context.Document),
            };
        }
    }
}
