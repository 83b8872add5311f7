using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Catalog;

/// <summary><c>GET /api/departments</c>: the department list, open to every role, beside each department's own inbox.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class DepartmentCatalogApiTests(TwoSiloClusterFixture fixture)
{
    private static readonly IReadOnlyList<DepartmentDefinition> Shipped = JsonSerializer.Deserialize<List<DepartmentDefinition>>(
        File.ReadAllText(Path.Combine(CatalogServiceCollectionExtensions.DefaultDirectory, "departments.json")), ItemCatalog.JsonOptions)!;

    [Theory]
    [InlineData("test-portal")]
    [InlineData("test-ops")]
    [InlineData("test-health")]
    [InlineData("test-power-grid")]
    public async Task EveryRoleListsEveryDepartmentWithItsChineseNameAndKind(string apiKey)
    {
        using var client = fixture.Api.CreateClient(apiKey);

        using var response = await client.GetAsync(new Uri("/api/departments", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listed = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Select(d => (Code: d.GetProperty("code").GetString(), Name: d.GetProperty("name").GetString(), Kind: d.GetProperty("kind").GetString()))
            .ToList();
        Assert.Equal(Shipped.Select(d => (Code: (string?)d.Code, Name: (string?)d.Name, Kind: (string?)d.Kind)), listed);
        Assert.All(listed, d => Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", d.Name!));
        Assert.Contains(listed, d => d is { Code: "power-grid", Kind: "utility" });
        Assert.Contains(listed, d => d is { Code: "court", Kind: "agency" });
    }

    [Fact]
    public async Task DepartmentListNeedsAKey()
    {
        using var client = fixture.Api.CreateClient(apiKey: null);

        using var response = await client.GetAsync(new Uri("/api/departments", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task DepartmentInboxStaysTheDepartmentsOwn()
    {
        using var portal = fixture.Api.CreateClient("test-portal");
        using var health = fixture.Api.CreateClient("test-health");

        using var refused = await portal.GetAsync(new Uri("/api/departments/health/tasks", UriKind.Relative));
        using var own = await health.GetAsync(new Uri("/api/departments/health/tasks", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }
}
