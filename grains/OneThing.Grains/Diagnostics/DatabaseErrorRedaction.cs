using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OneThing.Grains.Diagnostics;

/// <summary>
/// Defence in depth for <see cref="DatabaseFailures"/>: every logger of the host replaces a database exception by its
/// redacted form before any provider sees it. Code of ours redacts at the source; this catches what others log, such
/// as Orleans' storage provider writing the exception of a failed grain-state write. Such a line is written without
/// a stack trace, once per interval per category, event and failure, with how many more there were: during an outage
/// every activation and write fails the same way.
/// </summary>
public static partial class DatabaseErrorRedaction
{
    /// <summary>Wraps the host's logger factory; calling it again changes nothing.</summary>
    public static IServiceCollection AddDatabaseErrorRedaction(this IServiceCollection services)
    {
        if (services.Any(service => service.ServiceType == typeof(RedactingLoggerFactory)))
        {
            return services;
        }
        services.AddLogging();
        services.AddSingleton<RedactingLoggerFactory>(provider => new RedactingLoggerFactory(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>())));
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(provider => provider.GetRequiredService<RedactingLoggerFactory>()));
        return services;
    }

    internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new RedactingLogger(categoryName, inner.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();
    }

    private sealed partial class RedactingLogger(string category, ILogger inner) : ILogger
    {
        /// <summary>Orleans writes messages with their payload (a failed call's exception, as text) into its own lines.</summary>
        private readonly bool _mayEmbedExceptionText = category.StartsWith("Orleans", StringComparison.Ordinal);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is null && _mayEmbedExceptionText && inner.IsEnabled(logLevel))
            {
                var text = formatter(state, null);
                if (text.Contains("Npgsql.", StringComparison.Ordinal))
                {
                    // An outage makes Orleans repeat the same warning (a membership or reminder table it cannot read) on every
                    // attempt: once per interval with a count, like a database exception. Detail levels are left whole.
                    var repeats = default(LogThrottle.Suppressed);
                    if (logLevel >= LogLevel.Warning && !LogThrottle.Default.ShouldLog($"{category} {eventId.Id} {logLevel} text", out repeats))
                    {
                        return;
                    }
                    var redactedText = ExceptionData().Replace(ServerText().Replace(text, "${type}: SQLSTATE ${state} (server text redacted)"), "");
                    inner.Log(logLevel, eventId, redactedText + repeats.Note, null, static (line, _) => line);
                    return;
                }
            }
            if (exception is null || DatabaseFailures.Redact(exception) is not { } redacted)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }
            // The message was formatted with the original exception at hand and may quote its text: only the
            // redacted failure is written, after the message's own words when they do not repeat the exception's.
            if (!LogThrottle.Default.ShouldLog($"{category} {eventId.Id} {redacted.Kind}", out var suppressed))
            {
                return;
            }
            var message = formatter(state, null);
            var safe = MentionsServerText(message, exception) ? redacted.Message : $"{message} ({redacted.Message})";
            inner.Log(logLevel, eventId, safe + suppressed.Note, null, static (text, _) => text);
        }

        private static bool MentionsServerText(string message, Exception exception)
        {
            for (var current = exception; current is not null; current = current.InnerException)
            {
                string?[] texts = current is PostgresException server
                    ? [server.Message, server.MessageText, server.Detail, server.Where, server.InternalQuery, server.Hint]
                    : [current.Message];
                if (texts.Any(text => text is { Length: > 0 } && message.Contains(text, StringComparison.Ordinal)))
                {
                    return true;
                }
            }
            return message.Contains("SQLSTATE", StringComparison.OrdinalIgnoreCase) || message.Contains("Npgsql", StringComparison.Ordinal);
        }

        /// <summary>A PostgresException as text: its type, SQLSTATE and the server's message, with any DETAIL, HINT or context after it.</summary>
        [GeneratedRegex(@"(?<type>Npgsql\.PostgresException)(?: \(0x[0-9A-Fa-f]+\))?: (?<state>[0-9A-Z]{5}): [^\r\n]*(?:(?:\r?\n)+(?:DETAIL|HINT|WHERE|POSITION|INTERNAL QUERY|CONTEXT): [^\r\n]*)*")]
        private static partial Regex ServerText();

        /// <summary>The "Exception data:" block Exception.ToString() writes: a PostgresException's data repeats the server's text.</summary>
        [GeneratedRegex(@"\r?\n[ \t]*Exception data:(?:\r?\n[ \t]{3,}[^\r\n]*)*")]
        private static partial Regex ExceptionData();
    }
}
