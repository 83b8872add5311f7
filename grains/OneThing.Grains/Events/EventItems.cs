using System.Text.Json;
using System.Text.Json.Serialization;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Events;

// The events as they leave the cluster, by HTTP (GET /api/cases/{id}/events, GET /api/events) or by webhook: one
// definition, so a pushed event is the item a client polling the feed would read.

/// <summary>Who caused an event: <c>system</c>, or the role, key name and department of the API caller.</summary>
public sealed record EventActorItem(string Role, string? Name, string? Department);

/// <summary>
/// One event of a case. <see cref="MatterCode"/> and <see cref="TaskId"/> are null for an event of the case as a
/// whole; <see cref="Data"/> is the event's data as stored, without its <c>application</c> member.
/// </summary>
public sealed record CaseEventItem(
    int Seq, string Type, DateTimeOffset At, EventActorItem Actor, string? MatterCode, string? TaskId, JsonElement Data)
{
    public static CaseEventItem From(CaseEventRow row) =>
        new(row.Seq, row.Type, row.At, EventItemParts.ActorOf(row), row.MatterCode, row.TaskId, EventItemParts.DataOf(row));
}

/// <summary>One event in the global feed: a case event with its position and its case.</summary>
public record FeedEventItem(
    long Position, string CaseId, string ItemCode, string? Region, int Seq, string Type, DateTimeOffset At,
    EventActorItem Actor, string? MatterCode, string? TaskId, JsonElement Data)
{
    public static FeedEventItem From(CaseEventRow row) =>
        new(row.Position, row.CaseId, row.ItemCode, row.Region, row.Seq, row.Type, row.At, EventItemParts.ActorOf(row), row.MatterCode,
            row.TaskId, EventItemParts.DataOf(row));
}

/// <summary>
/// A feed event as a webhook posts it. A TaskReady also carries the task as its department reads it (<c>GET
/// /api/tasks/{id}</c>), with the inputs handed over, so the receiving system need not call back for them.
/// </summary>
public sealed record WebhookEventItem(
    long Position, string CaseId, string ItemCode, string? Region, int Seq, string Type, DateTimeOffset At,
    EventActorItem Actor, string? MatterCode, string? TaskId, JsonElement Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TaskView? Task)
    : FeedEventItem(Position, CaseId, ItemCode, Region, Seq, Type, At, Actor, MatterCode, TaskId, Data);

internal static class EventItemParts
{
    public static EventActorItem ActorOf(CaseEventRow row) => new(row.ActorRole, row.ActorName, row.ActorDepartment);

    // Deserializing to JsonElement clones it, so the element outlives the parse; the JSON is written back as it is.
    public static JsonElement DataOf(CaseEventRow row) => JsonSerializer.Deserialize<JsonElement>(row.Data);
}
