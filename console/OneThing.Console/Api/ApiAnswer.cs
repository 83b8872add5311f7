using System.Net;
using System.Text.Json;

namespace OneThing.Console.Api;

/// <summary>
/// What the API answered: its status, its JSON body (Undefined when there was none), and for a problem+json its
/// field errors (field path → messages) and title.
/// </summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, IReadOnlyDictionary<string, string[]> Errors, string? Title)
{
    public bool Ok => (int)Status is >= 200 and < 300;

    /// <summary>The first message for <paramref name="field"/>, or null.</summary>
    public string? ErrorAt(string field) => Errors.TryGetValue(field, out var messages) && messages.Length > 0 ? messages[0] : null;
}

/// <summary>Who the console calls the API as: the key it presents (OneThing:Console:ApiKeys).</summary>
public enum ApiCaller
{
    Portal,
    Department,
    Ops,
}
