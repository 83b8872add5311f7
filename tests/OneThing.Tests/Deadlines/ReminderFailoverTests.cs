using System.Text.Json.Nodes;
using OneThing.Grains.Cases;
using OneThing.Tests.Fixtures;
using Orleans.Runtime;

namespace OneThing.Tests.Deadlines;

/// <summary>
/// Real time, real reminders on PostgreSQL: the deadline fires even though the silo holding the case died, or the
/// case had left memory because no one asked for it.
/// </summary>
public sealed class ReminderFailoverTests
{
    [Fact]
    public async Task OverdueIsFlaggedAndEscalatedAfterTheSiloHoldingTheCaseWasKilled()
    {
        var catalog = CatalogWithQuickItem();
        try
        {
            var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "reminder_overdue", new Dictionary<string, string?>
            {
                [PostgresSiloConfigurator.MinimumReminderPeriodKey] = "00:00:02",
                ["OneThing:Catalog:Directory"] = catalog,
            });
            await using var _cluster = cluster;
            await using var api = new OneThingApiFactory(cluster, connectionString);
            var driver = new CaseDriver(api);
            var caseId = (await driver.SubmitNewAsync("quick-check", 42)).GetProperty("caseId").GetString()!;

            var holder = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(cluster.Client.GetGrain<ICaseGrain>(caseId));
            await cluster.KillSiloAsync(cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(holder)));

            var reason = await Poll.UntilAsync(
                () => TestDatabase.ScalarAsync(connectionString, "SELECT reason FROM onething_fallback_desk WHERE case_id = @id", ("id", caseId)),
                found => found is not null, TimeSpan.FromSeconds(120),
                "the overdue case never reached the fallback desk after its silo was killed");
            var view = await Poll.UntilAsync(() => cluster.Client.GetGrain<ICaseGrain>(caseId).GetAsync(), v => v!.Overdue, TimeSpan.FromSeconds(30),
                "the case is not flagged overdue");

            Assert.NotNull(reason);
            Assert.Single(view!.Timeline, e => e.Type == "Overdue" && e.Detail!.StartsWith("Case was due", StringComparison.Ordinal));
            Assert.Single(view.Timeline, e => e.Type == "Escalated");
        }
        finally
        {
            // The cluster is disposed by now; the copied catalog is this test's alone.
            Directory.Delete(catalog, recursive: true);
        }
    }

    [Fact]
    public async Task AnIdleCaseLeavesMemoryAndItsDeadlineStillFlagsIt()
    {
        var catalog = CatalogWithQuickItem();
        try
        {
            var (cluster, connectionString) = await PostgresTestCluster.StartAsync(1, "idle_case", new Dictionary<string, string?>
            {
                [PostgresSiloConfigurator.MinimumReminderPeriodKey] = "00:00:02",
                [PostgresSiloConfigurator.CaseCollectionAgeKey] = "00:00:03",
                ["OneThing:Catalog:Directory"] = catalog,
            });
            await using var _cluster = cluster;
            await using var api = new OneThingApiFactory(cluster, connectionString);
            var caseId = (await new CaseDriver(api).SubmitNewAsync("quick-check", 43)).GetProperty("caseId").GetString()!;
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            var @case = cluster.Client.GetGrain<ICaseGrain>(caseId);
            Assert.NotNull(await management.GetActivationAddress(@case));

            // Well before its deadline (20 s) the untouched case is no longer active anywhere...
            await Poll.UntilAsync(() => management.GetActivationAddress(@case).AsTask(), address => address is null, TimeSpan.FromSeconds(15),
                "the idle case was still in memory 15 s after its last call, with a collection age of 3 s");
            Assert.Null(await TestDatabase.ScalarAsync(connectionString, "SELECT reason FROM onething_fallback_desk WHERE case_id = @id", ("id", caseId)));

            // ...and its reminder brings it back when the deadline passes.
            await Poll.UntilAsync(
                () => TestDatabase.ScalarAsync(connectionString, "SELECT reason FROM onething_fallback_desk WHERE case_id = @id", ("id", caseId)),
                found => found is not null, TimeSpan.FromSeconds(90),
                "the idle case's deadline passed but it never reached the fallback desk");
            var view = await @case.GetAsync();
            Assert.True(view!.Overdue);
            Assert.Equal(caseId, view.CaseId);
            Assert.Single(view.Timeline, e => e.Type == "Escalated");
        }
        finally
        {
            Directory.Delete(catalog, recursive: true);
        }
    }

    /// <summary>The built-in catalog plus an item due 20 seconds after submission.</summary>
    private static string CatalogWithQuickItem()
    {
        var directory = Directory.CreateTempSubdirectory("onething-catalog-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "catalog"), "*.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory, Path.GetRelativePath(Path.Combine(AppContext.BaseDirectory, "catalog"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var item = new JsonObject
        {
            ["code"] = "quick-check",
            ["name"] = "快速核验（测试）",
            ["version"] = 1,
            ["audience"] = "individual",
            ["leadDepartment"] = "health",
            ["timeLimit"] = new JsonObject { ["duration"] = "PT20S" },
            ["description"] = "A test item due 20 seconds after submission.",
            ["form"] = new JsonArray(new JsonObject { ["name"] = "note", ["label"] = "备注", ["type"] = "string", ["required"] = true }),
            ["materials"] = new JsonArray(new JsonObject { ["code"] = "id-card", ["name"] = "身份证", ["required"] = true, ["deferrable"] = false }),
            ["matters"] = new JsonArray(new JsonObject
            {
                ["code"] = "check",
                ["name"] = "核验",
                ["department"] = "health",
                ["dependsOn"] = new JsonArray(),
                ["optional"] = false,
                ["timeLimit"] = new JsonObject { ["duration"] = "PT20S" },
                ["inputs"] = new JsonArray("note"),
                ["outputs"] = new JsonArray("checkReference"),
            }),
        };
        File.WriteAllText(Path.Combine(directory, "items", "quick-check.json"), item.ToJsonString());
        return directory;
    }
}
