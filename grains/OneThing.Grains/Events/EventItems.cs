using System.Buffers;
using System.Text;
using System.Text.Json;
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

    public static WebhookEventItem WebhookItemOf(CaseEventRow row, TaskView? task) =>
        new(row.Position, row.CaseId, row.ItemCode, row.Region, row.Seq, row.Type, row.At, ActorOf(row), row.MatterCode,
            row.TaskId, DataOf(row), task);

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
        // Every pushed and listed event comes through here: data without an instant is parsed once, data with one is
        // copied in one pass that rewrites only the instants.
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var stored = utf8.AsSpan(0, Encoding.UTF8.GetBytes(json, utf8));
            return HasInstant(stored) ? Rewritten(stored) : JsonSerializer.Deserialize<JsonElement>(stored);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    private const int LongestName = 64;

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> InstantNames =
        new HashSet<string>(CaseEventTypes.InstantMembers, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private static bool HasInstant(ReadOnlySpan<byte> stored)
    {
        var reader = new Utf8JsonReader(stored);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        Span<char> name = stackalloc char[LongestName];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var instant = reader.ValueSpan.Length <= LongestName && InstantNames.Contains(name[..reader.CopyString(name)]);
            reader.Read();
            if (instant && reader.TokenType == JsonTokenType.String)
            {
                return true;
            }
            reader.Skip();
        }
        return false;
    }

    private static JsonElement Rewritten(ReadOnlySpan<byte> stored)
    {
        var reader = new Utf8JsonReader(stored);
        reader.Read();
        var output = new ArrayBufferWriter<byte>(stored.Length + 64);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = ViewJson.Options.Encoder, SkipValidation = true }))
        {
            writer.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                writer.WritePropertyName(name);
                if (reader.TokenType == JsonTokenType.String && InstantNames.Contains(name) && Instants.TryParse(reader.GetString(), out var instant))
                {
                    writer.WriteStringValue(Instants.Format(instant));
                }
                else
                {
                    writer.WriteRawValue(stored[start..(int)reader.BytesConsumed], skipInputValidation: true);
                }
            }
            writer.WriteEndObject();
        }
        return JsonSerializer.Deserialize<JsonElement>(output.WrittenSpan);
    }
}
