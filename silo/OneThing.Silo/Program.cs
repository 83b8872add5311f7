using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;
using OneThing.Grains.Publishing;
using OneThing.Grains.Statistics;
using OneThing.Silo.Database;
using OneThing.Silo.Diagnostics;
using OneThing.Silo.Hosting;
using OneThing.Silo.Hosting.Privacy;

// `OneThing.Silo migrate` applies the schema and exits; `OneThing.Silo protect-existing` applies it, then brings stored
// personal data under the current privacy keys and exits; `OneThing.Silo rebuild-statistics` applies it, then projects
// the statistics again from every stored event and exits; without a command the silo runs (and migrates first).
var command = args.Length > 0 && args[0] is "migrate" or "protect-existing" or "rebuild-statistics" ? args[0] : null;
var migrateOnly = command == "migrate";
var protectExisting = command == "protect-existing";
var rebuildStatistics = command == "rebuild-statistics";
var hostArgs = command is null ? args : args[1..];

var builder = Host.CreateApplicationBuilder(hostArgs);
var connectionString = builder.Configuration.GetConnectionString("OneThing");
if (string.IsNullOrWhiteSpace(connectionString))
{
    await Console.Error.WriteLineAsync(
        "onething-silo: ConnectionStrings:OneThing is not set (e.g. ConnectionStrings__OneThing=\"Host=127.0.0.1;Port=5432;Username=postgres;Database=onething;Maximum Pool Size=40\").");
    return 2;
}

// Required in every environment (Development's come from appsettings.Development.json): a silo without them could
// neither seal nor open personal data.
PrivacyKeys? privacyKeys = null;
if (!migrateOnly && !rebuildStatistics)
{
    try
    {
        privacyKeys = PrivacyKeys.Read(key => builder.Configuration[key]);
    }
    catch (PrivacyKeyException error)
    {
        await Console.Error.WriteLineAsync($"onething-silo: {error.Message}");
        return 5;
    }
}

IHost host;
try
{
    if (migrateOnly || protectExisting || rebuildStatistics)
    {
        builder.Services.AddOneThingDatabase(connectionString);
    }
    else
    {
        // The HTTP port first: it answers /health/live while the silo joins the cluster.
        builder.AddOneThingSiloHttp();
        builder.AddOneThingTelemetry("onething-silo");
        builder.AddOneThingSilo(connectionString);
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

if (protectExisting)
{
    try
    {
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var catalogDirectory = builder.Configuration["OneThing:Catalog:Directory"] ?? CatalogServiceCollectionExtensions.DefaultDirectory;
        var migration = new PersonalDataMigration(dataSource, privacyKeys!, PersonalDataMigration.CatalogFor(dataSource, catalogDirectory));
        var result = await migration.RunAsync();
        Console.WriteLine(
            $"onething-silo: personal data under data key {privacyKeys!.Protector.CurrentKeyId}: rewrote {result.Snapshots} snapshot(s), " +
            $"{result.EventRows} event(s), {result.JournalRows} journal row(s), {result.InboxRows} inbox row(s); re-keyed {result.ApplicantRows} applicant row(s); resealed {result.SubscriptionSecrets} subscription secret(s) and {result.DeskApplicants} fallback-desk request(s).");
        return 0;
    }
    catch (Exception error) when (error is NpgsqlException or SocketException or TimeoutException or InvalidOperationException or PersonalDataException
        or System.Security.Cryptography.CryptographicException or CatalogException)
    {
        await Console.Error.WriteLineAsync($"onething-silo: cannot protect existing personal data: {OneLine(error)}");
        return 6;
    }
}

if (rebuildStatistics)
{
    try
    {
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var catalogDirectory = builder.Configuration["OneThing:Catalog:Directory"] ?? CatalogServiceCollectionExtensions.DefaultDirectory;
        var calendar = WorkingCalendar.LoadFromDirectory(Path.Combine(catalogDirectory, "calendar"));
        calendar.SetYears((await new CalendarYearStore(dataSource).ReadAsync(null)).Select(row => row.Year));
        var projector = new StatisticsProjector(dataSource, host.Services.GetRequiredService<CaseEventFeed>(), calendar);
        await projector.ResetAsync();
        var events = await projector.CatchUpAsync();
        Console.WriteLine($"onething-silo: statistics rebuilt from {events} event(s), up to feed position {await projector.CheckpointAsync()}.");
        return 0;
    }
    catch (Exception error) when (error is NpgsqlException or SocketException or TimeoutException or InvalidOperationException or CatalogException)
    {
        await Console.Error.WriteLineAsync($"onething-silo: cannot rebuild the statistics: {OneLine(error)}");
        return 7;
    }
}

await host.RunAsync();
return 0;

static string OneLine(Exception error)
{
    // PostgreSQL's own text can quote row values: an error the server sent is told by SQLSTATE, table and constraint.
    if (DatabaseFailures.Redact(error) is { SqlState: not null } server)
    {
        return server.Message;
    }
    var innermost = error;
    while (innermost.InnerException is not null)
    {
        innermost = innermost.InnerException;
    }
    var message = innermost == error ? error.Message : $"{error.Message} ({innermost.Message})";
    return message.ReplaceLineEndings(" ");
}

/// <summary>The silo's entry point; internal, so that only the API's <c>Program</c> is visible to the tests.</summary>
internal sealed partial class Program;
