using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace OneThing.Api.Documentation;

/// <summary>
/// Completes each operation from its endpoint's metadata: operationId, summary and the statuses of
/// <see cref="OperationCatalog"/>; the Bearer requirement with 401 and 403 where the route needs a key (none where it is
/// anonymous); 400 and 415 and the request schema where it reads a JSON body; 503 where it reaches the cluster or
/// PostgreSQL. Every error's content is set to the one problem schema by <see cref="ContractDocumentTransformer"/>.
/// </summary>
internal sealed partial class ContractOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var key = Key(description.HttpMethod, description.RelativePath);
        operation.Responses ??= [];

        if (OperationCatalog.Operations.TryGetValue(key, out var entry))
        {
            operation.OperationId = entry.OperationId;
            operation.Summary = entry.Summary;
            foreach (var status in entry.Errors)
            {
                AddError(operation, status);
            }
        }
        else
        {
            // A route the table does not know yet still gets a unique id and a summary; OpenApiDocumentTests names it.
            var method = metadata.OfType<MethodInfo>().FirstOrDefault();
            var name = method is null ? key : $"{method.DeclaringType?.Name.Replace("Endpoints", "", StringComparison.Ordinal)}{method.Name.Replace("Async", "", StringComparison.Ordinal)}";
            operation.OperationId ??= char.ToLowerInvariant(name[0]) + name[1..];
            operation.Summary ??= key;
        }

        var anonymous = metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any();
        if (anonymous)
        {
            operation.Security = [];
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ContractDocumentTransformer.BearerScheme, context.Document)] = [] }];
            AddError(operation, StatusCodes.Status401Unauthorized,
                "No key, an unknown key, or a malformed Authorization header: send 'Authorization: Bearer <api key>'.");
            AddError(operation, StatusCodes.Status403Forbidden, "The key's role or department may not use this resource.");
        }

        if (metadata.OfType<JsonBodyMetadata>().LastOrDefault() is { } body)
        {
            var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
            context.Document!.AddComponent(body.Type.Name, schema);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !body.Optional,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new OpenApiMediaType
                    {
                        Schema = new OpenApiSchemaReference(body.Type.Name, context.Document),
                        Example = Examples.For(body.Type),
                    },
                },
            };
            AddError(operation, StatusCodes.Status400BadRequest,
                "The body is not valid: `errors` names each field (by its JSON path) with what is wrong. Nothing was changed.");
            AddError(operation, StatusCodes.Status415UnsupportedMediaType, "The body is not declared application/json (UTF-8).");
        }
        if (operation.Parameters?.Count > 0 && !operation.Responses.ContainsKey("400")
            && operation.Parameters.Any(p => p.In is ParameterLocation.Query or ParameterLocation.Header))
        {
            AddError(operation, StatusCodes.Status400BadRequest, "A parameter is not valid: `errors` names it.");
        }
        if (key == "GET /health/ready" && operation.Responses.TryGetValue("200", out var ready) && ready is OpenApiResponse report)
        {
            // Not ready answers the same report (which probe failed), not a problem.
            operation.Responses["503"] = new OpenApiResponse { Description = "PostgreSQL or the cluster did not answer.", Content = report.Content };
        }
        if (key.StartsWith("GET /health", StringComparison.Ordinal))
        {
            return;
        }
        AddError(operation, StatusCodes.Status503ServiceUnavailable,
            "The database or the cluster did not answer; nothing was lost. Retry after the Retry-After header's seconds.");
        if (operation.Responses.TryGetValue("503", out var unavailable) && unavailable is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers.TryAdd("Retry-After", new OpenApiHeader
            {
                Description = "Seconds to wait before retrying.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
            });
        }
    }

    private static void AddError(OpenApiOperation operation, int status, string? description = null)
    {
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(code, out var existing))
        {
            if (existing is OpenApiResponse response && description is not null
                && (string.IsNullOrEmpty(response.Description) || response.Description == ReasonPhrases.GetReasonPhrase(status)))
            {
                response.Description = description;
            }
            return;
        }
        operation.Responses[code] = new OpenApiResponse
        {
            Description = description ?? ReasonPhrases.GetReasonPhrase(status),
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new OpenApiMediaType() },
        };
    }

    /// <summary>
    /// "METHOD /path" as the table writes it: without a group's trailing slash (<c>/api/cases/</c>) or a route
    /// constraint (<c>{year:int}</c>).
    /// </summary>
    internal static string Key(string? method, string? relativePath)
    {
        var path = RouteConstraint().Replace(relativePath?.Split('?')[0] ?? "", "{$1}").TrimEnd('/');
        return $"{method} /{path}";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{([^}:?]+)[^}]*\}")]
    private static partial System.Text.RegularExpressions.Regex RouteConstraint();
}
