using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace OneThing.Api.Documentation;

/// <summary>
/// The document's own parts: what the API is, where it is served, how callers authenticate, the tags, and the one
/// problem+json schema every error response uses.
/// </summary>
internal sealed class ContractDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "Bearer";
    public const string ProblemSchema = "Problem";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "OneThing.Orleans API",
            Version = "v1",
            Description = """
                高效办成一件事: one application for a life event or a business start, one case that dispatches a task to
                each department, and deadlines counted in working days. Callers send `Authorization: Bearer <api key>`;
                the key's role (portal, department, ops) decides what they may do. Errors are problem+json (RFC 9457).
                docs/api.md in the repository describes auth, errors, idempotency, paging, ETags and rate limits.
                """,
        };
        document.Servers =
        [
            new OpenApiServer
            {
                Url = "{scheme}://{host}",
                Description = "Where the API is deployed (the container listens on port 8080).",
                Variables = new Dictionary<string, OpenApiServerVariable>
                {
                    ["scheme"] = new() { Default = "https", Enum = ["https", "http"], Description = "https in production (Kestrel or a proxy terminates TLS)." },
                    ["host"] = new() { Default = "localhost:8080", Description = "Host and port of the API." },
                },
            },
        ];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key issued to a channel (role portal), a department (role department, bound to its department code) or the ops team (role ops), sent as 'Authorization: Bearer <api key>'.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();

        document.Tags = new HashSet<OpenApiTag>(
            OperationCatalog.Tags.Select(tag => new OpenApiTag { Name = tag.Key, Description = tag.Value }));

        foreach (var operation in (document.Paths ?? []).Values.SelectMany(path => path.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            foreach (var (code, response) in operation.Responses ?? new OpenApiResponses())
            {
                if (response is not OpenApiResponse concrete || code[0] is not ('4' or '5')
                    || concrete.Content?.ContainsKey("application/json") == true)
                {
                    continue;
                }
                if (string.IsNullOrEmpty(concrete.Description))
                {
                    concrete.Description = ReasonPhrases.GetReasonPhrase(int.Parse(code, System.Globalization.CultureInfo.InvariantCulture));
                }
                concrete.Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                };
            }
        }
        // The framework's own problem types are replaced by Problem above.
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas.Remove("HttpValidationProblemDetails");
        RemoveUnreferencedSchemas(document);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Schemas left behind when a transformer replaced their only use (the inbox's raw items) are dropped; the document
    /// is built once per process, so serializing it here to find the references costs nothing per request.
    /// </summary>
    private static void RemoveUnreferencedSchemas(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        while (true)
        {
            using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            document.SerializeAsV31(new OpenApiJsonWriter(text));
            var json = text.ToString();
            var unused = schemas.Keys.Where(name => !json.Contains($"\"#/components/schemas/{name}\"", StringComparison.Ordinal)).ToList();
            if (unused.Count == 0)
            {
                return;
            }
            foreach (var name in unused)
            {
                schemas.Remove(name);
            }
        }
    }

    /// <summary>RFC 9457 problem details as this API writes them: field errors under <c>errors</c>, and <c>traceId</c>.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error (RFC 9457). A validation failure names each field by its JSON path in `errors`.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A URI reference identifying the problem type." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary of the problem type." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong in this occurrence." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's path." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Field errors: JSON path of the field (such as applicant.idNumber, or materials[0].uri) → messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The W3C trace id of the request, for the logs." },
        },
        Examples =
        [
            new JsonObject
        {
            ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            ["title"] = "The request is invalid.",
            ["status"] = 400,
            ["errors"] = new JsonObject { ["applicant.idNumber"] = new JsonArray("wrong check character") },
                ["traceId"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            },
        ],
    };
}
