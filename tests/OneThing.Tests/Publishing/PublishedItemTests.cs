using System.Net;
using System.Text.Json.Nodes;
using OneThing.Tests.Fixtures;
using static OneThing.Tests.Publishing.PublishingDriver;

namespace OneThing.Tests.Publishing;

[Collection(PublishingClusterCollection.Name)]
public sealed class PublishedItemTests(PublishingClusterFixture fixture)
{
    private static int _seed = 2_000_000;
    private readonly HttpClient _ops = fixture.Api.CreateClient("test-ops");
    private readonly HttpClient _portal = fixture.Api.CreateClient("test-portal");
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task PublishedVersionBecomesTheNewestAndTheEarlierOneStaysReadable()
    {
        var before = await GetItemAsync(_portal, "retirement");
        var oldVersion = before["version"]!.GetValue<int>();
        var changed = before.DeepClone().AsObject();
        changed["name"] = "退休一件事（新版）";

        var (status, location, body) = await PutAsync(_ops, "/api/items/retirement", changed);

        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        Assert.Equal($"/api/items/retirement?version={oldVersion + 1}", location);
        Assert.Equal(oldVersion + 1, body!["version"]!.GetValue<int>());
        await AllSilosListAsync(fixture.Cluster, "retirement", oldVersion + 1);
        var newest = await GetItemAsync(_portal, "retirement");
        Assert.Equal(oldVersion + 1, newest["version"]!.GetValue<int>());
        Assert.Equal("退休一件事（新版）", newest["name"]!.GetValue<string>());
        var earlier = await GetItemAsync(_portal, "retirement", oldVersion);
        Assert.Equal(before["name"]!.GetValue<string>(), earlier["name"]!.GetValue<string>());
        Assert.Equal(1L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = 'retirement' AND version = @version", ("version", oldVersion + 1)));
    }

    [Fact]
    public async Task RunningCaseKeepsItsVersionAndNewCasesTakeThePublishedOne()
    {
        var item = await GetItemAsync(_portal, "newborn");
        var oldVersion = item["version"]!.GetValue<int>();
        var earlyCase = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));
        Assert.Equal(oldVersion, earlyCase.GetProperty("itemVersion").GetInt32());

        var changed = item.DeepClone().AsObject();
        changed["name"] = "出生一件事（新版）";
        var (status, _, body) = await PutAsync(_ops, "/api/items/newborn", changed);
        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        await AllSilosListAsync(fixture.Cluster, "newborn", oldVersion + 1);
        var lateCase = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed));

        Assert.Equal(oldVersion + 1, lateCase.GetProperty("itemVersion").GetInt32());
        var earlyId = earlyCase.GetProperty("caseId").GetString()!;
        Assert.Equal(oldVersion, (await _driver.CaseAsync(earlyId)).GetProperty("itemVersion").GetInt32());
        Assert.Equal("Completed", (await _driver.RunToEndAsync(earlyId)).GetProperty("status").GetString());
        Assert.Equal("Completed", (await _driver.RunToEndAsync(lateCase.GetProperty("caseId").GetString()!)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ChongqingVersionMovesNeitherTheNationalBaseNorARunningCase()
    {
        var nationalBefore = (await GetItemAsync(_portal, "newborn"))["version"]!.GetValue<int>();
        var chongqing = await GetItemAsync(_portal, "newborn", region: "chongqing");
        var oldVersion = chongqing["version"]!.GetValue<int>();
        var runningCase = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed), "chongqing");
        Assert.Equal(oldVersion, runningCase.GetProperty("itemVersion").GetInt32());

        var changed = chongqing.DeepClone().AsObject();
        changed["name"] = "新生儿出生一件事（重庆新版）";
        var (status, location, body) = await PutAsync(_ops, "/api/items/newborn", changed);
        var again = await PutAsync(_ops, "/api/items/newborn", changed);

        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        Assert.Equal($"/api/items/newborn?region=chongqing&version={oldVersion + 1}", location);
        Assert.Equal(("chongqing", oldVersion + 1), (body!["region"]!.GetValue<string>(), body["version"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(oldVersion + 1, again.Body!["version"]!.GetValue<int>());
        await AllSilosListAsync(fixture.Cluster, "newborn", oldVersion + 1, "chongqing");
        var national = await GetItemAsync(_portal, "newborn");
        Assert.Equal(nationalBefore, national["version"]!.GetValue<int>());
        Assert.Null(national["region"]);
        Assert.Equal("新生儿出生一件事（重庆新版）", (await GetItemAsync(_portal, "newborn", region: "chongqing"))["name"]!.GetValue<string>());
        Assert.Equal(1L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = 'newborn' AND region = 'chongqing'"));

        var lateCase = await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed), "chongqing");
        Assert.Equal(oldVersion + 1, lateCase.GetProperty("itemVersion").GetInt32());
        var runningId = runningCase.GetProperty("caseId").GetString()!;
        var ended = await _driver.RunToEndAsync(runningId);
        Assert.Equal(("Completed", oldVersion, "chongqing", 10), (ended.GetProperty("status").GetString(), ended.GetProperty("itemVersion").GetInt32(),
            ended.GetProperty("itemRegion").GetString(), ended.GetProperty("tasks").GetArrayLength()));
    }

    [Fact]
    public async Task VariantOfAnItemWithoutANationalBaseIsRefused()
    {
        var code = NewCode("orphan");
        var item = await CopyOfAsync(_portal, "retirement", code);
        item["region"] = "chongqing";

        var (status, _, body) = await PutAsync(_ops, $"/api/items/{code}", item);

        Assert.True(status == HttpStatusCode.BadRequest, $"publish answered {status}: {body}");
        Assert.NotNull(body!["errors"]!["region"]);
        Assert.Equal(0L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = @code", ("code", code)));
    }

    [Fact]
    public async Task PublishingTheSameDefinitionAgainReturnsThatVersion()
    {
        var code = NewCode("same");
        var item = await CopyOfAsync(_portal, "company-info-change", code);

        var first = await PutAsync(_ops, $"/api/items/{code}", item);
        var again = await PutAsync(_ops, $"/api/items/{code}", item);
        item["version"] = 7;
        item.Remove("code");
        var withOtherNumberAndNoCode = await PutAsync(_ops, $"/api/items/{code}", item);

        Assert.True(first.Status == HttpStatusCode.Created, $"first publish answered {first.Status}: {first.Body}");
        Assert.Equal($"/api/items/{code}?version=1", first.Location);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(1, again.Body!["version"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, withOtherNumberAndNoCode.Status);
        Assert.Equal(1, withOtherNumberAndNoCode.Body!["version"]!.GetValue<int>());
        Assert.Equal(1L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = @code", ("code", code)));
    }

    [Fact]
    public async Task PublishingABuiltInItemUnchangedCreatesNoVersion()
    {
        var builtIn = await GetItemAsync(_portal, "company-deregistration");

        var (status, _, body) = await PutAsync(_ops, "/api/items/company-deregistration", builtIn);

        Assert.True(status == HttpStatusCode.OK, $"publish answered {status}: {body}");
        Assert.Equal(builtIn["version"]!.GetValue<int>(), body!["version"]!.GetValue<int>());
        Assert.Equal(0L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = 'company-deregistration'"));
    }

    public static TheoryData<string, string, string> InvalidItems => new()
    {
        // matters[0] is pension-application; housing-fund-withdrawal (matters[2]) already depends on it.
        { "dependency cycle", """{ "matters": { "0": { "dependsOn": ["housing-fund-withdrawal"] } } }""", "cycle" },
        { "unknown department", """{ "matters": { "1": { "department": "nowhere" } } }""", "matters[1].department" },
        { "unknown lead department", """{ "leadDepartment": "nowhere" }""", "leadDepartment" },
        { "wrong JSON type", """{ "matters": { "0": { "optional": "yes" } } }""", "matters[0].optional" },
        { "misspelt property", """{ "timeLimt": { "workingDays": 5 } }""", "timeLimt" },
        { "code of another item", """{ "code": "newborn" }""", "code" },
        { "region that is no region code", """{ "region": "Chong Qing" }""", "region" },
    };

    [Theory]
    [MemberData(nameof(InvalidItems))]
    public async Task InvalidItemIsRefusedNamingTheProblemAndNothingIsStored(string breakage, string patch, string expected)
    {
        var code = NewCode("bad");
        var item = await CopyOfAsync(_portal, "retirement", code);
        Merge(item, JsonNode.Parse(patch)!.AsObject());

        var (status, _, body) = await PutAsync(_ops, $"/api/items/{code}", item);

        Assert.True(status == HttpStatusCode.BadRequest, $"{breakage}: answered {status}: {body}");
        var errors = body!["errors"]!.AsObject();
        Assert.True(errors.Any(error => error.Key == expected || error.Value!.ToJsonString().Contains(expected, StringComparison.Ordinal)),
            $"{breakage}: expected an error naming '{expected}', got {errors.ToJsonString()}");
        Assert.Equal(0L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = @code", ("code", code)));
    }

    [Fact]
    public async Task CycleIsReportedOnTheMatterWhoseDependencyClosesIt()
    {
        var code = NewCode("cycle");
        var item = await CopyOfAsync(_portal, "retirement", code);
        Merge(item, JsonNode.Parse("""{ "matters": { "0": { "dependsOn": ["housing-fund-withdrawal"] } } }""")!.AsObject());

        var (_, _, body) = await PutAsync(_ops, $"/api/items/{code}", item);

        var messages = body!["errors"]!["matters[0].dependsOn"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.Contains(messages, m => m.Contains("dependency cycle", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("test-portal", HttpStatusCode.Forbidden)]
    [InlineData("test-health", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task OnlyOpsMayPublish(string? key, HttpStatusCode expected)
    {
        var code = NewCode("auth");
        var item = await CopyOfAsync(_portal, "retirement", code);

        var (status, _, _) = await PutAsync(fixture.Api.CreateClient(key), $"/api/items/{code}", item);

        Assert.Equal(expected, status);
        Assert.Equal(0L, await TestDatabase.ScalarAsync(fixture.ConnectionString,
            "SELECT count(*) FROM onething_published_items WHERE code = @code", ("code", code)));
    }

    [Fact]
    public async Task EverySiloLearnsAVersionPublishedThroughAnother()
    {
        var code = NewCode("spread");
        var item = await CopyOfAsync(_portal, "retirement", code);

        var (status, _, body) = await PutAsync(_ops, $"/api/items/{code}", item);

        Assert.True(status == HttpStatusCode.Created, $"publish answered {status}: {body}");
        // Only one silo handled the PUT; the other lists the item once its refresh has read the row.
        await AllSilosListAsync(fixture.Cluster, code, 1);
    }

    /// <summary>Sets <paramref name="patch"/>'s values into <paramref name="target"/>; an object keyed "0", "1" patches array elements.</summary>
    private static void Merge(JsonNode target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            var child = target is JsonArray array ? array[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] : target[key];
            if (value is JsonObject nested && child is JsonObject or JsonArray)
            {
                Merge(child!, nested);
                continue;
            }
            patch.Remove(key);
            if (target is JsonArray list)
            {
                list[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] = value;
            }
            else
            {
                target[key] = value;
            }
        }
    }
}
