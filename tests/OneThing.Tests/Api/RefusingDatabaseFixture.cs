using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OneThing.Tests.Fixtures;
using Orleans.TestingHost;

namespace OneThing.Tests.Api;

/// <summary>
/// A silo and the API, both logging at Trace, on a database that refuses every inbox row: a trigger on
/// <c>onething_department_tasks</c> raises an error whose message, detail and hint quote the row and the applicant's
/// identity number, as PostgreSQL's own errors quote row values. The API listens on a real loopback port, so that
/// tests can also send it bytes no HTTP client would.
/// </summary>
public sealed class RefusingDatabaseFixture : IAsyncLifetime
{
    /// <summary>The applicant whose identity number every refusal quotes.</summary>
    public const int ApplicantSeed = 914_001;

    public const string RefusalSqlState = "P0001";

    /// <summary>Every category at Trace.</summary>
    public static readonly IReadOnlyDictionary<string, string?> TraceLogging = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:Orleans"] = "Trace",
        ["Logging:LogLevel:Polly"] = "Trace",
        ["Logging:LogLevel:Npgsql"] = "Trace",
    };

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public OneThingApiFactory Api { get; private set; } = null!;

    /// <summary>Where the API listens, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateMigratedAsync("refusing");
        var database = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        await using (var dataSource = NpgsqlDataSource.Create(ConnectionString))
        await using (var refuse = dataSource.CreateCommand($"""
            ALTER DATABASE "{database}" SET onething_test.applicant_id_number = '{TestIdentities.IdNumber(ApplicantSeed)}';
            CREATE FUNCTION onething_test_refuse_task() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                quoted text := current_setting('onething_test.applicant_id_number') || ' ' || NEW.view::text;
            BEGIN
                RAISE EXCEPTION 'refused the row of applicant %', quoted
                    USING DETAIL = quoted, HINT = quoted, TABLE = TG_TABLE_NAME, ERRCODE = '{RefusalSqlState}';
            END
            $$;
            CREATE TRIGGER onething_test_refuse_task BEFORE INSERT OR UPDATE ON onething_department_tasks
                FOR EACH ROW EXECUTE FUNCTION onething_test_refuse_task();
            """))
        {
            await refuse.ExecuteNonQueryAsync();
        }
        Cluster = await PostgresTestCluster.StartAsync(ConnectionString, 1, "refusing",
            new Dictionary<string, string?> { [PostgresSiloConfigurator.LogLevelKey] = "Trace" });
        Api = new OneThingApiFactory(ConnectionString, Cluster.Options.ClusterId, Cluster.Options.ServiceId, TraceLogging);
        Api.UseKestrel(port: 0);
        Api.StartServer();
        var addresses = Api.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        Address = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>A client of the API's loopback port presenting <paramref name="apiKey"/>.</summary>
    public HttpClient Client(string apiKey)
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RefusingDatabaseCollection : ICollectionFixture<RefusingDatabaseFixture>
{
    public const string Name = "refusing database";
}
