using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using OneThing.Contracts.Cases;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;
using OneThing.Silo.Hosting.Privacy;
using OneThing.Tests.Fixtures;
using Orleans.TestingHost;

namespace OneThing.Tests.Privacy;

/// <summary>
/// Identity numbers and phones as whoever reads the database (or a backup of it) sees them: sealed in every row, while
/// the portal and the departments read them in clear over HTTP. Each test runs its own cluster on its own database,
/// so it can stop it and start another with other keys.
/// </summary>
public sealed class PersonalDataAtRestTests
{
    private const string Phone = TestIdentities.Phone;

    [Fact]
    public async Task StoredRowsHoldNoIdentityNumberOrPhoneWhileHttpViewsShowThemInClear()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("pd_lifecycle");
        await using var system = await TestSystem.StartAsync(connectionString, "pd_lifecycle");
        var (caseId, applicant) = await SubmitAndReachMedicalInsuranceAsync(system.Driver, seed: 881_001);

        await AssertNothingPersonalIsStoredAsync(connectionString, applicant);
        // Everything else stays readable to ops.
        Assert.Equal("测试babyName", await TestDatabase.ScalarAsync(connectionString,
            "SELECT view -> 'inputs' ->> 'babyName' FROM onething_department_tasks WHERE task_id = @task", ("task", $"{caseId}.residents-medical-insurance")));
        Assert.Equal("张三", await TestDatabase.ScalarAsync(connectionString,
            "SELECT data -> 'application' -> 'applicant' ->> 'name' FROM onething_case_events WHERE case_id = @case AND seq = 1", ("case", caseId)));
        await AssertHttpViewsShowInClearAsync(system, caseId, applicant);
        await AssertResubmissionIsTheSameCaseAsync(system.Driver, caseId, applicant);

        await system.Driver.RunToEndAsync(caseId);
        await AssertNothingPersonalIsStoredAsync(connectionString, applicant);
        var view = await system.Driver.CaseAsync(caseId);
        Assert.Equal(applicant.IdNumber, view.GetProperty("applicant").GetProperty("idNumber").GetString());
        Assert.False(view.GetProperty("applicant").TryGetProperty("key", out _), $"the case document repeats the identity number as applicant.key: {view}");
        Assert.Contains(caseId, await ApplicantCasesAsync(system.Driver, applicant.IdNumber));
    }

    [Fact]
    public async Task AfterADataKeyRotationOldRowsStayReadableAndProtectExistingResealsThemUnderTheNewKey()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("pd_rotation");
        var newKey = TestPrivacyKeys.NewKey();
        var rotated = new Dictionary<string, string?>
        {
            [PrivacyKeys.DataKeyName] = newKey,
            [$"{PrivacyKeys.RetiredDataKeysName}:0"] = TestPrivacyKeys.DataKey,
        };
        string caseId;
        Applicant applicant;
        string serviceId;
        await using (var before = await TestSystem.StartAsync(connectionString, "pd_rotation"))
        {
            (caseId, applicant) = await SubmitAndReachMedicalInsuranceAsync(before.Driver, seed: 881_101);
            serviceId = before.Cluster.Options.ServiceId;
            // The applicant's own request to the fallback desk stores the applicant sealed, as the case does.
            var view = await before.Driver.CaseAsync(caseId);
            var (filed, _) = await before.Driver.PostAsync(before.Driver.Portal, "/api/fallback-desk/cases", new
            {
                caseId,
                applicant = new { kind = "person", name = view.GetProperty("applicant").GetProperty("name").GetString(), idNumber = applicant.IdNumber, phone = "13800138000" },
                description = "新生儿医保办不成",
            });
            Assert.Equal(HttpStatusCode.Created, filed);
        }
        var oldKeyId = TestPrivacyKeys.Keys.Protector.CurrentKeyId;
        Assert.NotEqual(0, await CountStoredAsync(connectionString, $"pd1:{oldKeyId}:"));
        // A webhook secret sealed under the old key, as a subscription made before the rotation stores it.
        var webhookSecret = OneThing.Grains.Webhooks.WebhookSignature.NewSecret();
        await TestDatabase.ScalarAsync(connectionString, """
            INSERT INTO onething_subscriptions (subscription_id, kind, url, event_types, created_by, secret, partitions, fingerprint, created_at, fed_position)
            VALUES (gen_random_uuid(), 'webhook', 'https://hooks.example.com/x', '{*}', 'ops', @secret, 4, 'f', now(), 0)
            """, ("secret", TestPrivacyKeys.Keys.Protector.Protect(webhookSecret)));

        await using (var during = await TestSystem.StartAsync(connectionString, "pd_rotation", rotated, serviceId))
        {
            await AssertHttpViewsShowInClearAsync(during, caseId, applicant);
            var task = CaseDriver.TaskOf(await during.Driver.CaseAsync(caseId), "residents-medical-insurance");
            await during.Driver.WorkAsync(task);
        }

        var (code, output) = await RunSiloAsync(connectionString, "protect-existing", rotated);
        Assert.True(code == 0, $"protect-existing exited {code}: {output}");
        Assert.Equal(0, await CountStoredAsync(connectionString, $"pd1:{oldKeyId}:"));
        var resealed = (string)(await TestDatabase.ScalarAsync(connectionString, "SELECT secret FROM onething_subscriptions"))!;
        Assert.DoesNotContain($"pd1:{oldKeyId}:", resealed, StringComparison.Ordinal);
        Assert.Equal(webhookSecret, PrivacyKeys.Read(key => key == PrivacyKeys.DataKeyName ? newKey : TestPrivacyKeys.Settings.GetValueOrDefault(key)).Protector.Unprotect(resealed));
        await AssertNothingPersonalIsStoredAsync(connectionString, applicant);

        // The old key is gone from configuration: everything stored opens with the new one alone.
        var newOnly = new Dictionary<string, string?> { [PrivacyKeys.DataKeyName] = newKey };
        await using var after = await TestSystem.StartAsync(connectionString, "pd_rotation", newOnly, serviceId);
        await AssertHttpViewsShowInClearAsync(after, caseId, applicant, inboxDepartment: "hrss", inboxMatter: "social-security-card");
        using var ops = after.Api.CreateClient("test-ops");
        using var listed = await ops.GetAsync(new Uri("/api/fallback-desk/cases?source=applicant", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var desk = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement;
        var request = Assert.Single(desk.GetProperty("items").EnumerateArray());
        Assert.Equal(applicant.IdNumber, request.GetProperty("applicant").GetProperty("idNumber").GetString());
        Assert.Equal("13800138000", request.GetProperty("applicant").GetProperty("phone").GetString());
        Assert.Equal("Completed", (await after.Driver.RunToEndAsync(caseId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task RowsStoredInClearBeforeEncryptionStayReadableAndProtectExistingSealsAndRekeysThem()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("pd_legacy");
        string caseId;
        Applicant applicant;
        string serviceId;
        // Snapshots every other event, so the case has a snapshot and events after it.
        var snapshotsOften = new Dictionary<string, string?> { ["OneThing:Cases:ChangesPerSnapshot"] = "2" };
        await using (var first = await TestSystem.StartAsync(connectionString, "pd_legacy", snapshotsOften))
        {
            (caseId, applicant) = await SubmitAndReachMedicalInsuranceAsync(first.Driver, seed: 881_201);
            serviceId = first.Cluster.Options.ServiceId;
        }
        await RewriteAsStoredBeforeEncryptionAsync(connectionString, applicant);
        Assert.NotEqual(0, await CountStoredAsync(connectionString, applicant.IdNumber));

        await using (var unmigrated = await TestSystem.StartAsync(connectionString, "pd_legacy", snapshotsOften, serviceId))
        {
            // The case's activation wrote its applicant row again, under the keyed index; the old row is still there.
            await AssertHttpViewsShowInClearAsync(unmigrated, caseId, applicant);
            Assert.Equal(2L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_applicant_cases"));
        }

        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            var catalog = PersonalDataMigration.CatalogFor(dataSource, CatalogServiceCollectionExtensions.DefaultDirectory);
            var result = await new PersonalDataMigration(dataSource, TestPrivacyKeys.Keys, catalog).RunAsync();
            Assert.True(result is { Snapshots: 1, EventRows: 1, InboxRows: > 0, ApplicantRows: 1 }, $"rewrote {result}");
            var again = await new PersonalDataMigration(dataSource, TestPrivacyKeys.Keys, catalog).RunAsync();
            Assert.Equal(new PersonalDataMigrationResult(0, 0, 0, 0, 0), again);
        }
        await AssertNothingPersonalIsStoredAsync(connectionString, applicant);

        await using var migrated = await TestSystem.StartAsync(connectionString, "pd_legacy", snapshotsOften, serviceId);
        await AssertHttpViewsShowInClearAsync(migrated, caseId, applicant);
        await AssertResubmissionIsTheSameCaseAsync(migrated.Driver, caseId, applicant);
        Assert.Equal("Completed", (await migrated.Driver.RunToEndAsync(caseId)).GetProperty("status").GetString());
        await AssertNothingPersonalIsStoredAsync(connectionString, applicant);
    }

    [Fact]
    public async Task ASiloWithoutPrivacyKeysRefusesToStartWithOneLineNamingTheKey()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("pd_nokeys");

        var (code, output) = await RunSiloAsync(connectionString, null, new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["OneThing__Privacy__DataKey"] = TestPrivacyKeys.DataKey,
        }, withTestKeys: false);

        Assert.Equal(5, code);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("onething-silo: OneThing:Privacy:ApplicantIndexKey is not set", output);
    }

    [Fact]
    public async Task AnApiInProductionWithAMalformedDataKeyRefusesToStartWithOneLineNamingTheKey()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("pd_api_keys");

        var (code, output) = await RunAsync(Path.Combine("api", "OneThing.Api"), "OneThing.Api.dll", ["--urls", "http://127.0.0.1:0"], connectionString,
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                [PrivacyKeys.DataKeyName] = Convert.ToBase64String(new byte[16]),
            }, withTestKeys: true);

        Assert.Equal(2, code);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("onething-api: OneThing:Privacy:DataKey is 16 bytes", output);
    }

    /// <summary>What the applicant filed that is personal: their identity number and phone, and the parents' numbers in the form.</summary>
    private sealed record Applicant(int Seed, string IdNumber, string FormIdNumber)
    {
        public string LegacyIndexKey =>
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("onething-applicant:" + IdNumber.ToUpperInvariant())));
    }

    /// <summary>A newborn case with its first two matters done, so the medical-insurance matter (which takes the applicant's identity number and phone) is Ready.</summary>
    private static async Task<(string CaseId, Applicant Applicant)> SubmitAndReachMedicalInsuranceAsync(CaseDriver driver, int seed)
    {
        var application = CaseDriver.SampleApplication(await driver.ItemAsync("newborn"), seed);
        var (status, created) = await driver.SubmitAsync(application, IdempotencyKey(seed));
        Assert.True(status == HttpStatusCode.Created, $"submit answered {status}: {created}");
        var caseId = created.GetProperty("caseId").GetString()!;
        await driver.WorkAsync(CaseDriver.TaskOf(created, "birth-certificate"));
        await driver.WorkAsync(CaseDriver.TaskOf(await driver.CaseAsync(caseId), "household-registration"));
        Assert.Equal("Ready", CaseDriver.TaskOf(await driver.CaseAsync(caseId), "residents-medical-insurance").GetProperty("status").GetString());
        return (caseId, new Applicant(seed, TestIdentities.IdNumber(seed), TestIdentities.IdNumber(seed + 1)));
    }

    private static string IdempotencyKey(int seed) => $"personal-data-{seed}";

    /// <summary>The same application with the same Idempotency-Key again: the case compares it with its sealed fingerprint.</summary>
    private static async Task AssertResubmissionIsTheSameCaseAsync(CaseDriver driver, string caseId, Applicant applicant)
    {
        var application = CaseDriver.SampleApplication(await driver.ItemAsync("newborn"), applicant.Seed);
        var (status, again) = await driver.SubmitAsync(application, IdempotencyKey(applicant.Seed));

        Assert.True(status == HttpStatusCode.OK, $"the same submission again answered {status}: {again}");
        Assert.Equal(caseId, again.GetProperty("caseId").GetString());
    }

    private static async Task AssertHttpViewsShowInClearAsync(
        TestSystem system, string caseId, Applicant applicant, string inboxDepartment = "medical-insurance", string inboxMatter = "residents-medical-insurance")
    {
        var view = await system.Driver.CaseAsync(caseId);
        Assert.Equal(applicant.IdNumber, view.GetProperty("applicant").GetProperty("idNumber").GetString());
        Assert.Equal(Phone, view.GetProperty("applicant").GetProperty("phone").GetString());
        Assert.Equal(applicant.FormIdNumber, view.GetProperty("form").GetProperty("motherIdNumber").GetString());
        Assert.Equal(Phone, view.GetProperty("form").GetProperty("contactPhone").GetString());

        var department = system.Driver.Department(inboxDepartment);
        var task = await department.GetFromJsonAsync<JsonElement>(new Uri($"/api/tasks/{caseId}.{inboxMatter}", UriKind.Relative));
        Assert.Equal(applicant.IdNumber, task.GetProperty("inputs").GetProperty("applicant.idNumber").GetString());
        Assert.Equal(Phone, task.GetProperty("inputs").GetProperty("contactPhone").GetString());

        var inbox = await department.GetFromJsonAsync<JsonElement>(
            new Uri($"/api/departments/{inboxDepartment}/tasks?pageSize=100", UriKind.Relative));
        var row = inbox.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("caseId").GetString() == caseId);
        Assert.Equal(applicant.IdNumber, row.GetProperty("inputs").GetProperty("applicant.idNumber").GetString());
        Assert.Equal(Phone, row.GetProperty("inputs").GetProperty("contactPhone").GetString());

        Assert.Contains(caseId, await ApplicantCasesAsync(system.Driver, applicant.IdNumber));
    }

    private static async Task<List<string>> ApplicantCasesAsync(CaseDriver driver, string idNumber)
    {
        var page = await driver.Portal.GetFromJsonAsync<JsonElement>(new Uri($"/api/cases?applicant={idNumber}", UriKind.Relative));
        return page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("caseId").GetString()!).ToList();
    }

    private static async Task AssertNothingPersonalIsStoredAsync(string connectionString, Applicant applicant)
    {
        foreach (var personal in new[] { applicant.IdNumber, applicant.FormIdNumber, Phone, applicant.LegacyIndexKey })
        {
            Assert.True(await CountStoredAsync(connectionString, personal) == 0, $"{personal} is stored: {await StoredTextAsync(connectionString)}");
        }
        Assert.Equal(1L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_applicant_cases"));
        Assert.Equal(0L, await TestDatabase.ScalarAsync(connectionString, """
            SELECT (SELECT count(*) FROM orleansstorage
                    WHERE graintypestring = 'case' AND convert_from(payloadbinary, 'UTF8')::jsonb ->> 'Fingerprint' NOT LIKE 'pd1:%')
                 + (SELECT count(*) FROM onething_case_changes
                    WHERE change -> 'Whole' IS NOT NULL AND change -> 'Whole' ->> 'Fingerprint' NOT LIKE 'pd1:%')
                 + (SELECT count(*) FROM onething_case_events
                    WHERE type = 'CaseSubmitted' AND data -> 'application' ->> 'fingerprint' NOT LIKE 'pd1:%')
            """));
    }

    /// <summary>How many rows of the tables that hold case data contain <paramref name="text"/>.</summary>
    private static async Task<long> CountStoredAsync(string connectionString, string text) =>
        (long)(await TestDatabase.ScalarAsync(connectionString, """
            SELECT (SELECT count(*) FROM orleansstorage WHERE strpos(convert_from(payloadbinary, 'UTF8'), @text) > 0)
                 + (SELECT count(*) FROM onething_case_changes WHERE strpos(change::text, @text) > 0)
                 + (SELECT count(*) FROM onething_case_events WHERE strpos(data::text, @text) > 0)
                 + (SELECT count(*) FROM onething_department_tasks WHERE strpos(view::text, @text) > 0)
                 + (SELECT count(*) FROM onething_applicant_cases WHERE strpos(applicant_hash, @text) > 0)
                 + (SELECT count(*) FROM onething_fallback_desk WHERE strpos(concat(applicant, applicant_hash), @text) > 0)
            """, ("text", text)))!;

    private static async Task<string> StoredTextAsync(string connectionString) =>
        (string)(await TestDatabase.ScalarAsync(connectionString, """
            SELECT concat_ws(E'\n',
                (SELECT string_agg(convert_from(payloadbinary, 'UTF8'), E'\n') FROM orleansstorage WHERE graintypestring = 'case'),
                (SELECT string_agg(change::text, E'\n') FROM onething_case_changes),
                (SELECT string_agg(data::text, E'\n') FROM onething_case_events),
                (SELECT string_agg(view::text, E'\n') FROM onething_department_tasks),
                (SELECT string_agg(applicant_hash, E'\n') FROM onething_applicant_cases),
                (SELECT string_agg(concat(applicant, applicant_hash), E'\n') FROM onething_fallback_desk))
            """))!;

    /// <summary>
    /// Turns the stored rows into what the code before encryption wrote: every sealed value in clear, the applicant's
    /// <c>Key</c> (the identity number) in the case JSON, and the applicant row under the unkeyed SHA-256.
    /// </summary>
    private static async Task RewriteAsStoredBeforeEncryptionAsync(string connectionString, Applicant applicant)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await RewriteEachAsync(dataSource, "SELECT grainidextensionstring, convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE graintypestring = 'case'",
            "UPDATE orleansstorage SET payloadbinary = convert_to($2, 'UTF8') WHERE graintypestring = 'case' AND grainidextensionstring = $1", NpgsqlDbType.Text);
        await RewriteEachAsync(dataSource, "SELECT case_id || '/' || seq, data::text FROM onething_case_events WHERE data ? 'application'",
            "UPDATE onething_case_events SET data = $2 WHERE case_id || '/' || seq = $1", NpgsqlDbType.Jsonb);
        await RewriteEachAsync(dataSource, "SELECT task_id, view::text FROM onething_department_tasks",
            "UPDATE onething_department_tasks SET view = $2 WHERE task_id = $1", NpgsqlDbType.Jsonb);
        await using var rekey = dataSource.CreateCommand("UPDATE onething_applicant_cases SET applicant_hash = $1");
        rekey.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicant.LegacyIndexKey });
        await rekey.ExecuteNonQueryAsync();
    }

    private static async Task RewriteEachAsync(NpgsqlDataSource dataSource, string select, string update, NpgsqlDbType type)
    {
        var rows = new List<(string Key, string Json)>();
        await using (var read = dataSource.CreateCommand(select))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        Assert.NotEmpty(rows);
        foreach (var (key, json) in rows)
        {
            var node = JsonNode.Parse(json)!;
            Unseal(node);
            await using var write = dataSource.CreateCommand(update);
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node.ToJsonString(new JsonSerializerOptions { Encoder = ViewJson.Encoder }), NpgsqlDbType = type });
            await write.ExecuteNonQueryAsync();
        }
    }

    private static void Unseal(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (value is JsonValue text && text.TryGetValue<string>(out var stored) && PersonalDataProtector.IsProtected(stored))
                    {
                        obj[name] = TestPrivacyKeys.Keys.Protector.Unprotect(stored);
                    }
                    else if (value is not null)
                    {
                        Unseal(value);
                    }
                }
                if (obj["Kind"] is not null && obj["IdNumber"] is JsonValue idNumber)
                {
                    obj["Key"] = idNumber.GetValue<string>();
                }
                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                {
                    Unseal(item);
                }
                break;
            default:
                break;
        }
    }

    private static Task<(int Code, string Output)> RunSiloAsync(
        string connectionString, string? command, IReadOnlyDictionary<string, string?> settings, bool withTestKeys = true) =>
        RunAsync(Path.Combine("silo", "OneThing.Silo"), "OneThing.Silo.dll", command is null ? [] : [command], connectionString, settings, withTestKeys);

    /// <summary>A process as its build produced it (silo or API), with settings in its environment; it must exit within a minute.</summary>
    private static Task<(int Code, string Output)> RunAsync(
        string project, string assembly, string[] arguments, string connectionString, IReadOnlyDictionary<string, string?> settings, bool withTestKeys) =>
        BuiltProcess.RunAsync(BuiltProcess.AssemblyOf(project, assembly), arguments, new Dictionary<string, string?>
        {
            ["ConnectionStrings:OneThing"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
            ["OneThing:Catalog:Directory"] = CatalogServiceCollectionExtensions.DefaultDirectory,
        }.Concat(withTestKeys ? TestPrivacyKeys.Settings : new Dictionary<string, string?>()).Concat(settings));

    /// <summary>A one-silo cluster and the API on it, with the test keys overridden by <paramref name="settings"/>.</summary>
    private sealed class TestSystem : IAsyncDisposable
    {
        private TestSystem(TestCluster cluster, OneThingApiFactory api)
        {
            Cluster = cluster;
            Api = api;
            Driver = new CaseDriver(api);
        }

        public TestCluster Cluster { get; }

        public OneThingApiFactory Api { get; }

        public CaseDriver Driver { get; }

        public static async Task<TestSystem> StartAsync(
            string connectionString, string purpose, IDictionary<string, string?>? settings = null, string? serviceId = null)
        {
            var cluster = await PostgresTestCluster.StartAsync(connectionString, 1, purpose, settings, serviceId: serviceId);
            var api = new OneThingApiFactory(connectionString, cluster.Options.ClusterId, cluster.Options.ServiceId,
                settings is null ? null : new Dictionary<string, string?>(settings));
            return new TestSystem(cluster, api);
        }

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }
}
