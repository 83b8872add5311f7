using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using OneThing.Grains.Catalog;
using OneThing.Grains.Publishing;
using OneThing.Silo.Database;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Publishing;

/// <summary>Migration 0008 (regional variants) over the published versions an earlier release left behind.</summary>
public sealed class PublishedItemMigrationTests
{
    private static readonly Lazy<ItemCatalog> Shipped = new(() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory));

    [Fact]
    public async Task VersionsPublishedBeforeVariantsStayTheNationalBasesAndVariantsNumberTheirOwn()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync("migrate_0008");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var migrator = new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], await migrator.MigrateAsync(upToVersion: 7));
        // What 0007 held: newborn v2 published from the item as GET served it then, labelled with a region.
        var earlier = Shipped.Value.Find("newborn", "chongqing")! with { Version = 2, Name = "新生儿出生一件事（旧版）" };
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO onething_published_items (code, version, definition, published_at) VALUES ('newborn', 2, $1, now())"))
        {
            insert.Parameters.Add(new NpgsqlParameter<string>
            {
                TypedValue = JsonSerializer.Serialize(earlier, ItemCatalog.JsonOptions),
                NpgsqlDbType = NpgsqlDbType.Jsonb,
            });
            await insert.ExecuteNonQueryAsync();
        }

        var applied = await migrator.MigrateAsync(upToVersion: 8);

        Assert.Equal([8], applied);
        Assert.Equal("", await TestDatabase.ScalarAsync(connectionString, "SELECT region FROM onething_published_items WHERE code = 'newborn'"));
        var store = new PublishedItemStore(dataSource);
        var national = (await store.FindAsync("newborn", null, 2))!;
        Assert.Equal(("新生儿出生一件事（旧版）", (string?)null, 10), (national.Name, national.Region, national.Matters.Count));
        Assert.Null(await store.FindAsync("newborn", "chongqing", 2));
        Assert.Equal(1L, await TestDatabase.ScalarAsync(connectionString,
            "SELECT count(*) FROM onething_published_items WHERE definition->'region' = 'null'::jsonb"));

        // Chongqing's variant numbers after its own newest (the built-in v2), whatever the national base's numbers are.
        var (variant, created) = await store.PublishAsync(
            Shipped.Value.Find("newborn", "chongqing")! with { Name = "新生儿出生一件事（重庆新版）" },
            Shipped.Value.FindVariant("newborn", "chongqing"));
        var (again, createdAgain) = await store.PublishAsync(variant with { Version = 1 }, Shipped.Value.FindVariant("newborn", "chongqing"));

        Assert.True(created);
        Assert.Equal(("chongqing", 3), (variant.Region, variant.Version));
        Assert.False(createdAgain);
        Assert.Equal(3, again.Version);
        Assert.Equal(3, (await store.FindAsync("newborn", "chongqing", null))!.Version);
        Assert.Equal(2, (await store.FindAsync("newborn", null, null))!.Version);
        var rows = await store.ReadAsync(after: null);
        Assert.Equal([("newborn", (string?)null, 2), ("newborn", "chongqing", 3)], rows.Select(row => (row.Code, row.Region, row.Version)));
        Assert.Equal(1L, await TestDatabase.ScalarAsync(connectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = 'newborn' AND region = 'chongqing' AND version = 3"));
    }
}
