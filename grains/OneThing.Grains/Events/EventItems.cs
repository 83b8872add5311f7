using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OneThing.Contracts.Departments;
using OneThing.Contracts.Events;
using OneThing.Grains.Common;
using OneThing.Grains.Tasks;

namespace OneThing.Grains.Events;

// The events as they leave the cluster, by HTTP (GET /api/cases/{id}/events, GET /api/events) or by webhook: one
// definition, so a pushed event is the item a client polling the feed would read.

/// <summary>
/// A feed event as a webhook posts it. A TaskReady also carries the task as its department reads it (<c>GET
/// /api/tasks/{id}</c>), with the inputs handed over, so the receiving system need not call back for them.
/// </summary>
public sealed record WebhookEventItem(
    long Position, string CaseId, string ItemCode, string? Region, int Seq, string Type, DateTimeOffset At,
    EventActorItem Actor, string? MatterCode, string? TaskId, JsonElement Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TaskView? Task)
    : FeedEventItem(Position, CaseId, ItemCode, Region, Seq, Type, At, Actor, MatterCode, TaskId, Data);

/// <summary>The items of <see cref="CaseEventRow"/>s as they leave the cluster.</summary>
public static class EventItems
{
    public static CaseEventItem CaseItemOf(CaseEventRow row) =>
        new(row.Seq, row.Type, row.At, ActorOf(row), row.MatterCode, row.TaskId, DataOf(row));

    public static FeedEventItem FeedItemOf(CaseEventRow row) =>
        new(row.Position, row.CaseId, row.ItemCode, row.Region, row.Seq, row.Type, row.At, ActorOf(row), row.MatterCode,
            row.TaskId, DataOf(row));

    public static EventActorItem ActorOf(CaseEventRow row) => new(row.ActorRole, row.ActorName, row.ActorDepartment);

    public static JsonElement DataOf(CaseEventRow row) => EventData.DataOf(row.Data);
}

/// <summary>An event's stored data as it leaves the cluster: as stored, with its instants in the outside format.</summary>
public static class EventData
{
    /// <summary>
    /// The data of <paramref name="json"/> with each instant member (<see cref="CaseEventTypes.InstantMembers"/>)
    /// written as <see cref="Instants.Format"/> writes it; every other member, and the order, as stored.
    /// </summary>
    public static JsonElement DataOf(string json)
    {
        // Deserializing to JsonElement clones it, so the element outlives the parse.
        var data = JsonSerializer.Deserialize<JsonElement>(json);
        if (data.ValueKind != JsonValueKind.Object || !data.EnumerateObject().Any(NeedsRewrite))
        {
            return data;
        }
        var node = JsonNode.Parse(json)!.AsObject();
        foreach (var member in data.EnumerateObject().Where(NeedsRewrite))
        {
            Instants.TryParse(member.Value.GetString(), out var instant);
            node[member.Name] = Instants.Format(instant);
        }
        return JsonSerializer.SerializeToElement(node, ViewJson.Options);
    }

    private static bool NeedsRewrite(JsonProperty member) =>
        CaseEventTypes.InstantMembers.Contains(member.Name) && member.Value.ValueKind == JsonValueKind.String
        && Instants.TryParse(member.Value.GetString(), out var instant) && member.Value.GetString() != Instants.Format(instant);
}
