using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Api.Catalog;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Catalog;

/// <summary>
/// Regional variants over HTTP: <c>?region=</c> picks Chongqing's newborn item (10 matters) where the national base has
/// 5, every served item lists the regions that have a variant, and a case runs the variant of the region it is filed in.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class RegionalVariantApiTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 3_400_000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task ItemListServesNationalBasesAndForChongqingItsNewbornVariant()
    {
        var national = await ListAsync("/api/items");
        var chongqing = await ListAsync("/api/items?region=chongqing");
        var shanghai = await ListAsync("/api/items?region=shanghai");

        Assert.Equal(national.Keys, chongqing.Keys);
        Assert.Equal((1, 5, JsonValueKind.Null), Shape(national["newborn"]));
        Assert.Equal((2, 10, JsonValueKind.String), Shape(chongqing["newborn"]));
        Assert.Equal("chongqing", chongqing["newborn"].GetProperty("region").GetString());
        Assert.Equal((1, 5, JsonValueKind.Null), Shape(shanghai["newborn"]));
        Assert.Equal(["chongqing"], Regions(national["newborn"]));
        Assert.Equal(["chongqing"], Regions(chongqing["newborn"]));
        Assert.Empty(Regions(national["retirement"]));
        Assert.Equal(national["retirement"].GetRawText(), chongqing["retirement"].GetRawText());
    }

    [Theory]
    [InlineData("/api/items/newborn", 1, 5, null)]
    [InlineData("/api/items/newborn?region=chongqing", 2, 10, "chongqing")]
    [InlineData("/api/items/newborn?region=chongqing&version=2", 2, 10, "chongqing")]
    [InlineData("/api/items/newborn?region=shanghai", 1, 5, null)]
    [InlineData("/api/items/newborn?region=shanghai&version=1", 1, 5, null)]
    [InlineData("/api/items/newborn?region=", 1, 5, null)]
    [InlineData("/api/items/retirement?region=chongqing", 1, 4, null)]
    public async Task OneItemIsTheRegionsVariantWhereItHasOneElseTheNationalBase(string path, int version, int matters, string? region)
    {
        var item = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative));

        Assert.Equal(version, item.GetProperty("version").GetInt32());
        Assert.Equal(matters, item.GetProperty("matters").GetArrayLength());
        Assert.Equal(region, item.GetProperty("region").GetString());
        string[] variants = item.GetProperty("code").GetString() == "newborn" ? ["chongqing"] : [];
        Assert.Equal(variants, Regions(item));
    }

    [Theory]
    [InlineData("/api/items/newborn?region=chongqing&version=1")]
    [InlineData("/api/items/newborn?version=2")]
    [InlineData("/api/items/no-such-item?region=chongqing")]
    public async Task UnknownItemOrVersionOfTheVariantIs404(string path)
    {
        using var response = await _driver.Portal.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/api/items/newborn?region=Chongqing", 10)]
    [InlineData("/api/items/newborn?region=%20chongqing%20", 10)]
    [InlineData("/api/items/newborn?region=%E9%87%8D%E5%BA%86", 5)]
    [InlineData("/api/items/newborn?region=chong%20qing", 5)]
    public async Task RegionIsMatchedIgnoringCaseAndOtherTextMeansTheNationalBase(string path, int matters)
    {
        var item = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative));

        Assert.Equal(matters, item.GetProperty("matters").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/items?region=")]
    [InlineData("/api/items/newborn?region=")]
    [InlineData("/api/items/no-such-item?region=%01x")]
    public async Task RegionTooLongOrWithControlCharactersIs400NamingTheRegion(string path)
    {
        using var response = await _driver.Portal.GetAsync(new Uri(path.EndsWith('=') ? path + new string('x', 65) : path, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty("region", out _), $"expected an error for region: {problem}");
    }

    [Theory]
    [InlineData("chongqing", 2, 10)]
    [InlineData("shanghai", 1, 5)]
    [InlineData(null, 1, 5)]
    public async Task CaseRunsTheVariantOfTheRegionItIsFiledIn(string? region, int version, int matters)
    {
        var submitted = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed), region);
        var caseId = submitted.GetProperty("caseId").GetString()!;

        var view = await _driver.CaseAsync(caseId);

        Assert.Equal(region, view.GetProperty("region").GetString());
        Assert.Equal(region == "chongqing" ? "chongqing" : null, view.GetProperty("itemRegion").GetString());
        Assert.Equal(("newborn", version), (view.GetProperty("itemCode").GetString(), view.GetProperty("itemVersion").GetInt32()));
        Assert.Equal(matters, view.GetProperty("tasks").GetArrayLength());
        var item = await _driver.ItemAsync("newborn", region);
        Assert.Equal(
            item.GetProperty("matters").EnumerateArray().Select(m => m.GetProperty("code").GetString()),
            view.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("matterCode").GetString()));
    }

    [Fact]
    public async Task ApplicationIsCheckedAgainstTheVariantOfItsRegion()
    {
        // Chongqing's application asks for a bank account and opts into matters the national base does not have.
        var application = CaseDriver.SampleApplication(await _driver.ItemAsync("newborn", "chongqing"), Interlocked.Increment(ref _seed));
        application["region"] = "shanghai";

        var (status, problem) = await _driver.SubmitAsync(application);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("form.bankAccount", out _), $"expected form.bankAccount: {problem}");
        Assert.True(errors.TryGetProperty("optionalMatters", out _), $"expected optionalMatters: {problem}");
    }

    [Fact]
    public async Task DepartmentsAndSupplementsAreCheckedAgainstTheVariantTheCaseRuns()
    {
        var chongqingCase = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed), "chongqing")).GetProperty("caseId").GetString()!;
        var nationalCase = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed), "shanghai")).GetProperty("caseId").GetString()!;
        var health = _driver.Department("health");

        // The bank card (for allowances) is a material of Chongqing's variant only.
        var national = await RequestBankCardAsync(nationalCase);
        var chongqing = await RequestBankCardAsync(chongqingCase);

        Assert.Equal(HttpStatusCode.BadRequest, national.Status);
        Assert.Equal(HttpStatusCode.OK, chongqing.Status);
        Assert.Equal("AwaitingSupplement", (await _driver.CaseAsync(chongqingCase)).GetProperty("status").GetString());
        var (supplied, view) = await _driver.PostAsync(_driver.Portal, $"/api/cases/{chongqingCase}/supplements", new
        {
            materials = new[] { new { code = "bank-card", uri = "https://files.example.gov.cn/new/bank-card.pdf", sha256 = new string('c', 64) } },
            form = new { bankAccount = "6222020000000000001" },
        });
        Assert.True(supplied == HttpStatusCode.OK, $"supplement answered {supplied}: {view}");
        Assert.Equal("InProgress", view.GetProperty("status").GetString());

        async Task<(HttpStatusCode Status, JsonElement Body)> RequestBankCardAsync(string caseId)
        {
            var birth = CaseDriver.TaskOf(await _driver.CaseAsync(caseId), "birth-certificate").GetProperty("taskId").GetString();
            var (accepted, _) = await _driver.PostAsync(health, $"/api/tasks/{birth}/accept");
            Assert.Equal(HttpStatusCode.OK, accepted);
            return await _driver.PostAsync(health, $"/api/tasks/{birth}/supplement-requests",
                new { materials = new[] { "bank-card" }, note = "发放账户银行卡不清晰" });
        }
    }

    [Fact]
    public void ServedItemIsItsDefinitionUnchangedPlusItsRegions()
    {
        var catalog = ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory);
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        foreach (var item in catalog.Latest().Concat(catalog.Latest("chongqing")))
        {
            var served = JsonSerializer.SerializeToNode(CatalogItems.From(new CatalogEntry(item, catalog.Regions(item.Code))), web)!.AsObject();

            Assert.Equal(catalog.Regions(item.Code), served["regions"]!.AsArray().Select(region => region!.GetValue<string>()));
            served.Remove("regions");
            Assert.Equal(JsonSerializer.Serialize(item, web), served.ToJsonString(web));
        }
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheRegionQueryAndTheRegionsOfAnItem()
    {
        var document = await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        foreach (var path in new[] { "/api/items", "/api/items/{code}" })
        {
            var parameters = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters");
            Assert.Contains(parameters.EnumerateArray(), p => p.GetProperty("name").GetString() == "region" && p.GetProperty("in").GetString() == "query");
        }
        Assert.True(document.GetProperty("components").GetProperty("schemas").GetProperty(nameof(CatalogItem)).GetProperty("properties").TryGetProperty("regions", out _));
    }

    private async Task<Dictionary<string, JsonElement>> ListAsync(string path) =>
        (await _driver.Portal.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative)))
            .EnumerateArray()
            .ToDictionary(item => item.GetProperty("code").GetString()!);

    private static (int Version, int Matters, JsonValueKind Region) Shape(JsonElement item) =>
        (item.GetProperty("version").GetInt32(), item.GetProperty("matters").GetArrayLength(), item.GetProperty("region").ValueKind);

    private static List<string> Regions(JsonElement item) =>
        [.. item.GetProperty("regions").EnumerateArray().Select(region => region.GetString()!)];
}
