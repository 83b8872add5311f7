using System.Text.Json;
using System.Text.Json.Serialization;
using OneThing.Contracts;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Contracts.Events;
using OneThing.Contracts.FallbackDesk;
using OneThing.Contracts.Ops;
using OneThing.Contracts.Webhooks;

namespace OneThing.Client;

/// <summary>
/// The client's JSON, source-generated (no reflection, nothing built per call): camelCase and enums by name, as the
/// API writes them. Instants come as RFC 3339 with +08:00 and are read as <see cref="DateTimeOffset"/> with that
/// offset; a property this version does not know is skipped, so a newer server does not break an older client.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubmitCaseRequest))]
[JsonSerializable(typeof(SupplyRequest))]
[JsonSerializable(typeof(WithdrawRequest))]
[JsonSerializable(typeof(EvaluationRequest))]
[JsonSerializable(typeof(ProgressRequest))]
[JsonSerializable(typeof(CaseProgress))]
[JsonSerializable(typeof(CompleteTaskRequest))]
[JsonSerializable(typeof(RejectTaskRequest))]
[JsonSerializable(typeof(SupplementRequestRequest))]
[JsonSerializable(typeof(CreateSubscriptionRequest))]
[JsonSerializable(typeof(ReplayRequest))]
[JsonSerializable(typeof(FileDeskRequest))]
[JsonSerializable(typeof(ResolveDeskEntryRequest))]
[JsonSerializable(typeof(CalendarYearRequest))]
[JsonSerializable(typeof(ItemDefinition))]
[JsonSerializable(typeof(CaseView))]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(InboxPage))]
[JsonSerializable(typeof(PageOf<CaseSummary>))]
[JsonSerializable(typeof(PageOf<CaseAccessEntry>))]
[JsonSerializable(typeof(PageOf<DeskEntry>))]
[JsonSerializable(typeof(DeskEntry))]
[JsonSerializable(typeof(EventPage<CaseEventItem>))]
[JsonSerializable(typeof(EventPage<FeedEventItem>))]
[JsonSerializable(typeof(CatalogItem))]
[JsonSerializable(typeof(IReadOnlyList<CatalogItem>))]
[JsonSerializable(typeof(IReadOnlyList<DepartmentDefinition>))]
[JsonSerializable(typeof(CalendarYear))]
[JsonSerializable(typeof(SubscriptionList))]
[JsonSerializable(typeof(SubscriptionItem))]
[JsonSerializable(typeof(CreatedSubscription))]
[JsonSerializable(typeof(DeliveryPage))]
[JsonSerializable(typeof(ReplayStarted))]
[JsonSerializable(typeof(ClusterView))]
[JsonSerializable(typeof(StatisticsReport))]
[JsonSerializable(typeof(IReadOnlyList<DepartmentStatistics>))]
[JsonSerializable(typeof(CaseSearchPage))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ClientJson : JsonSerializerContext;
