using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OneThing.Silo.Database;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Foundation;

public sealed class SchemaMigrationTests
{
    [Fact]
    public async Task SchemaAppliesOnceAndApplyingAgainChangesNothing()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("migrate_twice");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var migrator = new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance);

        var first = await migrator.MigrateAsync();
        var tablesAfterFirst = await CountTablesAsync(connectionString);
        var second = await migrator.MigrateAsync();

        Assert.Equal(SchemaMigrator.EmbeddedMigrations.Select(m => m.Version), first);
        Assert.Empty(second);
        Assert.Equal(tablesAfterFirst, await CountTablesAsync(connectionString));
        Assert.Equal((long)SchemaMigrator.EmbeddedMigrations.Count,
            await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_schema_version"));
    }

    [Fact]
    public async Task AGrainStateOfACaseSizeStaysInItsRow()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("inline_state");
        // A case-like 12 KB of JSON (a long timeline) that compresses to a few KB: out of line under PostgreSQL's
        // defaults (over 2 KB), in the row now.
        var entries = Enumerable.Range(0, 110).Select(i =>
            $$"""{"at":"2026-11-{{10 + (i % 18)}}T{{i % 24:00}}:{{i % 60:00}}:00+08:00","type":"TaskAccepted","actor":"department-{{i % 7}}","detail":"{{Guid.NewGuid():N}}"}""");
        var payload = System.Text.Encoding.UTF8.GetBytes($$"""{"timeline":[{{string.Join(',', entries)}}]}""");
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO orleansstorage (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, serviceid, payloadbinary, version)
            VALUES (1, 1, 1, 1, 'case', 'test', $1, 1)
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = payload });
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(0L, await TestDatabase.ScalarAsync(connectionString,
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'orleansstorage'"));
        // Compressed (it is longer than a page), and too long for the default 2 KB target: only the new one keeps it in.
        var stored = (int)(await TestDatabase.ScalarAsync(connectionString, "SELECT pg_column_size(payloadbinary) FROM orleansstorage"))!;
        Assert.True(payload.Length > 8160, $"the payload is {payload.Length} bytes");
        Assert.InRange(stored, 2033, payload.Length - 1);
    }

    [Fact]
    public async Task TwoSiloProcessesMigratingAtOnceApplyEachMigrationOnce()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("migrate_race");

        var exits = await Task.WhenAll(RunSiloMigrateAsync(connectionString), RunSiloMigrateAsync(connectionString));

        Assert.All(exits, exit => Assert.True(exit.Code == 0, $"`OneThing.Silo migrate` exited {exit.Code}: {exit.Output}"));
        Assert.Equal((long)SchemaMigrator.EmbeddedMigrations.Count,
            await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_schema_version"));
    }

    [Fact]
    public async Task MigrationEditedAfterItWasAppliedIsRefused()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("migrate_edited");
        await TestDatabase.ScalarAsync(connectionString, "UPDATE onething_schema_version SET checksum = 'edited' WHERE version = 1");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync());

        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SiloWithUnreachableDatabaseExitsWithOneClearLine()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString) { Port = 1, Timeout = 2 }.ConnectionString;

        var exit = await RunSiloMigrateAsync(unreachable);

        Assert.Equal(3, exit.Code);
        var line = Assert.Single(exit.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("onething-silo: cannot prepare the database schema", line, StringComparison.Ordinal);
    }

    private static async Task<long> CountTablesAsync(string connectionString) =>
        (long)(await TestDatabase.ScalarAsync(connectionString,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))!;

    private static Task<(int Code, string Output)> RunSiloMigrateAsync(string connectionString) =>
        BuiltProcess.RunAsync(BuiltProcess.SiloAssembly, ["migrate"], new Dictionary<string, string?>
        {
            ["ConnectionStrings:OneThing"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        });
}
