namespace OneThing.Api.Documentation;

/// <summary>
/// Marks a route that reads a JSON body of <see cref="Type"/>, for the OpenAPI document's <c>requestBody</c>.
/// </summary>
/// <remarks>
/// Not <c>Accepts&lt;T&gt;</c>: its <c>IAcceptsMetadata</c> also makes routing answer a bare 415 before the handler
/// runs, and the handler's own (<see cref="Common.JsonBody"/>) must answer instead, with its field error and its
/// acceptance of <c>+json</c> types. This metadata only describes.
/// </remarks>
public sealed record JsonBodyMetadata(Type Type, bool Optional);
