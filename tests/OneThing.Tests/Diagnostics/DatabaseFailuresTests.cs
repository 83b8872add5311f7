using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using Orleans.Runtime;

namespace OneThing.Tests.Diagnostics;

/// <summary>A database failure keeps SQLSTATE, table and constraint; the server's text, which quotes rows, is gone.</summary>
public sealed class DatabaseFailuresTests
{
    private const string IdNumber = "11010519491231002X";

    [Fact]
    public void ARedactedFailureKeepsSqlStateTableAndConstraintAndNothingOfTheServersText()
    {
        var redacted = DatabaseFailures.Redact(new OrleansException("storage failed", ServerError()));

        Assert.NotNull(redacted);
        Assert.Equal(("PostgresException", "22P05", "onething_department_tasks", "onething_department_tasks_pkey"),
            (redacted.ErrorType, redacted.SqlState, redacted.Table, redacted.Constraint));
        Assert.Null(redacted.InnerException);
        Assert.DoesNotContain(IdNumber, redacted.ToString(), StringComparison.Ordinal);
        Assert.Contains("SQLSTATE 22P05", redacted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AConnectionFailureNamesItsCause()
    {
        var redacted = DatabaseFailures.Redact(new NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111)));

        Assert.Equal("NpgsqlException/SocketException", redacted?.ErrorType);
    }

    [Fact]
    public void OtherFailuresAreNotDatabaseFailures()
    {
        Assert.Null(DatabaseFailures.Redact(new InvalidOperationException("journal gap")));
        Assert.False(DatabaseFailures.IsDatabaseFailure(new TimeoutException()));
    }

    [Fact]
    public void EveryLoggerOfTheHostWritesADatabaseExceptionRedactedWithoutStackTraceAndNotAgainWithinTheInterval()
    {
        var lines = new List<string>();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new ListProvider(lines)));
        services.AddDatabaseErrorRedaction();
        using var provider = services.BuildServiceProvider();
        var logger = provider.GetRequiredService<ILogger<DatabaseFailuresTests>>();

        var error = new OrleansException("Error from storage provider", ServerError());
        logger.LogError(new EventId(1), error, "Write failed: {Error}", error.InnerException!.Message);
        logger.LogWarning(new EventId(2), error, "Grain state for case {CaseId} was not written", "c-1");
        logger.LogWarning(new EventId(2), error, "Grain state for case {CaseId} was not written", "c-2");

        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.DoesNotContain(" at ", line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.DoesNotContain(IdNumber, line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Contains("SQLSTATE 22P05", line, StringComparison.Ordinal));
        Assert.Contains("Grain state for case c-1 was not written", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void OrleansLinesThatCarryADatabaseExceptionAsTextKeepItsSqlStateOnly()
    {
        var lines = new List<string>();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new ListProvider(lines)));
        services.AddDatabaseErrorRedaction();
        using var provider = services.BuildServiceProvider();
        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Runtime.Messaging.Gateway");

        logger.LogTrace("Queued message Response [case/c-1] {Exception} #42", new OrleansException("Error from storage provider", ServerError()).ToString());

        var line = Assert.Single(lines);
        Assert.False(line.Contains(IdNumber, StringComparison.Ordinal), line);
        Assert.Contains("Npgsql.PostgresException: SQLSTATE 22P05 (server text redacted)", line, StringComparison.Ordinal);
        Assert.StartsWith("Queued message Response [case/c-1]", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOrleansWarningRepeatedDuringAnOutageIsOneLinePerIntervalWithACount()
    {
        var lines = new List<string>();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new ListProvider(lines)));
        services.AddDatabaseErrorRedaction();
        using var provider = services.BuildServiceProvider();
        // A category of its own: the throttle is process-wide.
        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger($"Orleans.Runtime.MembershipService.Outage{Guid.NewGuid():N}");
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111)).ToString();

        for (var attempt = 0; attempt < 5; attempt++)
        {
            logger.LogWarning(new EventId(100), "Failed to read the membership table: {Exception}", refused);
        }

        var line = Assert.Single(lines);
        Assert.StartsWith("Failed to read the membership table: Npgsql.NpgsqlException", line, StringComparison.Ordinal);
    }

    private static PostgresException ServerError() => new(
        messageText: $"invalid input for applicant {IdNumber}", severity: "ERROR", invariantSeverity: "ERROR", sqlState: "22P05",
        detail: $"row {IdNumber}", hint: IdNumber, where: $"JSON data, line 1: {{\"applicant.idNumber\":\"{IdNumber}",
        internalQuery: IdNumber, tableName: "onething_department_tasks", constraintName: "onething_department_tasks_pkey");

    private sealed class ListProvider(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Add($"{formatter(state, exception)} {exception}");
        }
    }
}
