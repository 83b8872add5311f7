using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OneThing.Grains.Catalog;
using OneThing.Grains.Diagnostics;
using OneThing.Silo.Database;
using OneThing.Silo.Hosting;

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

IHost host;
try
{
    if (migrateOnly)
    {
        builder.Services.AddOneThingDatabase(connectionString);
    }
    else
    {
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
