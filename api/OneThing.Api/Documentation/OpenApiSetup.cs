using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;

namespace OneThing.Api.Documentation;

public static class OpenApiSetup
{
    /// <summary>The document at <c>/openapi/v1.json</c>, completed by the contract's transformers.</summary>
    public static IServiceCollection AddOneThingOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<ContractDocumentTransformer>();
            options.AddOperationTransformer<ContractOperationTransformer>();
            options.AddSchemaTransformer<ContractSchemaTransformer>();
        });
        // The web defaults read numbers from strings too, which the document then types as integer-or-string with a
        // pattern. No body is bound by the framework (JsonBody reads them, numbers as JSON numbers only), so strict
        // is what is true, and the document's integers are integers.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        return services;
    }

    /// <summary>Says in the OpenAPI document that the route reads a JSON body of <typeparamref name="T"/>, refusing any other with 415.</summary>
    public static RouteHandlerBuilder ReadsJsonBody<T>(this RouteHandlerBuilder route, bool optional = false) =>
        route.WithMetadata(new JsonBodyMetadata(typeof(T), optional));
}
