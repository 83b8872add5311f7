using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Publishing;

/// <summary>A row of <c>onething_published_items</c>, its definition still as stored (parsed by whoever reads it).</summary>
public sealed record PublishedItemRow(string Code, int Version, string Definition, DateTimeOffset PublishedAt);

/// <summary>
/// The item versions ops published (<c>onething_published_items</c>). Rows are only ever inserted: a running case
/// re-activates with its own version, so every version must stay readable.
/// </summary>
public sealed class PublishedItemStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// First key of the two-key advisory locks taken per item code. The migrator locks in the one-bigint key space,
    /// which PostgreSQL keeps apart from this one.
    /// </summary>
    private const int PublishLockClass = 0x0E71_0006;

    /// <summary>
    /// Stores <paramref name="item"/> as the next version of its code, unless the newest version already has this
    /// definition. The newest is the higher of the newest published row and <paramref name="newestHere"/> (what this
    /// silo holds, which covers the built-in files); on equal numbers the row wins, as it does in every catalog.
    /// </summary>
    /// <returns>The stored or matching version, and whether it was created now.</returns>
    public async Task<(ItemDefinition Item, bool Created)> PublishAsync(
        ItemDefinition item, ItemDefinition? newestHere, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Two silos publishing the same code at once queue here, so each numbers its version after the other's.
        await using (var lockCode = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))", connection, transaction))
        {
            lockCode.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PublishLockClass });
            lockCode.Parameters.Add(new NpgsqlParameter<string> { TypedValue = item.Code });
            await lockCode.ExecuteNonQueryAsync(cancellationToken);
        }

        ItemDefinition? newest = null;
        await using (var read = new NpgsqlCommand(
            "SELECT definition::text FROM onething_published_items WHERE code = $1 ORDER BY version DESC LIMIT 1", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = item.Code });
            if (await read.ExecuteScalarAsync(cancellationToken) is string stored)
            {
                newest = JsonSerializer.Deserialize<ItemDefinition>(stored, ItemCatalog.JsonOptions);
            }
        }
        if (newestHere is not null && (newest is null || newestHere.Version > newest.Version))
        {
            newest = newestHere;
        }
        if (newest is not null && ItemCatalog.SameDefinition(newest, item))
        {
            await transaction.CommitAsync(cancellationToken);
            return (newest, false);
        }

        var published = item with { Version = (newest?.Version ?? 0) + 1 };
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO onething_published_items (code, version, definition, published_at)
            VALUES ($1, $2, $3, clock_timestamp())
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = published.Code });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = published.Version });
            insert.Parameters.Add(new NpgsqlParameter<string>
            {
                TypedValue = JsonSerializer.Serialize(published, ItemCatalog.JsonOptions),
                NpgsqlDbType = NpgsqlDbType.Jsonb,
            });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (published, true);
    }

    /// <summary>
    /// One published version (the newest when <paramref name="version"/> is null), or null. Synchronous because
    /// <see cref="ItemCatalog.Find"/> is (see <see cref="ItemCatalog.LoadMissingVersionsFrom"/>); one index look-up.
    /// </summary>
    public ItemDefinition? Find(string code, int? version)
    {
        using var command = dataSource.CreateCommand(version is null
            ? "SELECT definition::text FROM onething_published_items WHERE code = $1 ORDER BY version DESC LIMIT 1"
            : "SELECT definition::text FROM onething_published_items WHERE code = $1 AND version = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
        if (version is { } wanted)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = wanted });
        }
        return command.ExecuteScalar() is string stored ? JsonSerializer.Deserialize<ItemDefinition>(stored, ItemCatalog.JsonOptions) : null;
    }

    /// <summary>Rows published after <paramref name="after"/> (every row when null), oldest first.</summary>
    public async Task<IReadOnlyList<PublishedItemRow>> ReadAsync(DateTimeOffset? after, CancellationToken cancellationToken = default)
    {
        // Two texts rather than "$1 IS NULL OR ...": a prepared generic plan for that could not use the index.
        await using var command = dataSource.CreateCommand(after is null
            ? "SELECT code, version, definition::text, published_at FROM onething_published_items ORDER BY published_at, code, version"
            : "SELECT code, version, definition::text, published_at FROM onething_published_items WHERE published_at > $1 ORDER BY published_at, code, version");
        if (after is { } value)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = value.ToUniversalTime() });
        }
        var rows = new List<PublishedItemRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PublishedItemRow(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return rows;
    }
}
