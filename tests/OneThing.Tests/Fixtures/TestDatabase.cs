using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OneThing.Silo.Database;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// A fresh PostgreSQL database per fixture, created on the server that the test command started
/// (<c>scripts/test.sh</c> exports <c>ConnectionStrings__OneThing</c>). Without it every test that needs the
/// database fails with this explanation: such tests are never skipped.
/// </summary>
public static class TestDatabase
{
    public const string ServerVariable = "ConnectionStrings__OneThing";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"These tests need PostgreSQL and {ServerVariable} is not set. Run them with scripts/test.sh, which starts a throwaway server.");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateEmptyAsync(string purpose)
    {
        var name = $"onething_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using (var admin = NpgsqlDataSource.Create(ServerConnectionString))
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Creates a database with the project's schema applied.</summary>
    public static async Task<string> CreateMigratedAsync(string purpose)
    {
        var connectionString = await CreateEmptyAsync(purpose);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
        return connectionString;
    }

    public static async Task<object?> ScalarAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (parameterName, value) in parameters)
        {
            command.Parameters.AddWithValue(parameterName, value);
        }
        var result = await command.ExecuteScalarAsync();
        return result is DBNull ? null : result;
    }
}
