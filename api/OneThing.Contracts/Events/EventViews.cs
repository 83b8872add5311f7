using System.Text.Json;

namespace OneThing.Contracts.Events;

/// <summary>Who caused an event: <c>system</c>, or the role, key name and department of the API caller.</summary>
public sealed record EventActorItem(string Role, string? Name, string? Department);

/// <summary>
/// One event of a case. <see cref="MatterCode"/> and <see cref="TaskId"/> are null for an event of the case as a
/// whole; <see cref="Data"/> is the event's data as stored, without its <c>application</c> member.
/// </summary>
public sealed record CaseEventItem(
    int Seq, string Type, DateTimeOffset At, EventActorItem Actor, string? MatterCode, string? TaskId, JsonElement Data);

/// <summary>One event in the global feed: a case event with its position and its case.</summary>
public record FeedEventItem(
    long Position, string CaseId, string ItemCode, string? Region, int Seq, string Type, DateTimeOffset At,
    EventActorItem Actor, string? MatterCode, string? TaskId, JsonElement Data);

/// <summary>A page of events and where to continue: the last item's <c>seq</c> or <c>position</c>, or <c>after</c> when empty.</summary>
public sealed record EventPage<T>(IReadOnlyList<T> Items, long NextAfter);
