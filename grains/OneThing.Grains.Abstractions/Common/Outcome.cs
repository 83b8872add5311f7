namespace OneThing.Grains.Common;

/// <summary>How an externally triggered operation ended; the API maps each kind to one HTTP status.</summary>
public enum OutcomeKind
{
    /// <summary>Done now (or had been done before with the same request: operations are idempotent).</summary>
    Ok = 0,

    /// <summary>Newly created.</summary>
    Created = 1,

    NotFound = 2,

    /// <summary>The caller may not touch this resource (another department's task, for instance).</summary>
    Forbidden = 3,

    /// <summary>The resource is in a state that does not allow the operation, or the request contradicts an earlier one.</summary>
    Conflict = 4,

    /// <summary>The request breaks a rule of the item it targets; <see cref="Outcome{T}.FieldErrors"/> names the fields.</summary>
    Invalid = 5,
}

[GenerateSerializer, Immutable, Alias("onething.Outcome`1")]
public sealed record Outcome<T>(
    [property: Id(0)] OutcomeKind Kind,
    [property: Id(1)] T? Value,
    [property: Id(2)] string? Error = null,
    [property: Id(3)] IReadOnlyDictionary<string, string[]>? FieldErrors = null)
{
    public static Outcome<T> Ok(T value) => new(OutcomeKind.Ok, value);

    public static Outcome<T> Created(T value) => new(OutcomeKind.Created, value);

    public static Outcome<T> NotFound(string error) => new(OutcomeKind.NotFound, default, error);

    public static Outcome<T> Forbidden(string error) => new(OutcomeKind.Forbidden, default, error);

    public static Outcome<T> Conflict(string error) => new(OutcomeKind.Conflict, default, error);

    public static Outcome<T> Invalid(IReadOnlyDictionary<string, string[]> fieldErrors) =>
        new(OutcomeKind.Invalid, default, "The request breaks the item's rules.", fieldErrors);

    public static Outcome<T> Invalid(string field, string error) =>
        Invalid(new Dictionary<string, string[]> { [field] = [error] });
}
