using System.Net.Http.Json;
using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Catalog;

/// <summary>
/// Every item the catalog ships, in every variant, runs end to end through the HTTP API: the portal submits a complete
/// application with every optional matter (filed in the variant's region), and each department works its own tasks
/// with its own key until the case completes.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class EveryItemRunsToCompletionTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 3_100_000;

    /// <summary>Every item file: <c>newborn</c> (the national base), <c>newborn.chongqing</c> (Chongqing's variant), ….</summary>
    public static TheoryData<string> ItemFiles()
    {
        var files = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(CatalogServiceCollectionExtensions.DefaultDirectory, "items"), "*.json")
            .Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileNameWithoutExtension(path));
        }
        return files;
    }

    [Theory]
    [MemberData(nameof(ItemFiles))]
    public async Task ItemRunsToCompletionWithEachDepartmentWorkingItsOwnTasks(string itemFile)
    {
        var definition = JsonSerializer.Deserialize<ItemDefinition>(
            File.ReadAllText(Path.Combine(CatalogServiceCollectionExtensions.DefaultDirectory, "items", itemFile + ".json")), ItemCatalog.JsonOptions)!;
        var (itemCode, region) = (definition.Code, definition.Region);
        var driver = new CaseDriver(fixture.Api);
        var item = await driver.ItemAsync(itemCode, region);
        Assert.Equal(definition.Version, item.GetProperty("version").GetInt32());
        var matters = item.GetProperty("matters").EnumerateArray().ToDictionary(m => m.GetProperty("code").GetString()!);

        var submitted = await driver.SubmitNewAsync(itemCode, Interlocked.Increment(ref _seed), region);
        Assert.Equal((region, definition.Version), (submitted.GetProperty("itemRegion").GetString(), submitted.GetProperty("itemVersion").GetInt32()));
        var caseId = submitted.GetProperty("caseId").GetString()!;
        var ended = await driver.RunToEndAsync(caseId);

        Assert.True(ended.GetProperty("status").GetString() == "Completed", $"{itemFile}: case ended {ended.GetProperty("status")}: {ended}");
        var tasks = ended.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(matters.Keys.Order(StringComparer.Ordinal), tasks.Select(t => t.GetProperty("matterCode").GetString()!).Order(StringComparer.Ordinal));
        foreach (var task in tasks)
        {
            var matter = matters[task.GetProperty("matterCode").GetString()!];
            Assert.Equal(matter.GetProperty("department").GetString(), task.GetProperty("department").GetString());
            Assert.Equal("Completed", task.GetProperty("status").GetString());
            // What a matter produced reaches every later matter that declares it: no department asks twice.
            var outputs = task.GetProperty("outputs");
            foreach (var output in matter.GetProperty("outputs").EnumerateArray())
            {
                Assert.Equal($"{output.GetString()}-{caseId}", outputs.GetProperty(output.GetString()!).GetString());
            }
        }
        foreach (var task in tasks)
        {
            await AssertHandedOverAsync(driver, itemFile, caseId, task, matters, tasks);
        }
    }

    /// <summary>Each input that an earlier matter produces arrives in the task, as the department that produced it wrote it.</summary>
    private static async Task AssertHandedOverAsync(
        CaseDriver driver, string itemCode, string caseId, JsonElement task, Dictionary<string, JsonElement> matters, List<JsonElement> tasks)
    {
        var department = task.GetProperty("department").GetString()!;
        var detail = await driver.Department(department).GetFromJsonAsync<JsonElement>(
            new Uri($"/api/tasks/{task.GetProperty("taskId").GetString()}", UriKind.Relative));
        var producedBy = tasks
            .SelectMany(t => matters[t.GetProperty("matterCode").GetString()!].GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!))
            .ToHashSet(StringComparer.Ordinal);
        var inputs = detail.GetProperty("inputs");
        foreach (var input in matters[task.GetProperty("matterCode").GetString()!].GetProperty("inputs").EnumerateArray().Select(i => i.GetString()!))
        {
            if (producedBy.Contains(input))
            {
                Assert.True(inputs.TryGetProperty(input, out var value) && value.GetString() == $"{input}-{caseId}",
                    $"{itemCode}: {department} did not receive '{input}' in {detail}");
            }
        }
    }
}
