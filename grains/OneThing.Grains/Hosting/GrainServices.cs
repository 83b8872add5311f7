using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.ReadModels;

namespace OneThing.Grains.Hosting;

public static partial class GrainServices
{
    /// <summary>
    /// What the grains need besides Orleans: the validated catalog and working-day calendar (loaded now, so bad data
    /// stops start-up), the clock and the read-model writer (it uses the host's NpgsqlDataSource).
    /// </summary>
    public static IServiceCollection AddOneThingGrains(this IServiceCollection services, string catalogDirectory)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOneThingCatalog(catalogDirectory);
        var calendarDirectory = Path.Combine(catalogDirectory, "calendar");
        services.AddSingleton(provider =>
        {
            var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("OneThing.Calendar");
            return WorkingCalendar.LoadFromDirectory(calendarDirectory, year => LogUnknownYear(logger, year, calendarDirectory));
        });
        services.TryAddSingleton<IReadModelFaults, NoReadModelFaults>();
        services.AddSingleton<ReadModelWriter>();
        return services;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The working-day calendar has no data for {Year}; dates in it count Monday to Friday. Add {Directory}/{Year}.json")]
    private static partial void LogUnknownYear(ILogger logger, int year, string directory);
}
