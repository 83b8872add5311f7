using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Publishing;

/// <summary>
/// A row of <c>onething_published_items</c>, its definition still as stored (parsed by whoever reads it).
/// <see cref="Region"/> is null for the national base.
/// </summary>
public sealed record PublishedItemRow(string Code, string? Region, int Version, string Definition, DateTimeOffset PublishedAt);

/// <summary>
/// The item versions ops published (<c>onething_published_items</c>), keyed by code, region and version: each variant
/// of an item (region <c>''</c> in the table for the national base) numbers its own versions. Rows are only ever
/// inserted: a running case re-activates with its own variant and version, so every version must stay readable.
/// </summary>
public sealed class PublishedItemStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// First key of the two-key advisory locks taken per item code. The migrator locks in the one-bigint key space,
    /// which PostgreSQL keeps apart from this one.
    /// </summary>
    private const int PublishLockClass = 0x0E71_0006;

    /// <summary>
    /// Stores <paramref name="item"/> as the next version of its variant (its code and region), unless the variant's
    /// newest version already has this definition. The newest is the higher of the variant's newest published row and
    /// <paramref name="newestHere"/> (the newest of the same variant this silo holds, which covers the built-in files);
    /// on equal numbers the row wins, as it does in every catalog.
    /// </summary>
    /// <returns>The stored or matching version, and whether it was created now.</returns>
    public async Task<(ItemDefinition Item, bool Created)> PublishAsync(
        ItemDefinition item, ItemDefinition? newestHere, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Two silos publishing the same code at once queue here, so each numbers its version after the other's. One lock
        // per code, not per variant: publishing is rare, and one key is simpler to reason about.
        await using (var lockCode = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))", connection, transaction))
        {
            lockCode.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PublishLockClass });
            lockCode.Parameters.Add(new NpgsqlParameter<string> { TypedValue = item.Code });
            await lockCode.ExecuteNonQueryAsync(cancellationToken);
        }

        ItemDefinition? newest = null;
        await using (var read = new NpgsqlCommand(
            "SELECT definition::text FROM onething_published_items WHERE code = $1 AND region = $2 ORDER BY version DESC LIMIT 1", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = item.Code });
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ToColumn(item.Region) });
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
            INSERT INTO onething_published_items (code, region, version, definition, published_at)
            VALUES ($1, $2, $3, $4, clock_timestamp())
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = published.Code });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ToColumn(published.Region) });
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
    /// One published version of a variant (the newest when <paramref name="version"/> is null), or null: one index
    /// look-up, what <see cref="ItemCatalog.FindVariantAsync"/> reads on a miss (see <see cref="ItemCatalog.LoadMissingVersionsFrom"/>).
    /// </summary>
    public async Task<ItemDefinition?> FindAsync(string code, string? region, int? version, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(version is null
            ? "SELECT definition::text FROM onething_published_items WHERE code = $1 AND region = $2 ORDER BY version DESC LIMIT 1"
            : "SELECT definition::text FROM onething_published_items WHERE code = $1 AND region = $2 AND version = $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ToColumn(region) });
        if (version is { } wanted)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = wanted });
        }
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string stored
            ? JsonSerializer.Deserialize<ItemDefinition>(stored, ItemCatalog.JsonOptions)
            : null;
    }

    /// <summary>Rows published after <paramref name="after"/> (every row when null), oldest first.</summary>
    public async Task<IReadOnlyList<PublishedItemRow>> ReadAsync(DateTimeOffset? after, CancellationToken cancellationToken = default)
    {
        // Two texts rather than "$1 IS NULL OR ...": a prepared generic plan for that could not use the index.
        await using var command = dataSource.CreateCommand(after is null
            ? "SELECT code, region, version, definition::text, published_at FROM onething_published_items ORDER BY published_at, code, region, version"
            : "SELECT code, region, version, definition::text, published_at FROM onething_published_items WHERE published_at > $1 ORDER BY published_at, code, region, version");
        if (after is { } value)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = value.ToUniversalTime() });
        }
        var rows = new List<PublishedItemRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PublishedItemRow(
                reader.GetString(0), FromColumn(reader.GetString(1)), reader.GetInt32(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return rows;
    }

    /// <summary>The national base is region <c>''</c> in the table (a key column cannot be null) and null everywhere else.</summary>
    private static string ToColumn(string? region) => region ?? "";

    private static string? FromColumn(string region) => region.Length == 0 ? null : region;
}
