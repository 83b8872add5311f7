using Microsoft.Extensions.Logging;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;

namespace OneThing.Grains.Cases;

/// <summary>
/// The line a case writes when a change could not be stored. During a database outage every case fails the same way:
/// one line per kind of failure per interval, with how many more there were; a database failure is written as its
/// SQLSTATE, table and constraint, without a stack trace.
/// </summary>
internal static partial class CommitFailureLog
{
    public static void Write(ILogger logger, string caseId, Exception error)
    {
        var kind = error is DatabaseWriteFailedException database ? database.Kind : error.GetType().FullName ?? error.GetType().Name;
        if (!LogThrottle.Default.ShouldLog(kind, out var suppressed))
        {
            return;
        }
        if (error is DatabaseWriteFailedException)
        {
            LogDatabaseFailure(logger, caseId, error.Message, suppressed.Note);
        }
        else
        {
            LogFailure(logger, error, caseId, suppressed.Note);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Case {CaseId}: a change could not be stored; the activation is dropped and the caller may retry. {Failure}{Repeats}")]
    private static partial void LogDatabaseFailure(ILogger logger, string caseId, string failure, string repeats);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Case {CaseId}: a change could not be stored; the activation is dropped and the caller may retry{Repeats}")]
    private static partial void LogFailure(ILogger logger, Exception error, string caseId, string repeats);
}
