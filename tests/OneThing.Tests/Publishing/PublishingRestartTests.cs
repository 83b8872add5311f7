using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Events;
using OneThing.Tests.Fixtures;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using static OneThing.Tests.Publishing.PublishingDriver;

namespace OneThing.Tests.Publishing;

/// <summary>Clusters of their own: one is stopped and another started over its database.</summary>
public sealed class PublishingRestartTests
{
    private static readonly Dictionary<string, string?> NoRefreshDuringTheTest = new() { ["OneThing:Catalog:RefreshInterval"] = "01:00:00" };

    [Fact]
    public async Task SiloThatHasNotRefreshedStillFindsAPublishedItemAndItsVersion()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "publish_lag", NoRefreshDuringTheTest);
        await using var _ = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var ops = api.CreateClient("test-ops");
        var code = NewCode("lag");

        var (status, _, body) = await PutAsync(ops, $"/api/items/{code}", await CopyOfAsync(ops, "retirement", code));

        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        var silos = SiloServices(cluster);
        // The silo that handled the PUT serves the version at once; the other has not refreshed (an hour away).
        var handler = Assert.Single(silos, silo => ListedVersion(silo, code) == 1);
        var other = Assert.Single(silos, silo => silo != handler);
        Assert.Null(ListedVersion(other, code));
        // A case placed on the other silo asks for the version the API validated against; it is read from the table,
        // by the asynchronous look-up only: the synchronous one never leaves memory.
        Assert.Null(CatalogOf(other).Find(code, 1));
        Assert.Equal(1, (await CatalogOf(other).FindVariantAsync(code, null, 1))?.Version);
        Assert.Equal(1, ListedVersion(other, code));

        // The same for a regional variant: the exact (code, region, version) is read, not the national base it would fall back to.
        var variant = (await GetItemAsync(ops, code)).DeepClone().AsObject();
        variant["region"] = "chongqing";
        variant["name"] = $"测试一件事 {code}（重庆）";
        var (variantStatus, _, variantBody) = await PutAsync(ops, $"/api/items/{code}", variant);
        Assert.True(variantStatus == HttpStatusCode.Created, $"publish answered {variantStatus}: {variantBody}");
        var unaware = Assert.Single(silos, silo => ListedVersion(silo, code, "chongqing") is null);
        var found = await CatalogOf(unaware).FindAsync(code, "chongqing", 1);
        Assert.Equal(("chongqing", $"测试一件事 {code}（重庆）"), (found?.Region, found?.Name));
        Assert.Equal(1, ListedVersion(unaware, code, "chongqing"));
        Assert.Equal(["chongqing"], CatalogOf(unaware).Regions(code));
    }

    [Fact]
    public async Task CaseStartedOnAVersionPublishedThroughOneSiloReactivatesOnASiloThatHasNotRefreshed()
    {
        var (cluster, connectionString) = await PostgresTestCluster.StartAsync(2, "publish_reactivate", NoRefreshDuringTheTest);
        await using var _ = cluster;
        await using var api = new OneThingApiFactory(cluster, connectionString);
        var ops = api.CreateClient("test-ops");
        var code = NewCode("moved");
        var (status, _, body) = await PutAsync(ops, $"/api/items/{code}", await CopyOfAsync(ops, "retirement", code));
        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        var silos = SiloServices(cluster);
        var handler = Assert.Single(silos, silo => ListedVersion(silo, code) == 1);
        var unaware = Assert.Single(silos, silo => silo != handler);
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var grain = cluster.Client.GetGrain<ICaseGrain>($"moved-{Guid.NewGuid():N}");

        // Started on the silo that published the version...
        var submitted = await PlacedOnAsync(handler, () => grain.SubmitAsync(new SubmitCase(
            code, "web", null, new Applicant("person", "测试", TestIdentities.IdNumber(3_100_001), null, TestIdentities.Phone),
            new Dictionary<string, string>(), [], [], null, "moved", ItemVersion: 1), new EventActor("portal", "test-portal")));
        Assert.Equal((code, 1), (submitted.Value?.ItemCode, submitted.Value?.ItemVersion));
        Assert.Equal(AddressOf(handler), await management.GetActivationAddress(grain));

        // ...then its silo dies, and the case wakes on the other, which never heard of the version: it reads it
        // without blocking a grain thread.
        Assert.Null(ListedVersion(unaware, code));
        await cluster.KillSiloAsync(cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(AddressOf(handler))));
        var woken = await Poll.UntilAsync(grain.GetAsync, view => view is not null, TimeSpan.FromSeconds(60),
            "the case did not answer from the remaining silo");

        Assert.Equal(AddressOf(unaware), await management.GetActivationAddress(grain));
        Assert.Equal((code, 1, submitted.Value!.Tasks.Count), (woken?.ItemCode, woken?.ItemVersion, woken?.Tasks.Count));
        Assert.Equal(1, ListedVersion(unaware, code));
    }

    [Fact]
    public async Task PublishedItemsCalendarYearsAndCasesOnThemSurviveARestart()
    {
        var (first, connectionString) = await PostgresTestCluster.StartAsync(1, "publish_restart");
        var serviceId = first.Options.ServiceId;
        var code = NewCode("restart");
        string caseId;
        await using (var api = new OneThingApiFactory(first, connectionString))
        {
            var ops = api.CreateClient("test-ops");
            var published = await PutAsync(ops, $"/api/items/{code}", await CopyOfAsync(ops, "retirement", code));
            Assert.True(published.Status == HttpStatusCode.Created, $"publish answered {published.Status}: {published.Body}");
            var year = await PutAsync(ops, "/api/calendar/2027", new JsonObject
            {
                ["holidays"] = new JsonArray("2027-01-01", "2027-03-03"),
                ["workingWeekends"] = new JsonArray(),
            });
            Assert.True(year.Status == HttpStatusCode.Created, $"calendar answered {year.Status}: {year.Body}");
            var submitted = await new CaseDriver(api).SubmitNewAsync(code, 3_000_001);
            Assert.Equal(1, submitted.GetProperty("itemVersion").GetInt32());
            caseId = submitted.GetProperty("caseId").GetString()!;
        }
        await first.DisposeAsync();

        var second = await PostgresTestCluster.StartAsync(connectionString, 1, "publish_restart", serviceId: serviceId);
        await using var __ = second;
        await using var restarted = new OneThingApiFactory(second, connectionString);
        var portal = restarted.CreateClient("test-portal");

        var item = await GetItemAsync(portal, code);
        Assert.Equal(1, item["version"]!.GetValue<int>());
        using var yearResponse = await portal.GetAsync(new Uri("/api/calendar/2027", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, yearResponse.StatusCode);
        Assert.False(CalendarOf(Assert.Single(SiloServices(second))).IsWorkingDay(new DateOnly(2027, 3, 3)));
        // The case re-activates on a silo that never saw the publish: its version comes from the table.
        var driver = new CaseDriver(restarted);
        Assert.Equal(1, (await driver.CaseAsync(caseId)).GetProperty("itemVersion").GetInt32());
        Assert.Equal("Completed", (await driver.RunToEndAsync(caseId)).GetProperty("status").GetString());
    }

    /// <summary>Makes the call with a placement hint: a grain it activates is activated on <paramref name="silo"/>.</summary>
    private static async Task<T> PlacedOnAsync<T>(IServiceProvider silo, Func<Task<T>> call)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, AddressOf(silo));
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    private static SiloAddress AddressOf(IServiceProvider silo) => silo.GetRequiredService<ILocalSiloDetails>().SiloAddress;
}
