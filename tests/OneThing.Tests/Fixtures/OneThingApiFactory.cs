using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// The real API host (routes, auth, problem+json) as an Orleans client of a test cluster, configured through the
/// same keys ops use: <c>ConnectionStrings:OneThing</c>, <c>OneThing:Cluster:*</c>, <c>OneThing:Auth:Keys:N:*</c>.
/// With <paramref name="settings"/> it can also be configured as anything else ops could set, such as an API that
/// hosts its own silo.
/// </summary>
public sealed class OneThingApiFactory(string connectionString, string clusterId, string serviceId, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public OneThingApiFactory(TestCluster cluster, string connectionString)
        : this(connectionString, cluster.Options.ClusterId, cluster.Options.ServiceId)
    {
    }

    public static readonly IReadOnlyList<(string Key, string Role, string? Department)> Keys =
    [
        ("test-portal", "portal", null),
        ("test-ops", "ops", null),
        ("test-health", "department", "health"),
        ("test-police", "department", "police"),
        ("test-medical-insurance", "department", "medical-insurance"),
        ("test-hrss", "department", "hrss"),
        ("test-market-regulation", "department", "market-regulation"),
        ("test-tax", "department", "tax"),
        ("test-housing-fund", "department", "housing-fund"),
        ("test-housing-construction", "department", "housing-construction"),
        ("test-fire", "department", "fire"),
        ("test-bank", "department", "bank"),
        ("test-customs", "department", "customs"),
        ("test-seal", "department", "seal"),
        ("test-disease-control", "department", "disease-control"),
        ("test-tobacco", "department", "tobacco"),
        ("test-hospital", "department", "hospital"),
        ("test-civil-affairs", "department", "civil-affairs"),
        ("test-transport", "department", "transport"),
        ("test-education", "department", "education"),
        ("test-disabled-persons-federation", "department", "disabled-persons-federation"),
        ("test-court", "department", "court"),
        ("test-securities-regulator", "department", "securities-regulator"),
        ("test-credit-office", "department", "credit-office"),
        ("test-ecology-environment", "department", "ecology-environment"),
        ("test-emergency-management", "department", "emergency-management"),
        ("test-natural-resources", "department", "natural-resources"),
        ("test-greening", "department", "greening"),
        ("test-housing-security", "department", "housing-security"),
        ("test-power-grid", "department", "power-grid"),
        ("test-water", "department", "water"),
        ("test-gas", "department", "gas"),
        ("test-telecom", "department", "telecom"),
    ];

    /// <summary>The API's clock (the fallback desk's overdue flags, statistics' default period); the system's unless set.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Put in front of every client made from then on: the contract test checks all its traffic with it.</summary>
    public Func<DelegatingHandler>? Handler { get; set; }

    public HttpClient CreateClient(string? apiKey)
    {
        var client = Handler is null ? CreateClient() : CreateDefaultClient(Handler());
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        return client;
    }

    /// <summary>A portal key with a name of its own (the others are named by their role or department).</summary>
    public const string HotlineKey = "test-hotline";

    public static string KeyOf(string department) => Keys.Single(k => k.Department == department).Key;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturedLogs()).SetMinimumLevel(LogLevel.Debug));
        if (Clock is not null)
        {
            builder.ConfigureServices(services => services.AddSingleton(Clock));
        }
        builder.UseSetting("ConnectionStrings:OneThing", connectionString);
        builder.UseSetting("OneThing:Cluster:ClusterId", clusterId);
        builder.UseSetting("OneThing:Cluster:ServiceId", serviceId);
        for (var i = 0; i < Keys.Count; i++)
        {
            builder.UseSetting($"OneThing:Auth:Keys:{i}:Key", Keys[i].Key);
            builder.UseSetting($"OneThing:Auth:Keys:{i}:Role", Keys[i].Role);
            if (Keys[i].Department is { } department)
            {
                builder.UseSetting($"OneThing:Auth:Keys:{i}:Department", department);
            }
        }
        // A second channel, named as ops name keys: its Idempotency-Keys are its own.
        builder.UseSetting($"OneThing:Auth:Keys:{Keys.Count}:Key", HotlineKey);
        builder.UseSetting($"OneThing:Auth:Keys:{Keys.Count}:Role", "portal");
        builder.UseSetting($"OneThing:Auth:Keys:{Keys.Count}:Name", "12345 hotline");
        foreach (var (key, value) in TestPrivacyKeys.Settings.Concat(settings ?? new Dictionary<string, string?>()))
        {
            builder.UseSetting(key, value);
        }
    }
}
