using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Every log line the test silos and API hosts write, so tests can check what never appears in logs. Captures every
/// level the host lets through: a silo configured with <see cref="PostgresSiloConfigurator.LogLevelKey"/> Trace, or
/// an API with <c>Logging:LogLevel:*</c> Trace, has all of it captured.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private static readonly ConcurrentQueue<string> Lines = new();

    public static IEnumerable<string> All => Lines;

    public ILogger CreateLogger(string categoryName) => new Capture(categoryName);

    public void Dispose()
    {
    }

    private sealed class Capture(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
            while (Lines.Count > 200_000 && Lines.TryDequeue(out _))
            {
            }
        }
    }
}
