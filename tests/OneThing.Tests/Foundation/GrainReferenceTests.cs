using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Grains.Tasks;

namespace OneThing.Tests.Foundation;

/// <summary>References made from remembered types address the same grain, through the same interface, as GetGrain.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class GrainReferenceTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public void ReferencesMatchThoseOrleansMakesOnEveryCall()
    {
        var client = fixture.Cluster.Client;
        // The first call resolves the types, the later ones reuse them: both must agree with Orleans.
        foreach (var key in new[] { "first-case", "second-case", "case/with:odd chars" })
        {
            AssertSame(client.GetGrain<ICaseGrain>(key), client.Reference<ICaseGrain>(key));
        }
        foreach (var key in new long[] { 0, 7, -3 })
        {
            AssertSame(client.GetGrain<ICatalogGrain>(key), client.Reference<ICatalogGrain>(key));
        }
    }

    [Fact]
    public async Task AReferenceReachesItsGrain()
    {
        var client = fixture.Cluster.Client;
        Assert.Null(await client.Reference<ICaseGrain>($"no-such-case-{Guid.NewGuid():N}").GetAsync());
        Assert.NotEmpty(await client.Reference<ICatalogGrain>(0).GetItemsAsync());
    }

    private static void AssertSame(object expected, object actual)
    {
        var (orleans, ours) = ((GrainReference)expected, (GrainReference)actual);
        Assert.Equal(orleans.GrainId, ours.GrainId);
        Assert.Equal(orleans.InterfaceType, ours.InterfaceType);
        Assert.IsType(expected.GetType(), actual);
    }
}
