using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OneThing.Grains.Calendar;
using OneThing.Grains.Cases;
using OneThing.Grains.Cases.Legacy;
using OneThing.Grains.Catalog;
using OneThing.Grains.Events;
using OneThing.Grains.Publishing;
using OneThing.Grains.ReadModels;
using OneThing.Grains.Webhooks;

namespace OneThing.Grains.Hosting;

public static partial class GrainServices
{
    /// <summary>
    /// What the grains need besides Orleans: the validated catalog and working-day calendar (loaded now, so bad data
    /// stops start-up), the clock, the read-model writer and the case event log (they use the host's NpgsqlDataSource).
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
        services.AddSingleton<CaseEventLog>();
        services.AddSingleton<LegacyCaseJournal>();
        services.AddSingleton<IIncomingGrainCallFilter, CaseCallScope>();
        services.AddOptions<CaseSnapshotOptions>()
            .BindConfiguration(CaseSnapshotOptions.SectionName)
            .Validate(options => options.ChangesPerSnapshot is >= 1 and <= 1000, "OneThing:Cases:ChangesPerSnapshot must be between 1 and 1000.")
            .ValidateOnStart();
        services.AddOptions<FallbackDesk.FallbackDeskOptions>()
            .BindConfiguration(FallbackDesk.FallbackDeskOptions.SectionName)
            .Validate(options => options.WorkingDays is >= 1 and <= 250, "OneThing:FallbackDesk:WorkingDays must be between 1 and 250.")
            .ValidateOnStart();
        services.AddOneThingPublishing();
        services.AddOneThingWebhooks();
        return services;
    }

    /// <summary>Subscriptions: the options (<c>OneThing:Webhooks</c>, <c>OneThing:Notices</c>), the sender, and the waker.</summary>
    private static IServiceCollection AddOneThingWebhooks(this IServiceCollection services)
    {
        services.AddOneThingWebhookOptions();
        services.AddOptions<NoticeOptions>().BindConfiguration(NoticeOptions.SectionName)
            .Validate(options => options.SupplementRoundWindow is null || options.SupplementRoundWindow > TimeSpan.Zero,
                "OneThing:Notices:SupplementRoundWindow must be positive when set.")
            .ValidateOnStart();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<SubscriptionWaker>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<SubscriptionWaker>());
        return services;
    }

    /// <summary><c>OneThing:Webhooks</c>, validated at start: the silos send, the API checks receivers' URLs with it.</summary>
    public static IServiceCollection AddOneThingWebhookOptions(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName)
            .Validate(options => !options.Validate().Any(), "OneThing:Webhooks has an invalid setting (see the README's configuration table).")
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// What ops publish at run time (item versions, calendar years): the stores, and the refresher that loads every
    /// published row before the silo becomes active and then follows new rows (<c>OneThing:Catalog:RefreshInterval</c>).
    /// </summary>
    private static IServiceCollection AddOneThingPublishing(this IServiceCollection services)
    {
        services.AddOptions<CatalogRefreshOptions>()
            .BindConfiguration(CatalogRefreshOptions.SectionName)
            .Validate(options => options.RefreshInterval > TimeSpan.Zero, "OneThing:Catalog:RefreshInterval must be positive.")
            .ValidateOnStart();
        services.AddSingleton<PublishedItemStore>();
        services.AddSingleton<CalendarYearStore>();
        services.AddSingleton<PublishedDataRefresher>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<PublishedDataRefresher>());
        return services;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The working-day calendar has no data for {Year}; dates in it count Monday to Friday. Add {Directory}/{Year}.json")]
    private static partial void LogUnknownYear(ILogger logger, int year, string directory);
}
