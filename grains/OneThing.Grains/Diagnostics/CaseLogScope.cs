using System.Collections;
using Microsoft.Extensions.Logging;

namespace OneThing.Grains.Diagnostics;

/// <summary>
/// The log scope of everything done for one case: the JSON console format writes it as <c>"CaseId": "…"</c> in the
/// entry's scopes, the simple format as <c>CaseId:…</c>. The API opens it on case and task routes, the silo around
/// every call to a case grain.
/// </summary>
public sealed class CaseLogScope(string caseId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string Key = "CaseId";

    /// <summary>The span attribute naming the case a request or grain call is about.</summary>
    public const string SpanAttribute = "onething.case_id";

    public string CaseId { get; } = caseId;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new(Key, CaseId) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Null when the logger writes no scopes: then the call costs nothing.</summary>
    public static IDisposable? Begin(ILogger logger, string caseId) => logger.BeginScope(new CaseLogScope(caseId));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{Key}:{CaseId}";
}
