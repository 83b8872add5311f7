using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OneThing.Grains.Common;

namespace OneThing.Grains.Events;

/// <summary>
/// The names, versions and JSON of the event types: the one place that maps a stored <c>type</c> and <c>version</c> to
/// a record and back.
/// </summary>
/// <remarks>
/// Stored events are never rewritten, so their JSON must stay readable for as long as they are kept. The rule:
/// <list type="bullet">
/// <item>Adding a member with a default (nullable, or a default value) keeps the version: old JSON lacks it and reads as
/// the default; unknown members are ignored, so an older silo reads a newer event too.</item>
/// <item>Any other change (a rename, a new meaning, a removed member) raises the type's version and adds an upcaster here
/// that turns the previous version's JSON into the new one. Readers upcast before they deserialize, so the model only
/// ever sees the current shape.</item>
/// </list>
/// </remarks>
public static class CaseEventTypes
{
    /// <summary>The data member that holds what the applicant submitted; never served outside the silo.</summary>
    public const string PrivateMember = "application";

    public static JsonSerializerOptions Json { get; } = CreateOptions();

    private static readonly (Type Type, short Version)[] Known =
    [
        (typeof(CaseSubmitted), 1),
        (typeof(CaseCompleted), 1),
        (typeof(CaseRejected), 1),
        (typeof(CaseWithdrawn), 1),
        (typeof(CaseEvaluated), 1),
        (typeof(TaskReady), 1),
        (typeof(TaskAccepted), 1),
        (typeof(TaskCompleted), 1),
        (typeof(TaskRejected), 1),
        (typeof(TaskCancelled), 1),
        (typeof(SupplementRequested), 1),
        (typeof(SupplementProvided), 1),
        (typeof(DeadlineWarning), 1),
        (typeof(Overdue), 1),
        (typeof(Escalated), 1),
        (typeof(EscalationResolved), 1),
        (typeof(DeadlineMoved), 1),
        (typeof(DeferredMaterialPromised), 1),
        (typeof(DeferredMaterialDelivered), 1),
        (typeof(DeferredMaterialLapsed), 1),
        (typeof(CaseImported), 1),
        (typeof(LowRatingFollowUpOpened), 1),
        (typeof(LowRatingResolved), 1),
    ];

    private static readonly Dictionary<string, (Type Type, short Version)> ByName =
        Known.ToDictionary(known => known.Type.Name, StringComparer.Ordinal);

    private static readonly Dictionary<Type, short> VersionOf = Known.ToDictionary(known => known.Type, known => known.Version);

    /// <summary>
    /// Upcasters by (type, version they read): each turns that version's JSON into the next version's. None yet: every
    /// type is at version 1.
    /// </summary>
    private static readonly Dictionary<(string Type, short Version), Func<JsonObject, JsonObject>> Upcasters = [];

    public static IEnumerable<string> Names => ByName.Keys;

    /// <summary>
    /// The JSON names of the data members that hold an instant, across every type: what a reader rewrites into the
    /// outside instant format (<see cref="Instants"/>) when it serves stored data as it is.
    /// </summary>
    public static IReadOnlySet<string> InstantMembers { get; } = Known
        .SelectMany(known => known.Type.GetProperties())
        .Where(property => property.PropertyType == typeof(DateTimeOffset) || property.PropertyType == typeof(DateTimeOffset?))
        .Select(property => Json.PropertyNamingPolicy!.ConvertName(property.Name))
        .ToHashSet(StringComparer.Ordinal);

    public static string NameOf(CaseEventData data) => data.GetType().Name;

    public static short CurrentVersion(CaseEventData data) => VersionOf[data.GetType()];

    public static string Serialize(CaseEventData data) => JsonSerializer.Serialize(data, data.GetType(), Json);

    /// <summary>The data of a stored event, upcast from <paramref name="version"/> to the type's current version.</summary>
    public static CaseEventData Deserialize(string type, short version, string json)
    {
        if (!ByName.TryGetValue(type, out var known))
        {
            throw new InvalidOperationException($"Unknown event type '{type}'.");
        }
        if (version > known.Version)
        {
            throw new InvalidOperationException($"Event type {type} version {version} is newer than this silo knows ({known.Version}).");
        }
        if (version == known.Version)
        {
            return (CaseEventData)JsonSerializer.Deserialize(json, known.Type, Json)!;
        }
        var node = JsonNode.Parse(json)!.AsObject();
        for (var v = version; v < known.Version; v++)
        {
            node = Upcasters.TryGetValue((type, v), out var upcast)
                ? upcast(node)
                : throw new InvalidOperationException($"No upcaster for event type {type} version {v}.");
        }
        return (CaseEventData)node.Deserialize(known.Type, Json)!;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            // As the views: Chinese text as it is, so ops read events in PostgreSQL.
            Encoder = ViewJson.Encoder,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
