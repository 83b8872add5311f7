using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OneThing.Api.OpenApi;

/// <summary>
/// An answer any operation can give whatever its handler returns, declared once instead of on every route: 429 from
/// the rate limiter. (415 is declared by the routes that read a body, <see cref="Common.JsonBody"/>.)
/// </summary>
public sealed class CommonResponses : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= [];
        Add(operation, StatusCodes.Status429TooManyRequests,
            "Too many failed authentications from this address, or too many requests for this key: retry after the Retry-After header's seconds.");
        return Task.CompletedTask;
    }

    private static void Add(OpenApiOperation operation, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
            },
        };
    }
}
