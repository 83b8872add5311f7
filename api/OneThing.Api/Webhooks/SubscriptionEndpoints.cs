using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Catalog;
using OneThing.Api.Common;
using OneThing.Api.Documentation;
using OneThing.Contracts.Webhooks;
using OneThing.Api.Events;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Events;
using OneThing.Grains.Webhooks;

namespace OneThing.Api.Webhooks;

/// <summary>
/// Subscriptions (一处变更多处联动): a department's or ops' receiver is pushed the events it wants, signed as the Standard
/// Webhooks specification says, or an SMS/app gateway is sent notices for applicants. A department key manages only its
/// own department's subscriptions, which carry only its own matters' events; ops manage all.
/// </summary>
public static class SubscriptionEndpoints
{
    public const int MaxListed = 100;

    public static RouteGroupBuilder MapSubscriptions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/subscriptions").WithTags("Subscriptions")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Department, Roles.Ops))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapPost("", CreateAsync).ReadsJsonBody<CreateSubscriptionRequest>();
        group.MapGet("", ListAsync);
        group.MapGet("/{subscriptionId}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{subscriptionId}", DeleteAsync).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{subscriptionId}/secret", RotateSecretAsync).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{subscriptionId}/deliveries", ListDeliveriesAsync).DocumentsQueryNumbers("limit").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{subscriptionId}/replay", ReplayAsync).ReadsJsonBody<ReplayRequest>().ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    /// <summary>
    /// Creates a subscription from now on (events committed from here on; replay reaches back). 201 with the secret, which
    /// is shown this once (and to a retry with the same <c>Idempotency-Key</c>).
    /// </summary>
    public static async Task<Results<Created<CreatedSubscription>, Ok<CreatedSubscription>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, LatestItems items, PrivacyKeys privacy,
        IOptions<WebhookOptions> options, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, OpenMapConverter.Requests.CreateSubscriptionRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (idempotencyKey is { Length: 0 or > 200 })
        {
            return JsonBody.Problem("Idempotency-Key", "When present, 1 to 200 characters.");
        }
        var errors = new FieldErrors();
        var kind = body!.Kind == SubscriptionKind.ApplicantNotice ? SubscriptionKinds.ApplicantNotice : SubscriptionKinds.Webhook;
        var url = body.Url;
        if (url.Length > WebhookAddressPolicy.MaxUrlLength)
        {
            errors.Add("url", $"At most {WebhookAddressPolicy.MaxUrlLength} characters.");
        }
        var events = Codes(body.Events, "events", errors, required: true);
        if (events is not null)
        {
            if (events.Contains("*") && events.Count > 1)
            {
                errors.Add("events", "Either [\"*\"] for every event, or event type names.");
            }
            var names = kind == SubscriptionKinds.ApplicantNotice ? (IEnumerable<string>)ApplicantNotices.EventTypes : CaseEventTypes.Names;
            foreach (var unknown in events.Where(e => e != "*" && !names.Contains(e)))
            {
                errors.Add("events", $"Unknown event type '{JsonBody.Shorten(unknown)}'; one of: {string.Join(", ", names)}.");
            }
        }
        var itemCodes = Codes(body.Items, "items", errors, required: false);
        foreach (var code in itemCodes ?? [])
        {
            if (await items.FindAsync(code, null) is null)
            {
                errors.Add("items", $"No item '{JsonBody.Shorten(code)}' in the catalog.");
            }
        }
        var departments = Codes(body.Departments, "departments", errors, required: false);
        var description = body.Description?.Trim();
        if (description is { Length: > FieldLimits.SubscriptionDescription })
        {
            errors.Add("description", $"At most {FieldLimits.SubscriptionDescription} characters.");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        string? owner = null;
        if (user.IsInRole(Roles.Department))
        {
            owner = user.DepartmentCode()!;
            if (kind == SubscriptionKinds.ApplicantNotice)
            {
                return OutcomeResults.Forbidden("Notices to applicants carry their phones: only ops subscribe to them.");
            }
            if (departments is not null && departments.Any(d => d != owner))
            {
                return OutcomeResults.Forbidden("A department subscribes to its own department's events only.");
            }
            departments = [owner];
        }
        else if (departments is not null)
        {
            var known = (await cluster.GetGrain<ICatalogGrain>(0).GetDepartmentsAsync()).Select(d => d.Code).ToHashSet(StringComparer.Ordinal);
            foreach (var unknown in departments.Where(d => !known.Contains(d)))
            {
                errors.Add("departments", $"No department '{JsonBody.Shorten(unknown)}' (GET /api/departments lists them).");
            }
        }
        if (await ReceiverProblemAsync(url, options.Value.AddressPolicy, cancellationToken) is { } receiverProblem)
        {
            errors.Add("url", receiverProblem);
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var subscription = new NewSubscription(kind, url, events!, itemCodes, departments, owner, description is { Length: > 0 } ? description : null, "");
        subscription = subscription with { Fingerprint = Fingerprint(subscription) };
        var id = NewId(privacy.CaseIdKey, user.Identity?.Name ?? "", idempotencyKey);
        var outcome = await cluster.GetGrain<ISubscriptionGrain>(id).CreateAsync(subscription, user.Actor());
        return outcome.Kind switch
        {
            OutcomeKind.Created => TypedResults.Created($"/api/subscriptions/{id}", CreatedOf(outcome.Value!)),
            OutcomeKind.Ok => TypedResults.Ok(CreatedOf(outcome.Value!)),
            _ => OutcomeResults.Conflict(outcome.Error),
        };
    }

    /// <summary>The caller's subscriptions (ops: all), oldest first, at most <see cref="MaxListed"/> after <c>after</c>.</summary>
    public static async Task<Results<Ok<SubscriptionList>, ValidationProblem>> ListAsync(
        ClaimsPrincipal user, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var owner = user.IsInRole(Roles.Department) ? user.DepartmentCode() : null;
        await using var command = database.CreateCommand("""
            SELECT subscription_id FROM onething_subscriptions
            WHERE deleted_at IS NULL AND ($1::text IS NULL OR owner_department = $1)
            ORDER BY created_at, subscription_id
            LIMIT 1000
            """);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)owner ?? DBNull.Value });
        var ids = new List<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }
        }
        return TypedResults.Ok(new SubscriptionList(await ViewsAsync(ids, database, cancellationToken)));
    }

    public static async Task<Results<Ok<SubscriptionItem>, ProblemHttpResult>> GetAsync(
        string subscriptionId, ClaimsPrincipal user, IClusterClient cluster)
    {
        var view = await VisibleAsync(subscriptionId, user, cluster);
        return view is null ? NotFound() : TypedResults.Ok(ItemOf(view));
    }

    /// <summary>Deletes the subscription and its queued deliveries; deleting it again answers the same.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string subscriptionId, ClaimsPrincipal user, IClusterClient cluster, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(subscriptionId, out var id) || !await OwnsAsync(id, user, database, cancellationToken))
        {
            return NotFound();
        }
        return await cluster.GetGrain<ISubscriptionGrain>(id).DeleteAsync() ? TypedResults.NoContent() : NotFound();
    }

    /// <summary>A new secret, shown once; the previous one keeps signing beside it for the overlap (24 h by default).</summary>
    public static async Task<Results<Ok<CreatedSubscription>, ProblemHttpResult>> RotateSecretAsync(
        string subscriptionId, ClaimsPrincipal user, IClusterClient cluster)
    {
        var view = await VisibleAsync(subscriptionId, user, cluster);
        if (view is null)
        {
            return NotFound();
        }
        var outcome = await cluster.GetGrain<ISubscriptionGrain>(view.SubscriptionId).RotateSecretAsync();
        return outcome.Value is { } rotated ? TypedResults.Ok(CreatedOf(rotated)) : NotFound();
    }

    /// <summary>
    /// Its deliveries in feed order after position <c>after</c>, optionally of one status: the outbox's rows, and the
    /// events its senders delivered at the first attempt, which have no row (see <see cref="WebhookOutbox.ListAsync"/>).
    /// </summary>
    public static async Task<Results<Ok<DeliveryPage>, ValidationProblem, ProblemHttpResult>> ListDeliveriesAsync(
        string subscriptionId, string? status, string? after, string? limit, ClaimsPrincipal user, IClusterClient cluster,
        NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (status is not null && !DeliveryStatuses.All.Contains(status))
        {
            errors.Add("status", $"One of: {string.Join(", ", DeliveryStatuses.All)}.");
        }
        var afterPosition = EventEndpoints.ReadPosition(after, errors);
        var count = QueryNumber.Read(limit, "limit", 1, CaseEventFeed.MaxLimit, errors) ?? MaxListed;
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var view = await VisibleAsync(subscriptionId, user, cluster);
        if (view is null)
        {
            return NotFound();
        }
        var items = (await new WebhookOutbox(database).ListAsync(view.SubscriptionId, status, afterPosition, count, cancellationToken))
            .Select(d => new DeliveryItem(
                WebhookSignature.MessageId(view.SubscriptionId, d.Position), d.Position, d.CaseId, d.Seq, d.Type, d.Status, d.Attempts,
                d.QueuedAt, d.NextAttemptAt, d.LastAttemptAt, d.LastStatus, d.LastError, d.CompletedAt))
            .ToList();
        return TypedResults.Ok(new DeliveryPage(items, items.Count > 0 ? items[^1].Position : afterPosition));
    }

    /// <summary>
    /// Sends again every matching event from feed position <c>fromPosition</c> on (0: from the first event), whether it
    /// was delivered, failed or never queued; 202, the senders work it off in order per case.
    /// </summary>
    public static async Task<Results<Accepted<ReplayStarted>, ValidationProblem, ProblemHttpResult>> ReplayAsync(
        string subscriptionId, HttpRequest request, ClaimsPrincipal user, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.ReplayRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var fromPosition = body!.FromPosition;
        if (fromPosition < 0)
        {
            return JsonBody.Problem("fromPosition", $"A whole number from 0 to {long.MaxValue}.");
        }
        var view = await VisibleAsync(subscriptionId, user, cluster);
        if (view is null)
        {
            return NotFound();
        }
        var outcome = await cluster.GetGrain<ISubscriptionGrain>(view.SubscriptionId).ReplayAsync(Math.Max(fromPosition, 1));
        return outcome.Value is { } started
            ? TypedResults.Accepted($"/api/subscriptions/{view.SubscriptionId}/deliveries?status=pending", started)
            : NotFound();
    }

    private static ProblemHttpResult NotFound() => OutcomeResults.NotFound("No such subscription.");

    private static async Task<SubscriptionView?> VisibleAsync(string subscriptionId, ClaimsPrincipal user, IClusterClient cluster)
    {
        if (!Guid.TryParse(subscriptionId, out var id))
        {
            return null;
        }
        var view = await cluster.GetGrain<ISubscriptionGrain>(id).GetAsync();
        return view is not null && (!user.IsInRole(Roles.Department) || view.OwnerDepartment == user.DepartmentCode()) ? view : null;
    }

    private static async Task<bool> OwnsAsync(Guid id, ClaimsPrincipal user, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT owner_department FROM onething_subscriptions WHERE subscription_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            && (!user.IsInRole(Roles.Department) || (!reader.IsDBNull(0) && reader.GetString(0) == user.DepartmentCode()));
    }

    private static async Task<List<SubscriptionItem>> ViewsAsync(List<Guid> ids, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT subscription_id, kind, url, event_types, item_codes, departments, owner_department, created_by, description,
                   created_at, previous_secret_until,
                   coalesce((SELECT min(c.position) FROM onething_webhook_checkpoints c WHERE c.subscription_id = s.subscription_id), fed_position)
            FROM onething_subscriptions s WHERE subscription_id = ANY($1)
            ORDER BY created_at, subscription_id
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] });
        var views = new List<SubscriptionItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            views.Add(ItemOf(new SubscriptionView(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<string[]>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<string[]>(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10), reader.GetInt64(11))));
        }
        return views;
    }

    /// <summary>
    /// Why <paramref name="url"/> cannot be a receiver, or null: its text (scheme, address literal) and what its host
    /// resolves to now. Delivery checks the addresses again on every connection.
    /// </summary>
    private static async Task<string?> ReceiverProblemAsync(string url, WebhookAddressPolicy policy, CancellationToken cancellationToken)
    {
        if (policy.CheckUrl(url, out var uri) is { } problem)
        {
            return problem;
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await policy.ResolveAsync(uri!.DnsSafeHost, timeout.Token);
            return null;
        }
        catch (WebhookAddressException refused)
        {
            return refused.Message;
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"The host {uri!.DnsSafeHost} does not resolve.";
        }
    }

    /// <summary>
    /// A list of codes (event types, items, departments): distinct non-empty strings; null when an optional list is
    /// absent, null or empty.
    /// </summary>
    private static List<string>? Codes(IReadOnlyList<string>? values, string name, FieldErrors errors, bool required)
    {
        if (values is null || (values.Count == 0 && !required))
        {
            // An empty filter filters nothing, as if it were left out.
            if (required)
            {
                errors.Add(name, "Required: a non-empty list.");
            }
            return null;
        }
        if (values.Count is 0 or > FieldLimits.SubscriptionCodes)
        {
            errors.Add(name, $"A list of 1 to {FieldLimits.SubscriptionCodes} strings.");
            return null;
        }
        var codes = new List<string>(values.Count);
        foreach (var code in values)
        {
            if (code is not { Length: > 0 and <= FieldLimits.Code })
            {
                errors.Add(name, $"Each entry a string of 1 to {FieldLimits.Code} characters.");
                return null;
            }
            if (codes.Contains(code))
            {
                errors.Add(name, $"'{JsonBody.Shorten(code)}' is listed twice.");
                return null;
            }
            codes.Add(code);
        }
        return codes;
    }

    private static string Fingerprint(NewSubscription s) => Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(s)));

    /// <summary>A new id, or with an Idempotency-Key one derived from it and the caller's key name (keyed, as case ids are).</summary>
    internal static Guid NewId(byte[] derivationKey, string caller, string? idempotencyKey) => idempotencyKey is null
        ? Guid.CreateVersion7()
        : new Guid(HMACSHA256.HashData(derivationKey, Encoding.UTF8.GetBytes($"subscription\n{caller}\n{idempotencyKey}"))[..16]);

    private static SubscriptionItem ItemOf(SubscriptionView v) => new(
        v.SubscriptionId, v.Kind, v.Url, v.Events, v.Items, v.Departments, v.OwnerDepartment, v.CreatedBy, v.Description, v.CreatedAt,
        v.PreviousSecretValidUntil, v.Position);

    private static CreatedSubscription CreatedOf(SubscriptionSecret s)
    {
        var v = s.Subscription;
        return new(v.SubscriptionId, s.Secret, v.Kind, v.Url, v.Events, v.Items, v.Departments, v.OwnerDepartment, v.CreatedBy,
            v.Description, v.CreatedAt, v.PreviousSecretValidUntil, v.Position);
    }
}
