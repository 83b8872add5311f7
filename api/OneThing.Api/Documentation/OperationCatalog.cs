namespace OneThing.Api.Documentation;

/// <summary>
/// What the OpenAPI document says of each operation beyond what its handler's types say: a stable operationId, a
/// summary, and the error statuses it can really answer besides the ones every protected or body-reading route gives
/// (400, 401, 403, 415, 429, 503, added by <see cref="ContractOperationTransformer"/>). One table, so the words of
/// the contract sit together and a route missing here is caught by a test.
/// </summary>
public static class OperationCatalog
{
    public sealed record Entry(string OperationId, string Summary, params int[] Errors);

    private const int NotFound = StatusCodes.Status404NotFound;
    private const int Conflict = StatusCodes.Status409Conflict;

    public static readonly IReadOnlyDictionary<string, Entry> Operations = new Dictionary<string, Entry>(StringComparer.Ordinal)
    {
        ["GET /health/live"] = new("getLiveness", "Whether the process is up"),
        ["GET /health/ready"] = new("getReadiness", "Whether PostgreSQL and the cluster answer"),

        ["GET /api/items"] = new("listItems", "List the catalog's items (newest version of each)"),
        ["GET /api/items/{code}"] = new("getItem", "Get one item, a version of it or a region's variant", NotFound),
        ["GET /api/items/{code}/form-schema"] = new("getItemFormSchema", "Get the JSON Schema an application for the item must match", NotFound),
        ["PUT /api/items/{code}"] = new("publishItem", "Publish the next version of an item", Conflict),
        ["GET /api/departments"] = new("listDepartments", "List the departments that own matters"),
        ["GET /api/calendar/{year}"] = new("getCalendarYear", "Get a year of the working-day calendar", NotFound),
        ["PUT /api/calendar/{year}"] = new("putCalendarYear", "Publish or replace a year of the working-day calendar", Conflict),

        ["POST /api/cases"] = new("submitCase", "Submit an application", Conflict),
        ["GET /api/cases"] = new("listApplicantCases", "List one applicant's cases, newest first"),
        ["GET /api/cases/{caseId}"] = new("getCase", "Get a case (conditional with If-None-Match)", NotFound),
        ["POST /api/cases/{caseId}/supplements"] = new("supplyMaterials", "Supply the materials a department asked for", NotFound, Conflict),
        ["POST /api/cases/{caseId}/withdraw"] = new("withdrawCase", "Withdraw a case", NotFound, Conflict),
        ["POST /api/cases/{caseId}/evaluation"] = new("evaluateCase", "Rate a case that has ended (好差评)", NotFound, Conflict),
        ["POST /api/cases/{caseId}/progress"] = new("getCaseProgress", "Get a case's public progress, proven by the applicant's last 6 characters", NotFound),
        ["GET /api/cases/{caseId}/access-log"] = new("listCaseAccessLog", "List who read a case's data", NotFound),
        ["GET /api/cases/{caseId}/events"] = new("listCaseEvents", "List a case's events", NotFound),
        ["GET /api/events"] = new("listEventFeed", "Follow the feed of every case's events"),

        ["GET /api/departments/{department}/tasks"] = new("listInbox", "List a department's tasks (its inbox)"),
        ["GET /api/tasks/{taskId}"] = new("getTask", "Get a task of your department", NotFound),
        ["POST /api/tasks/{taskId}/accept"] = new("acceptTask", "Accept a task", NotFound, Conflict),
        ["POST /api/tasks/{taskId}/complete"] = new("completeTask", "Complete a task with its outputs", NotFound, Conflict),
        ["POST /api/tasks/{taskId}/reject"] = new("rejectTask", "Reject a task, ending the case", NotFound, Conflict),
        ["POST /api/tasks/{taskId}/supplement-requests"] = new("requestSupplement", "Ask the applicant for missing materials", NotFound, Conflict),

        ["POST /api/subscriptions"] = new("createSubscription", "Subscribe a receiver to events", Conflict),
        ["GET /api/subscriptions"] = new("listSubscriptions", "List subscriptions"),
        ["GET /api/subscriptions/{subscriptionId}"] = new("getSubscription", "Get a subscription", NotFound),
        ["DELETE /api/subscriptions/{subscriptionId}"] = new("deleteSubscription", "Delete a subscription", NotFound),
        ["POST /api/subscriptions/{subscriptionId}/secret"] = new("rotateSubscriptionSecret", "Rotate a subscription's signing secret", NotFound),
        ["GET /api/subscriptions/{subscriptionId}/deliveries"] = new("listDeliveries", "List a subscription's deliveries", NotFound),
        ["POST /api/subscriptions/{subscriptionId}/replay"] = new("replayDeliveries", "Send a subscription's events again from a feed position", NotFound),

        ["GET /api/fallback-desk/cases"] = new("listDeskEntries", "List the fallback desk's entries"),
        ["POST /api/fallback-desk/cases"] = new("fileDeskRequest", "File an applicant's request at the fallback desk", NotFound, Conflict),
        ["POST /api/fallback-desk/cases/{entryId}/resolve"] = new("resolveDeskEntry", "Resolve a fallback desk entry", NotFound, Conflict),

        ["GET /api/ops/cluster"] = new("getCluster", "Get the cluster's silos"),
        ["GET /api/ops/statistics"] = new("getStatistics", "Get statistics for a period"),
        ["GET /api/ops/statistics/departments"] = new("getDepartmentStatistics", "Get each department's statistics for a period"),
        ["GET /api/ops/cases"] = new("searchCases", "Search cases"),
    };

    /// <summary>The tags, each with what it groups.</summary>
    public static readonly IReadOnlyDictionary<string, string> Tags = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Health"] = "Liveness and readiness probes; anonymous.",
        ["Catalog"] = "The items (一件事), their departments, and who owns which matter.",
        ["Calendar"] = "The working-day calendar deadlines are counted with.",
        ["Cases"] = "Applications and their cases, for the applicant's channels (role portal), and case reads for departments and ops.",
        ["Events"] = "The stored events of cases: one case's history and the feed of every case.",
        ["Department work"] = "A department's inbox and its actions on its tasks (role department).",
        ["Subscriptions"] = "Webhooks and applicant notices pushed on events (roles department and ops).",
        ["Fallback desk"] = "办不成事反映窗口: entries ops answer, and applicants' own requests.",
        ["Ops"] = "Cluster, statistics and case search (role ops).",
    };
}
