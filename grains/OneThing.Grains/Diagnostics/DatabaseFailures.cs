using Npgsql;
using OneThing.Grains.Common;
using Orleans.Serialization;

namespace OneThing.Grains.Diagnostics;

/// <summary>
/// Turns a database failure into what may be logged and handed back: SQLSTATE, table, constraint and the exception's
/// type. PostgreSQL's message text, detail, hint, context and internal query are dropped; any of them can quote row
/// values (jsonb's 22P05 quotes the JSON around the bad character, a trigger's RAISE can print the whole row).
/// </summary>
public static class DatabaseFailures
{
    /// <summary>
    /// The redacted form of <paramref name="error"/> when it is or wraps a database failure, else null. Exceptions
    /// that carry the server's text are never kept as inner exceptions.
    /// </summary>
    public static DatabaseWriteFailedException? Redact(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Find(error) switch
        {
            DatabaseWriteFailedException redacted => redacted,
            PostgresException server => new DatabaseWriteFailedException(nameof(PostgresException), server.SqlState, server.TableName, server.ConstraintName),
            NpgsqlException client => new DatabaseWriteFailedException(ClientErrorType(client), client.SqlState, null, null),
            UnavailableExceptionFallbackException remote => new DatabaseWriteFailedException(
                remote.ExceptionType ?? nameof(NpgsqlException), Property(remote, "SqlState"), Property(remote, "TableName"), Property(remote, "ConstraintName")),
            _ => null,
        };
    }

    /// <summary>True when <paramref name="error"/> is or wraps a failure whose text may come from the database server.</summary>
    public static bool IsDatabaseFailure(Exception error) => Find(error) is not null;

    private static Exception? Find(Exception error)
    {
        var pending = new Stack<Exception>();
        pending.Push(error);
        // Bounded: a cycle of inner exceptions cannot keep this going.
        for (var visited = 0; pending.Count > 0 && visited < 64; visited++)
        {
            var current = pending.Pop();
            switch (current)
            {
                case DatabaseWriteFailedException or NpgsqlException:
                    return current;
                case UnavailableExceptionFallbackException remote when remote.ExceptionType?.StartsWith("Npgsql.", StringComparison.Ordinal) == true:
                    return current;
                case AggregateException aggregate:
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        pending.Push(inner);
                    }
                    break;
                default:
                    if (current.InnerException is { } next)
                    {
                        pending.Push(next);
                    }
                    break;
            }
        }
        return null;
    }

    /// <summary>A failure on the client's side of the connection: Npgsql's type, with the type of its cause (a socket, a time-out).</summary>
    private static string ClientErrorType(NpgsqlException error)
    {
        var innermost = error.InnerException;
        while (innermost?.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }
        return innermost is null ? error.GetType().Name : $"{error.GetType().Name}/{innermost.GetType().Name}";
    }

    private static string? Property(UnavailableExceptionFallbackException error, string name) =>
        error.Properties.TryGetValue(name, out var value) ? value as string : null;
}
