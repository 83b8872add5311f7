using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Webhooks;

namespace OneThing.Tests.Contract;

/// <summary>
/// The API's own OpenAPI document as a checker of real traffic: every exchange sent through <see cref="Checking"/> is
/// matched to its operation, its status must be one the operation declares, and its request and response bodies must
/// validate against the declared schemas. The validator is JsonSchema.Net, which shares nothing with the code that
/// writes the document, so a document that describes the API wrongly fails here.
/// </summary>
public sealed class OpenApiContract
{
    /// <summary>Marks a request sent wrong on purpose: its body must NOT validate, and the answer must be a 4xx.</summary>
    public static readonly HttpRequestOptionsKey<bool> Deliberate = new("onething-deliberately-invalid");

    private static int _documents;

    private readonly JsonElement _document;
    private readonly Uri _base;
    private readonly List<Operation> _operations = [];
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, int> _exercised = new(StringComparer.Ordinal);

    private OpenApiContract(JsonElement document)
    {
        _document = document;
        // Each document its own URI in the registry, so that two fixtures never read each other's.
        _base = new Uri($"https://onething.test/openapi-{Interlocked.Increment(ref _documents)}.json");
        SchemaRegistry.Global.Register(_base, new JsonElementBaseDocument(document, _base));
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject())
            {
                if (method.Name is "get" or "put" or "post" or "delete" or "patch" or "head" or "options")
                {
                    _operations.Add(new Operation(path.Name, method.Name.ToUpperInvariant(), Template(path.Name), method.Value));
                }
            }
        }
        // The most literal template first: /api/items/{code}/form-schema before /api/items/{code}/{version}.
        _operations.Sort((a, b) => Literals(b.Path).CompareTo(Literals(a.Path)));
    }

    /// <summary>An API on the webhook cluster whose every exchange is checked against its own document.</summary>
    public static async Task<(OneThingApiFactory Api, OpenApiContract Contract)> StartCheckedApiAsync(WebhookClusterFixture fixture)
    {
        var api = new OneThingApiFactory(fixture.ConnectionString, fixture.Cluster.Options.ClusterId, fixture.Cluster.Options.ServiceId,
            WebhookClusterFixture.Settings);
        OpenApiContract contract;
        using (var plain = api.CreateClient(apiKey: null))
        {
            contract = await LoadAsync(plain);
        }
        api.Handler = contract.Checking;
        return (api, contract);
    }

    public static async Task<OpenApiContract> LoadAsync(HttpClient anonymous)
    {
        using var response = await anonymous.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return new OpenApiContract(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public JsonElement Document => _document;

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>"METHOD /template" of every operation the document declares.</summary>
    public IEnumerable<string> Operations => _operations.Select(operation => operation.Name);

    /// <summary>How often each operation was seen, by "METHOD /template".</summary>
    public IReadOnlyDictionary<string, int> Exercised => _exercised;

    /// <summary>Every request example of the document that does not validate against its own schema, with why.</summary>
    public IReadOnlyList<string> ExamplesNotMatchingTheirSchemas()
    {
        var wrong = new List<string>();
        foreach (var operation in _operations)
        {
            if (!operation.Element.TryGetProperty("requestBody", out var body) || !body.TryGetProperty("content", out var content))
            {
                continue;
            }
            foreach (var media in content.EnumerateObject())
            {
                if (media.Value.TryGetProperty("example", out var example) && media.Value.TryGetProperty("schema", out _))
                {
                    var errors = Evaluate($"{operation.Pointer}/requestBody/content/{Escape(media.Name)}/schema",
                        System.Text.Encoding.UTF8.GetBytes(example.GetRawText()));
                    if (errors.Count > 0)
                    {
                        wrong.Add($"{operation.Name} ({media.Name}): {string.Join("; ", errors)}");
                    }
                }
            }
        }
        return wrong;
    }

    /// <summary>How many request examples the document has.</summary>
    public int RequestExamples => _operations.Sum(operation =>
        operation.Element.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content)
            ? content.EnumerateObject().Count(media => media.Value.TryGetProperty("example", out _))
            : 0);

    /// <summary>A handler to put in front of a test client; it checks every exchange that passes it.</summary>
    public DelegatingHandler Checking() => new CheckingHandler(this);

    private async Task CheckAsync(HttpRequestMessage request, HttpResponseMessage response)
    {
        var path = request.RequestUri!.AbsolutePath;
        var described = $"{request.Method} {request.RequestUri.PathAndQuery} → {(int)response.StatusCode}";
        var operation = _operations.FirstOrDefault(o => o.Method == request.Method.Method && o.Pattern.IsMatch(path));
        if (operation is null)
        {
            // Outside the document: the Prometheus scrape and the dashboard are not the API; a route the document does
            // not describe answers 404 or 405 (problem+json, checked elsewhere).
            if ((path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/health/", StringComparison.Ordinal))
                && response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed))
            {
                _violations.Enqueue($"{described}: no operation of the document matches");
            }
            return;
        }
        _exercised.AddOrUpdate(operation.Name, 1, (_, count) => count + 1);
        var deliberate = request.Options.TryGetValue(Deliberate, out var wrong) && wrong;

        if (request.Content is not null && await request.Content.ReadAsByteArrayAsync() is { Length: > 0 } sent)
        {
            var mediaType = request.Content.Headers.ContentType?.MediaType ?? "";
            var requestBody = operation.Element.TryGetProperty("requestBody", out var body) ? body : default;
            if (requestBody.ValueKind != JsonValueKind.Object)
            {
                _violations.Enqueue($"{described}: a body was sent, but the operation declares no requestBody");
            }
            else if (requestBody.GetProperty("content").TryGetProperty(mediaType, out var media) && media.TryGetProperty("schema", out _))
            {
                var errors = Evaluate($"{operation.Pointer}/requestBody/content/{Escape(mediaType)}/schema", sent);
                if (deliberate && errors.Count == 0 && (int)response.StatusCode < 500)
                {
                    _violations.Enqueue($"{described}: the API refused this body, but the document's schema accepts it");
                }
                else if (!deliberate && errors.Count > 0)
                {
                    _violations.Enqueue($"{described}: the request does not match the document: {string.Join("; ", errors)}");
                }
            }
            else if (!deliberate)
            {
                _violations.Enqueue($"{described}: the operation declares no request body of type '{mediaType}'");
            }
        }
        if (deliberate && (int)response.StatusCode is < 400 or >= 500)
        {
            _violations.Enqueue($"{described}: a deliberately wrong request was not refused with a 4xx");
        }

        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var responses = operation.Element.GetProperty("responses");
        var key = responses.TryGetProperty(status, out _) ? status
            : responses.TryGetProperty($"{status[0]}XX", out _) ? $"{status[0]}XX"
            : responses.TryGetProperty("default", out _) ? "default" : null;
        if (key is null)
        {
            _violations.Enqueue($"{described}: the operation does not declare status {status}");
            return;
        }
        var received = await response.Content.ReadAsByteArrayAsync();
        if (received.Length == 0 || response.StatusCode == HttpStatusCode.NotModified || request.Method == HttpMethod.Head)
        {
            return;
        }
        var responseType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (!responses.GetProperty(key).TryGetProperty("content", out var content) || !content.TryGetProperty(responseType, out var declared))
        {
            _violations.Enqueue($"{described}: a '{responseType}' body came back, which the operation does not declare for {key}");
            return;
        }
        if (declared.TryGetProperty("schema", out _) && responseType.Contains("json", StringComparison.Ordinal))
        {
            var errors = Evaluate($"{operation.Pointer}/responses/{key}/content/{Escape(responseType)}/schema", received);
            if (errors.Count > 0)
            {
                _violations.Enqueue($"{described}: the response does not match the document: {string.Join("; ", errors)}");
            }
        }
    }

    private List<string> Evaluate(string pointer, byte[] json)
    {
        var schema = _schemas.GetOrAdd(pointer, p => JsonSchema.FromText($$"""{"$ref":"{{_base}}#{{p}}"}"""));
        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(json).RootElement;
        }
        catch (JsonException error)
        {
            return [$"not JSON: {error.Message}"];
        }
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return [];
        }
        return [.. (result.Details ?? [])
            .Where(detail => detail.Errors is { Count: > 0 })
            .SelectMany(detail => detail.Errors!.Select(error => $"{detail.InstanceLocation}: {error.Value}"))
            .Distinct()
            .Take(10)];
    }

    private static Regex Template(string path) =>
        new("^" + Regex.Replace(Regex.Escape(path), @"\\\{[^}]+}", "[^/]+") + "$", RegexOptions.CultureInvariant);

    private static int Literals(string path) => path.Split('/').Count(segment => segment.Length > 0 && !segment.StartsWith('{'));

    /// <summary>One reference token of a JSON Pointer, as it may stand in a URI fragment ('+' and braces percent-encoded).</summary>
    private static string Escape(string token) =>
        Uri.EscapeDataString(token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));

    private sealed record Operation(string Path, string Method, Regex Pattern, JsonElement Element)
    {
        public string Name => $"{Method} {Path}";

        public string Pointer => $"/paths/{Escape(Path)}/{Method.ToLowerInvariant()}";
    }

    private sealed class CheckingHandler(OpenApiContract contract) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
            {
                await request.Content.LoadIntoBufferAsync(cancellationToken);
            }
            var response = await base.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            await contract.CheckAsync(request, response);
            return response;
        }
    }
}
