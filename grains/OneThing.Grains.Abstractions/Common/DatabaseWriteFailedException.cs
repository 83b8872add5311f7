namespace OneThing.Grains.Common;

/// <summary>
/// A database statement failed. Carries what identifies the failure (SQLSTATE, table, constraint) and nothing of the
/// server's text: PostgreSQL's message, detail and context can quote row values, such as an applicant's identity
/// number, and this exception is logged and travels back to callers.
/// </summary>
[GenerateSerializer, Alias("onething.DatabaseWriteFailedException")]
public sealed class DatabaseWriteFailedException : Exception
{
    public DatabaseWriteFailedException()
    {
    }

    public DatabaseWriteFailedException(string message)
        : base(message)
    {
    }

    public DatabaseWriteFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <param name="errorType">The failed exception's type, with the type of what caused it when that is not the server (e.g. <c>NpgsqlException/SocketException</c>).</param>
    public DatabaseWriteFailedException(string errorType, string? sqlState, string? table, string? constraint)
        : base(Describe(errorType, sqlState, table, constraint))
    {
        ErrorType = errorType;
        SqlState = sqlState;
        Table = table;
        Constraint = constraint;
    }

    [Id(0)]
    public string ErrorType { get; private set; } = "";

    /// <summary>The SQLSTATE PostgreSQL answered, or null when the server was not reached.</summary>
    [Id(1)]
    public string? SqlState { get; private set; }

    [Id(2)]
    public string? Table { get; private set; }

    [Id(3)]
    public string? Constraint { get; private set; }

    /// <summary>What tells one kind of failure from another: equal for repeats of the same failure.</summary>
    public string Kind => $"{ErrorType} {SqlState} {Table} {Constraint}";

    private static string Describe(string errorType, string? sqlState, string? table, string? constraint) =>
        $"Database write failed: {errorType}, SQLSTATE {sqlState ?? "none"}, table {table ?? "none"}, constraint {constraint ?? "none"}";
}
