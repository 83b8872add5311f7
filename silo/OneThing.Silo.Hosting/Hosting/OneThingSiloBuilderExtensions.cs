using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;
using OneThing.Grains.Hosting;
using OneThing.Grains.Statistics;
using OneThing.Silo.Database;
using OneThing.Silo.Hosting.Cases;
using OneThing.Silo.Hosting.Statistics;
using Orleans.Configuration;
using Orleans.Serialization;

namespace OneThing.Silo.Hosting;

/// <summary>
/// The silo's PostgreSQL wiring, shared by the silo host, the test cluster and the benchmarks so that all three run
/// the same providers against the same schema.
/// </summary>
public static class OneThingSiloBuilderExtensions
{
    /// <summary>ADO.NET invariant the Orleans providers use to load Npgsql.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>Membership (and the gateway list clients read) in PostgreSQL.</summary>
    public static ISiloBuilder UseOneThingClustering(this ISiloBuilder silo, string connectionString) =>
        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = WithPreparedStatements(connectionString);
        });

    /// <summary>
    /// The providers send the same few statements all day; letting Npgsql prepare them skips planning on every
    /// call (planning the storage upsert costs more than running it). Nothing here keeps session state (the
    /// migrator's lock is transaction-scoped), so pooled connections skip the reset round trip Npgsql otherwise makes
    /// before each reuse — with prepared statements that reset is a transaction of its own. Explicit settings in the
    /// connection string win.
    /// </summary>
    public static string WithPreparedStatements(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
        }
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }
        return WithoutErrorDetail(builder);
    }

    /// <summary>
    /// PostgreSQL's error detail quotes row values (a duplicate key's value, a refused row), and so do parameter values
    /// and failed statements: Npgsql keeps them out of exceptions and logs unless the connection string asks for them,
    /// and here it may not.
    /// </summary>
    public static string WithoutErrorDetail(string connectionString) =>
        WithoutErrorDetail(new NpgsqlConnectionStringBuilder(connectionString));

    private static string WithoutErrorDetail(NpgsqlConnectionStringBuilder builder)
    {
        builder.IncludeErrorDetail = false;
        builder.IncludeFailedBatchedCommand = false;
        builder.LogParameters = false;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Grain state, reminders and the data source for the project's own tables, all in PostgreSQL, the upkeep of the
    /// case events' monthly partitions, and the services grains use (catalog and calendar from
    /// <paramref name="catalogDirectory"/>, the build's <c>catalog/</c> by default).
    /// </summary>
    public static ISiloBuilder AddOneThingStorage(this ISiloBuilder silo, string connectionString, string? catalogDirectory = null)
    {
        connectionString = WithPreparedStatements(connectionString);
        // State is stored as UTF-8 JSON so ops can read it with convert_from(payloadbinary, 'UTF8')::jsonb.
        // Switching serializers later would make stored state unreadable: this is fixed from the first commit.
        silo.UseSystemTextJsonGrainStorageSerializer();
        // Chinese text unescaped: a case's state is a third smaller, and ops read names and timelines as they are.
        // Both spellings read back the same, so state written before this setting stays readable. Stored state is not
        // the outside JSON (ViewJson): characters that matter in HTML stay escaped, as they always were.
        silo.Services.Configure<SystemTextJsonGrainStorageSerializerOptions>(options =>
            options.JsonSerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All));
        silo.AddAdoNetGrainStorage(GrainStorage.Main, options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = NpgsqlInvariant;
            options.ConnectionString = connectionString;
        });
        silo.Services.AddOneThingDatabase(connectionString);
        silo.Services.AddSingleton<EventPartitionUpkeep>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<EventPartitionUpkeep>());
        silo.Services.AddSingleton<OldCaseConversion>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<OldCaseConversion>());
        silo.Services.AddOptions<StatisticsOptions>()
            .BindConfiguration(StatisticsOptions.SectionName)
            .Validate(options => options.PollInterval > TimeSpan.Zero, "OneThing:Statistics:PollInterval must be positive.")
            .ValidateOnStart();
        silo.Services.AddSingleton<StatisticsProjector>();
        silo.Services.AddSingleton<StatisticsProjectionLoop>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<StatisticsProjectionLoop>());
        // Read when a grain first needs them; the silo process checks them before it starts (one clear line if wrong).
        silo.Services.TryAddSingleton(_ => PrivacyKeys.Read(key => silo.Configuration[key]));
        silo.Services.AddDatabaseErrorRedaction();
        silo.Services.AddOneThingGrains(catalogDirectory ?? CatalogServiceCollectionExtensions.DefaultDirectory);
        return silo;
    }

    /// <summary>Case grains idle for <paramref name="collectionAge"/> leave memory; other grains keep Orleans' default.</summary>
    public static ISiloBuilder UseCaseCollectionAge(this ISiloBuilder silo, TimeSpan collectionAge) =>
        silo.Configure<GrainCollectionOptions>(options =>
            options.ClassSpecificCollectionAge[typeof(CaseGrain).FullName!] = collectionAge);

    /// <summary>The Npgsql data source, the schema migrator and the reader of stored case events.</summary>
    public static IServiceCollection AddOneThingDatabase(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(_ => NpgsqlDataSource.Create(WithoutErrorDetail(connectionString)));
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<CaseEventFeed>();
        return services;
    }
}
