using OneThing.Contracts.Cases;
using OneThing.Contracts.FallbackDesk;

namespace OneThing.Client;

/// <summary>
/// What a creating write answered: the thing, and whether this request created it (201, with
/// <see cref="Location"/>) or found it already there (200: an Idempotency-Key retry, the same item or year again).
/// </summary>
public sealed record Written<T>(T Value, bool Created, Uri? Location);

/// <summary>
/// A conditional read: <see cref="NotModified"/> (304, no <see cref="Value"/>) while the thing still has the
/// <see cref="ETag"/> the caller sent, else the new value and its tag.
/// </summary>
public readonly record struct Conditional<T>(T? Value, string? ETag, bool NotModified);

/// <summary>
/// A resolved fallback-desk entry: a deadline escalation or a low rating resolves on its case (<see cref="Case"/>),
/// an applicant's request is an entry of its own (<see cref="Entry"/>).
/// </summary>
public sealed record DeskResolution(CaseView? Case, DeskEntry? Entry);
