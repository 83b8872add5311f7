using System.Text.Json;
using System.Text.Json.Serialization;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Contracts.FallbackDesk;
using OneThing.Contracts.Webhooks;

namespace OneThing.Contracts;

/// <summary>
/// The request bodies' JSON as the API reads them, source-generated (no reflection, nothing built per request):
/// camelCase, numbers only as JSON numbers, a property the type does not have or a property given twice refused, a
/// null where the type says non-null refused. A client may write its bodies with it too.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 64)]
[JsonSerializable(typeof(SubmitCaseRequest))]
[JsonSerializable(typeof(WithdrawRequest))]
[JsonSerializable(typeof(EvaluationRequest))]
[JsonSerializable(typeof(ProgressRequest))]
[JsonSerializable(typeof(SupplyRequest))]
[JsonSerializable(typeof(CompleteTaskRequest))]
[JsonSerializable(typeof(RejectTaskRequest))]
[JsonSerializable(typeof(SupplementRequestRequest))]
[JsonSerializable(typeof(ResolveDeskEntryRequest))]
[JsonSerializable(typeof(ReplayRequest))]
[JsonSerializable(typeof(CreateSubscriptionRequest))]
[JsonSerializable(typeof(FileDeskRequest))]
[JsonSerializable(typeof(CalendarYearRequest))]
public sealed partial class RequestJson : JsonSerializerContext;
