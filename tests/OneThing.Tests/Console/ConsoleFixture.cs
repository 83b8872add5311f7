using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OneThing.Console;
using OneThing.Console.Api;
using OneThing.Console.SignIn;
using OneThing.Tests.Fixtures;
using Orleans.TestingHost;

namespace OneThing.Tests.Console;

/// <summary>
/// A cluster, the API in front of it, the console on a real Kestrel port calling that API, and one headless Chromium
/// (Debian's, at /usr/bin/chromium) with one signed-in browser context per user, reused by the tests. The console runs
/// as in Development, with the development users from its appsettings.Development.json (the ones README lists) and the
/// test API's keys.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>A user only the lock-out test signs in as, so locking it disturbs no other test.</summary>
    public const string LockoutUser = "lockout-probe";
    public const string LockoutPassword = "lockout-probe-password";

    private readonly ConcurrentDictionary<string, IBrowserContext> _contexts = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signIn = new(1, 1);
    private IPlaywright? _playwright;

    public TestCluster Cluster { get; private set; } = null!;

    public OneThingApiFactory Api { get; private set; } = null!;

    public CaseDriver Driver { get; private set; } = null!;

    public WebApplication Console { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where each page's screenshot is saved: tests/OneThing.Tests/TestResults/screenshots in the repository.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryRoot(), "tests", "OneThing.Tests", "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: install Debian's chromium package (apt-get install -y chromium); .ci/run does.");
        }
        (Cluster, var connectionString) = await PostgresTestCluster.StartAsync(1, "console");
        Api = new OneThingApiFactory(Cluster, connectionString);
        Driver = new CaseDriver(Api);
        var apiServer = Api.Server;

        var settings = new Dictionary<string, string?>
        {
            ["OneThing:Console:ApiUrl"] = "http://api.test",
            ["OneThing:Console:ApiKeys:Portal"] = "test-portal",
            ["OneThing:Console:ApiKeys:Ops"] = "test-ops",
            ["OneThing:Console:InboxPollInterval"] = "00:00:01",
            ["OneThing:Console:Users:100:UserName"] = LockoutUser,
            ["OneThing:Console:Users:100:PasswordHash"] = ConsoleUsers.Hash(LockoutPassword),
            ["OneThing:Console:Users:100:Role"] = "hall",
        };
        foreach (var (key, _, department) in OneThingApiFactory.Keys.Where(k => k.Department is not null))
        {
            settings[$"OneThing:Console:ApiKeys:Departments:{department}"] = key;
        }
        var contentRoot = Path.Combine(RepositoryRoot(), "console", "OneThing.Console");
        Console = ConsoleHost.Build(["--environment", "Development", "--contentRoot", contentRoot, "--applicationName", "OneThing.Console",
            "--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddHttpClient(ConsoleApi.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => apiServer.CreateHandler());
        });
        await Console.StartAsync();
        BaseUrl = Console.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Without these, the closed network here refuses Chromium's background connections and it stalls.
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-quic", "--disable-sync"],
        });
    }

    /// <summary>A browser context signed in as <paramref name="userName"/> (password: the development one), made once.</summary>
    public async Task<IPage> PageAsAsync(string userName)
    {
        if (!_contexts.TryGetValue(userName, out var context))
        {
            await _signIn.WaitAsync();
            try
            {
                if (!_contexts.TryGetValue(userName, out context))
                {
                    context = await NewContextAsync();
                    var page = await context.NewPageAsync();
                    await page.GotoAsync($"{BaseUrl}/sign-in");
                    await page.GetByLabel("用户名").FillAsync(userName);
                    await page.GetByLabel("密码").FillAsync($"{userName}-dev-password");
                    await page.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
                    await page.WaitForURLAsync(url => !url.Contains("/sign-in", StringComparison.Ordinal));
                    await page.CloseAsync();
                    _contexts[userName] = context;
                }
            }
            finally
            {
                _signIn.Release();
            }
        }
        return await context.NewPageAsync();
    }

    public async Task<IBrowserContext> NewContextAsync(int width = 1280)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            Locale = "zh-CN",
            ViewportSize = new ViewportSize { Width = width, Height = width > 600 ? 900 : 844 },
        });
        context.SetDefaultTimeout(20_000);
        return context;
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}.png"), FullPage = true });

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts.Values)
        {
            await context.DisposeAsync();
        }
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Console is not null)
        {
            await Console.StopAsync();
            await Console.DisposeAsync();
        }
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
        _signIn.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OneThing.Orleans.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No OneThing.Orleans.sln above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console in a browser";
}
