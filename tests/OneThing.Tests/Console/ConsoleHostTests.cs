using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OneThing.Console;

namespace OneThing.Tests.Console;

/// <summary>The console host's edges, over plain HTTP: no browser, no API behind it.</summary>
public sealed class ConsoleHostTests
{
    [Fact]
    public async Task ProgressLookUpsAreLimitedPerClientAddress()
    {
        await using var console = await StartAsync(new Dictionary<string, string?> { ["OneThing:Console:ProgressAttemptsPerMinute"] = "2" });
        using var client = new HttpClient { BaseAddress = new Uri(Address(console)) };
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // No antiforgery token: refused either way, but every attempt counts against the address.
            using var response = await client.PostAsync(new Uri("/progress", UriKind.Relative), new FormUrlEncodedContent([new("CaseId", "c1"), new("Last6", "000000")]));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("60", response.Headers.RetryAfter?.ToString());
                Assert.Contains("查询次数过多", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[2]);
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(2));
        // Reading the page and everything else stay open.
        using var page = await client.GetAsync(new Uri("/progress", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task SignInAttemptsAreLimitedPerClientAddressApartFromProgressLookUps()
    {
        await using var console = await StartAsync(new Dictionary<string, string?>
        {
            ["OneThing:Console:SignIn:AttemptsPerMinute"] = "2",
            ["OneThing:Console:ProgressAttemptsPerMinute"] = "2",
        });
        using var client = new HttpClient { BaseAddress = new Uri(Address(console)) };
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var response = await client.PostAsync(new Uri("/sign-in", UriKind.Relative), new FormUrlEncodedContent([new("UserName", $"u{attempt}"), new("Password", "x")]));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[2]);
        using var lookUp = await client.PostAsync(new Uri("/progress", UriKind.Relative), new FormUrlEncodedContent([new("CaseId", "c1"), new("Last6", "000000")]));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, lookUp.StatusCode);
    }

    [Fact]
    public async Task PagesCarryASecurityPolicyAndStaffPagesSendAnonymousVisitorsToTheSignIn()
    {
        await using var console = await StartAsync([]);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(Address(console)) };
        using var signIn = await client.GetAsync(new Uri("/sign-in", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.StartsWith("default-src 'self'", signIn.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await signIn.Content.ReadAsStringAsync();
        Assert.Contains("__RequestVerificationToken", html, StringComparison.Ordinal);
        Assert.Contains("lang=\"zh-CN\"", html, StringComparison.Ordinal);
        Assert.Contains("<h1>工作人员登录</h1>", html, StringComparison.Ordinal);
        foreach (var path in new[] { "/hall", "/workbench", "/ops", "/ops/publish", "/workbench/inbox-rows" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{path} answered {response.StatusCode}");
            Assert.Contains("/sign-in", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        // A sign-out without the antiforgery token is refused.
        using var signOut = await client.PostAsync(new Uri("/sign-out", UriKind.Relative), new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, signOut.StatusCode);
    }

    private static async Task<WebApplicationHandle> StartAsync(Dictionary<string, string?> settings)
    {
        var app = ConsoleHost.Build(["--environment", "Testing", "--urls", "http://127.0.0.1:0"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["OneThing:Console:ApiUrl"] = "http://127.0.0.1:9" }));
        await app.StartAsync();
        return new WebApplicationHandle(app);
    }

    private static string Address(WebApplicationHandle handle) =>
        handle.App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

    private sealed class WebApplicationHandle(Microsoft.AspNetCore.Builder.WebApplication app) : IAsyncDisposable
    {
        public Microsoft.AspNetCore.Builder.WebApplication App => app;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
