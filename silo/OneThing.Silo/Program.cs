using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OneThing.Grains.Catalog;
using OneThing.Silo.Database;
using OneThing.Silo.Hosting;
using Orleans.Configuration;

// `OneThing.Silo migrate` applies the schema and exits; without a command the silo runs (and migrates first).
var migrateOnly = args.Length > 0 && args[0] == "migrate";
var hostArgs = migrateOnly ? args[1..] : args;

var builder = Host.CreateApplicationBuilder(hostArgs);
var connectionString = builder.Configuration.GetConnectionString("OneThing");
if (string.IsNullOrWhiteSpace(connectionString))
{
    await Console.Error.WriteLineAsync(
        "onething-silo: ConnectionStrings:OneThing is not set (e.g. ConnectionStrings__OneThing=\"Host=127.0.0.1;Port=5432;Username=postgres;Database=onething;Maximum Pool Size=40\").");
    return 2;
}

var clusterSettings = builder.Configuration.GetSection(OneThingClusterOptions.SectionName).Get<OneThingClusterOptions>()
    ?? new OneThingClusterOptions();
builder.Services.AddOptions<OneThingClusterOptions>()
    .BindConfiguration(OneThingClusterOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();
var caseSettings = builder.Configuration.GetSection(OneThingCaseOptions.SectionName).Get<OneThingCaseOptions>()
    ?? new OneThingCaseOptions();
builder.Services.AddOptions<OneThingCaseOptions>()
    .BindConfiguration(OneThingCaseOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = clusterSettings.ShutdownTimeout);
builder.Services.TryAddSingleton(TimeProvider.System);

IHost host;
try
{
    if (migrateOnly)
    {
        builder.Services.AddOneThingDatabase(connectionString);
    }
    else
    {
        ConfigureSilo(builder, connectionString, clusterSettings, caseSettings);
    }
    host = builder.Build();
}
catch (CatalogException error)
{
    // The catalog is validated while the silo is configured: an invalid item stops start-up with its file and reason.
    await Console.Error.WriteLineAsync($"onething-silo: invalid catalog: {error.Message}");
    return 4;
}
using var _ = host;

// The schema must be current before any provider touches it; a database that cannot be reached is one clear line.
try
{
    await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync();
}
catch (Exception error) when (error is NpgsqlException or SocketException or TimeoutException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync($"onething-silo: cannot prepare the database schema: {OneLine(error)}");
    return 3;
}

if (migrateOnly)
{
    return 0;
}

await host.RunAsync();
return 0;

static void ConfigureSilo(
    HostApplicationBuilder builder, string connectionString, OneThingClusterOptions clusterSettings, OneThingCaseOptions caseSettings) =>
    builder.UseOrleans(silo =>
    {
        var advertised = ResolveAdvertisedAddress(clusterSettings.AdvertisedAddress);
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = clusterSettings.ClusterId;
            options.ServiceId = clusterSettings.ServiceId;
        });
        silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = clusterSettings.ResponseTimeout);
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = clusterSettings.ProbeTimeout;
            options.NumMissedProbesLimit = clusterSettings.MissedProbesLimit;
        });
        silo.ConfigureEndpoints(advertised, clusterSettings.SiloPort, clusterSettings.GatewayPort,
            listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        silo.UseOneThingClustering(connectionString);
        silo.AddOneThingStorage(connectionString, builder.Configuration["OneThing:Catalog:Directory"]);
        silo.UseCaseCollectionAge(caseSettings.CollectionAge);
    });

static IPAddress ResolveAdvertisedAddress(string address) =>
    IPAddress.TryParse(address, out var ip)
        ? ip
        : Dns.GetHostAddresses(address).First(a => a.AddressFamily == AddressFamily.InterNetwork);

static string OneLine(Exception error)
{
    var innermost = error;
    while (innermost.InnerException is not null)
    {
        innermost = innermost.InnerException;
    }
    var message = innermost == error ? error.Message : $"{error.Message} ({innermost.Message})";
    return message.ReplaceLineEndings(" ");
}
