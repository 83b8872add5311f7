using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Grains.Common;

namespace OneThing.Api.Common;

/// <summary>One mapping from grain outcomes to HTTP, so every route answers the same way.</summary>
public static class OutcomeResults
{
    public static Results<Ok<T>, Created<T>, ValidationProblem, ProblemHttpResult> ToHttp<T>(
        Outcome<T> outcome, Func<T, string>? location = null) => outcome.Kind switch
    {
        OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
        OutcomeKind.Created when location is not null => TypedResults.Created(location(outcome.Value!), outcome.Value!),
        OutcomeKind.Created => TypedResults.Ok(outcome.Value!),
        OutcomeKind.Invalid => JsonBody.Problem(outcome.FieldErrors!.ToDictionary(e => e.Key, e => e.Value)),
        OutcomeKind.NotFound => NotFound(outcome.Error),
        OutcomeKind.Forbidden => Forbidden(outcome.Error ?? "Forbidden."),
        _ => Conflict(outcome.Error),
    };

    /// <summary>For actions on something that exists already: they answer 200 whether or not they changed it, never 201.</summary>
    public static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToHttpOk<T>(Outcome<T> outcome) => outcome.Kind switch
    {
        OutcomeKind.Ok or OutcomeKind.Created => TypedResults.Ok(outcome.Value!),
        OutcomeKind.Invalid => JsonBody.Problem(outcome.FieldErrors!.ToDictionary(e => e.Key, e => e.Value)),
        OutcomeKind.NotFound => NotFound(outcome.Error),
        OutcomeKind.Forbidden => Forbidden(outcome.Error ?? "Forbidden."),
        _ => Conflict(outcome.Error),
    };

    public static ProblemHttpResult NotFound(string? detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    public static ProblemHttpResult Conflict(string? detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);
}
