using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OneThing.Silo.Database;
using OneThing.Silo.Hosting;

namespace OneThing.Bench.Storage;

/// <summary>
/// Durable grain writes per second through the project's schema and the Orleans ADO.NET provider, against a plain
/// single-row upsert on the same server in the same run. The ratio is the figure that matters: absolute numbers
/// move with the machine, the ratio says how much the provider path costs over the cheapest possible write.
/// </summary>
public static class StorageScenario
{
    public const int PayloadBytes = 512;

    public static async Task<StorageResult> RunAsync(string connectionString, BenchSettings settings)
    {
        Console.WriteLine($"storage: {settings.Grains} grains, {settings.Concurrency} concurrent writers, {settings.Duration.TotalSeconds:0} s per side");

        using var host = await StartSiloAsync(connectionString);
        var client = host.Services.GetRequiredService<IGrainFactory>();

        // Warm up: activate every grain and create its row, so both sides measure updates of existing rows.
        await Parallel.ForAsync(0, settings.Grains, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency },
            async (i, _) => await client.GetGrain<IStorageBenchGrain>(i).WriteAsync(0));
        var grainWrites = await MeasureAsync(settings, async (worker, sequence) =>
            await client.GetGrain<IStorageBenchGrain>((worker + (long)sequence * settings.Concurrency) % settings.Grains).WriteAsync(sequence));

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await PreparePlainTableAsync(dataSource, settings.Grains);
        var payload = System.Text.Encoding.UTF8.GetBytes(new string('x', PayloadBytes));
        var plainWrites = await MeasureAsync(settings, async (worker, sequence) =>
        {
            await using var command = dataSource.CreateCommand(
                "INSERT INTO bench_plain_upsert (id, sequence, payload) VALUES ($1, $2, $3) " +
                "ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, payload = excluded.payload");
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (worker + (long)sequence * settings.Concurrency) % settings.Grains });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = sequence });
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = payload });
            await command.ExecuteNonQueryAsync();
        });

        await host.StopAsync();
        return new StorageResult(grainWrites, plainWrites, grainWrites / plainWrites, settings.Grains, settings.Concurrency, settings.Duration.TotalSeconds);
    }

    private static async Task<IHost> StartSiloAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            // Free ports, so that the scenario runs beside a silo of the system (or a test cluster) on this machine.
            silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort());
            silo.AddOneThingStorage(connectionString);
        });
        var host = builder.Build();
        await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync();
        await host.StartAsync();
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task PreparePlainTableAsync(NpgsqlDataSource dataSource, int rows)
    {
        await using var create = dataSource.CreateCommand("""
            DROP TABLE IF EXISTS bench_plain_upsert;
            CREATE TABLE bench_plain_upsert (id bigint PRIMARY KEY, sequence integer NOT NULL, payload bytea NOT NULL);
            """);
        await create.ExecuteNonQueryAsync();
        await using var fill = dataSource.CreateCommand(
            "INSERT INTO bench_plain_upsert SELECT g, 0, convert_to(repeat('x', $1), 'UTF8') FROM generate_series(0, $2 - 1) g");
        fill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PayloadBytes });
        fill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = rows });
        await fill.ExecuteNonQueryAsync();
    }

    /// <summary>Closed loop: each worker issues its next write when the previous one is durable.</summary>
    private static async Task<double> MeasureAsync(BenchSettings settings, Func<int, int, Task> write)
    {
        var completed = 0L;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, settings.Concurrency).Select(worker => Task.Run(async () =>
        {
            for (var sequence = 1; clock.Elapsed < settings.Duration; sequence++)
            {
                await write(worker, sequence);
                Interlocked.Increment(ref completed);
            }
        }));
        await Task.WhenAll(workers);
        return completed / clock.Elapsed.TotalSeconds;
    }
}

public sealed record StorageResult(
    double GrainWritesPerSecond, double PlainUpsertsPerSecond, double Ratio, int Grains, int Concurrency, double SecondsPerSide);
