using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Contracts.Departments;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Api;

/// <summary>
/// The OpenAPI document is half of the contract (docs/api.md is the other): what a generated client and a validating
/// proxy are built from. It must pass the pinned linter and say, for every operation, what it takes and what it answers.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class OpenApiDocumentTests(TwoSiloClusterFixture fixture)
{
    /// <summary>The linter CI runs; docs/api.md names the same version.</summary>
    public const string Redocly = "@redocly/cli@2.77.0";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task DocumentPassesTheRecommendedLintRules()
    {
        var json = await DocumentTextAsync();
        var file = Path.Combine(Path.GetTempPath(), $"onething-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);

        var start = new ProcessStartInfo("npx", ["--yes", Redocly, "lint", file, "--config", Path.Combine(RepositoryRoot(), "redocly.yaml")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot(),
        };
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var lint = Process.Start(start) ?? throw new InvalidOperationException("npx could not be started: Node.js and npm are needed to lint the document.");
        var output = lint.StandardOutput.ReadToEndAsync();
        var errors = lint.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await lint.WaitForExitAsync(timeout.Token);

        // The document is kept when it fails, so that the report's line numbers can be looked up.
        Assert.True(lint.ExitCode == 0, $"{Redocly} lint failed on {file}:\n{await output}\n{await errors}");
        File.Delete(file);
    }

    [Fact]
    public async Task EveryOperationHasAnIdASummaryAndTags()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, operation) in Operations(await DocumentAsync()))
        {
            Assert.True(operation.TryGetProperty("operationId", out var id) && ids.Add(id.GetString()!), $"{name}: a unique operationId");
            Assert.True(operation.TryGetProperty("summary", out var summary) && summary.GetString()!.Length > 0, $"{name}: a summary");
            Assert.True(operation.TryGetProperty("tags", out var tags) && tags.GetArrayLength() > 0, $"{name}: tags");
        }
    }

    [Fact]
    public async Task EveryPostAndPutWithABodyDeclaresItsJsonSchema()
    {
        var document = await DocumentAsync();
        // The routes of the HTTP contract that take a body: each must say what it takes.
        string[] withBody =
        [
            "post /api/cases", "post /api/cases/{caseId}/supplements", "post /api/cases/{caseId}/withdraw",
            "post /api/cases/{caseId}/evaluation", "post /api/tasks/{taskId}/complete", "post /api/tasks/{taskId}/reject",
            "post /api/tasks/{taskId}/supplement-requests", "put /api/items/{code}", "put /api/calendar/{year}",
            "post /api/subscriptions", "post /api/subscriptions/{subscriptionId}/replay", "post /api/fallback-desk/cases",
            "post /api/fallback-desk/cases/{entryId}/resolve",
        ];
        var operations = Operations(document).ToDictionary(o => o.Name, o => o.Operation);
        foreach (var name in withBody)
        {
            Assert.True(operations.TryGetValue(name, out var operation), $"{name} is in the document");
            Assert.True(operation.TryGetProperty("requestBody", out var body), $"{name}: a requestBody");
            var schema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.True(schema.TryGetProperty("$ref", out _) || schema.TryGetProperty("type", out _), $"{name}: a request schema");
            Assert.True(operation.GetProperty("responses").TryGetProperty("415", out _), $"{name}: 415 for a body that is not JSON");
            Assert.True(operation.GetProperty("responses").TryGetProperty("400", out _), $"{name}: 400 for a body that is not valid");
        }
        foreach (var (name, operation) in Operations(document).Where(o => o.Name.StartsWith("post ", StringComparison.Ordinal) || o.Name.StartsWith("put ", StringComparison.Ordinal)))
        {
            if (operation.TryGetProperty("requestBody", out var body))
            {
                var schema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
                Assert.True(schema.TryGetProperty("$ref", out _) || schema.TryGetProperty("type", out _), $"{name}: a request schema");
            }
        }
    }

    [Fact]
    public async Task ProtectedOperationsDeclareBearerSecurityAnd401And403AndAnonymousOnesNone()
    {
        var document = await DocumentAsync();
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        string[] anonymous = ["get /health/live", "get /health/ready", "get /metrics"];
        foreach (var (name, operation) in Operations(document))
        {
            var responses = operation.GetProperty("responses");
            if (anonymous.Contains(name))
            {
                Assert.False(operation.TryGetProperty("security", out var none) && none.GetArrayLength() > 0, $"{name} is anonymous");
                continue;
            }
            Assert.True(operation.TryGetProperty("security", out var security), $"{name}: a security requirement");
            Assert.Contains(security.EnumerateArray(), requirement => requirement.TryGetProperty("Bearer", out _));
            Assert.True(responses.TryGetProperty("401", out _), $"{name}: 401");
            Assert.True(responses.TryGetProperty("403", out _), $"{name}: 403");
        }
    }

    [Fact]
    public async Task TaskActionsAndCaseActionsDeclareNo201AndErrorsUseTheProblemSchema()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).ToDictionary(o => o.Name, o => o.Operation);
        foreach (var name in new[]
        {
            "post /api/tasks/{taskId}/accept", "post /api/tasks/{taskId}/complete", "post /api/tasks/{taskId}/reject",
            "post /api/tasks/{taskId}/supplement-requests", "post /api/cases/{caseId}/withdraw", "post /api/cases/{caseId}/evaluation",
            "post /api/cases/{caseId}/supplements",
        })
        {
            Assert.False(operations[name].GetProperty("responses").TryGetProperty("201", out _), $"{name} never answers 201");
        }
        Assert.True(operations["post /api/cases"].GetProperty("responses").TryGetProperty("201", out _));
        // Readiness answers its report either way; every other error is a problem.
        foreach (var (name, operation) in Operations(document).Where(o => o.Name != "get /health/ready"))
        {
            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var schema = response.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
                Assert.Equal("#/components/schemas/Problem", schema.GetProperty("$ref").GetString());
            }
        }
    }

    [Fact]
    public async Task TheInboxIsTypedAndIntegersAreIntegers()
    {
        var document = await DocumentAsync();
        var text = document.GetRawText();
        Assert.DoesNotContain("PageOfOfJsonElement", text, StringComparison.Ordinal);
        Assert.DoesNotContain("^-?(?:0|[1-9]\\\\d*)$", text, StringComparison.Ordinal);
        var inbox = document.GetProperty("paths").GetProperty("/api/departments/{department}/tasks").GetProperty("get")
            .GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var page = document.GetProperty("components").GetProperty("schemas").GetProperty(inbox.GetProperty("$ref").GetString()!.Split('/')[^1]);
        var task = page.GetProperty("properties").GetProperty("items").GetProperty("items");
        Assert.True(task.TryGetProperty("$ref", out var reference)
            ? reference.GetString() == "#/components/schemas/TaskView"
            : task.GetProperty("properties").TryGetProperty("taskId", out _), $"inbox items are tasks: {task}");
    }

    /// <summary>
    /// A nullable property is written <c>oneOf: [{ type: null }, { $ref }]</c>. When the referenced schema admits null as
    /// well, a null matches both and a validating proxy refuses the very answer it describes.
    /// </summary>
    [Fact]
    public async Task EveryNullableChoiceAdmitsNullOnce()
    {
        var document = await DocumentAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var ambiguous = new List<string>();
        void Visit(JsonElement node, string path)
        {
            if (node.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var entry in node.EnumerateArray())
                {
                    Visit(entry, $"{path}[{index++}]");
                }
                return;
            }
            if (node.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            if (node.TryGetProperty("oneOf", out var choices) && choices.EnumerateArray().Count(AdmitsNull) > 1)
            {
                ambiguous.Add(path);
            }
            foreach (var property in node.EnumerateObject())
            {
                Visit(property.Value, $"{path}/{property.Name}");
            }
        }
        bool AdmitsNull(JsonElement choice)
        {
            if (choice.TryGetProperty("$ref", out var reference))
            {
                choice = schemas.GetProperty(reference.GetString()!.Split('/')[^1]);
            }
            if (!choice.TryGetProperty("type", out var type))
            {
                // No type, no enum, no const: any value, null included.
                return !choice.TryGetProperty("enum", out _) && !choice.TryGetProperty("const", out _);
            }
            return type.ValueKind == JsonValueKind.Array
                ? type.EnumerateArray().Any(t => t.GetString() == "null")
                : type.GetString() == "null";
        }

        Visit(document, "");

        Assert.True(ambiguous.Count == 0, "a null matches more than one choice at: " + string.Join(", ", ambiguous));
        var notices = schemas.GetProperty("CatalogItem").GetProperty("properties").GetProperty("notices").GetProperty("oneOf")
            .EnumerateArray().Single(choice => choice.TryGetProperty("$ref", out _));
        var map = schemas.GetProperty(notices.GetProperty("$ref").GetString()!.Split('/')[^1]);
        Assert.Equal("object", map.GetProperty("type").GetString());
        Assert.Equal("string", map.GetProperty("additionalProperties").GetProperty("type").GetString());
    }

    [Fact]
    public async Task AnUnknownRouteIsAProblemJson404()
    {
        using var client = fixture.Api.CreateClient("test-portal");

        using var response = await client.GetAsync(new Uri("/api/no-such-thing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task AWrongMethodIsAProblemJson405NamingTheAllowedOnes()
    {
        using var client = fixture.Api.CreateClient("test-portal");

        using var response = await client.DeleteAsync(new Uri("/api/cases", UriKind.Relative));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(405, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }

    private async Task<string> DocumentTextAsync()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);
        var json = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        // CI can keep the document it checked, e.g. to publish it next to the build.
        if (Environment.GetEnvironmentVariable("ONETHING_OPENAPI_OUT") is { Length: > 0 } keep)
        {
            await File.WriteAllTextAsync(keep, json);
        }
        return json;
    }

    private async Task<JsonElement> DocumentAsync() => JsonDocument.Parse(await DocumentTextAsync()).RootElement;

    private static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement document) =>
        from path in document.GetProperty("paths").EnumerateObject()
        from method in path.Value.EnumerateObject()
        where Methods.Contains(method.Name)
        select ($"{method.Name} {path.Name}", method.Value);

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OneThing.Orleans.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}
