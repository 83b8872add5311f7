using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OneThing.Grains.Diagnostics;
using OneThing.Silo.Diagnostics;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace OneThing.Tests.Api;

/// <summary>The API's side of observability: the dashboard's door, a request's trace, and the case in log scopes.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed partial class ObservabilityApiTests(TwoSiloClusterFixture fixture)
{
    [Fact]
    public async Task TheDashboardIsClosedToAnonymousCallersAndToDepartments()
    {
        using var anonymous = fixture.Api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var department = fixture.Api.CreateClient(OneThingApiFactory.KeyOf("health"));
        using var ops = fixture.Api.CreateClient("test-ops");

        using var script = await anonymous.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        using var browserRequest = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        browserRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var browser = await anonymous.SendAsync(browserRequest);
        using var counters = await anonymous.GetAsync(new Uri("/dashboard/DashboardCounters", UriKind.Relative));
        using var departmentAnswer = await department.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        using var opsAnswer = await ops.GetAsync(new Uri("/dashboard/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, script.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.Equal("/dashboard/sign-in", browser.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, counters.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, departmentAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, opsAnswer.StatusCode);
    }

    [Fact]
    public async Task AnOpsKeySignsABrowserInWithAStrictHttpOnlyCookieAndOtherKeysDoNot()
    {
        using var browser = fixture.Api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        using var withoutToken = await browser.PostAsync(new Uri("/dashboard/sign-in", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "test-ops" }));
        using var departmentKey = await SignInAsync(browser, OneThingApiFactory.KeyOf("health"));
        using var wrongKey = await SignInAsync(browser, "not-a-key");
        using var opsKey = await SignInAsync(browser, "test-ops");
        using var dashboard = await browser.GetAsync(new Uri("/dashboard/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, departmentKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, opsKey.StatusCode);
        var cookie = Assert.Single(opsKey.Headers.GetValues("Set-Cookie"), c => c.StartsWith("onething-dashboard=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/dashboard", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("test-ops", cookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.StartsWith("text/html", dashboard.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsAreAnonymousUnlessAScrapeKeyIsSet()
    {
        using var open = fixture.Api.CreateClient();
        await using var guarded = new OneThingApiFactory(fixture.ConnectionString, fixture.Cluster.Options.ClusterId, fixture.Cluster.Options.ServiceId,
            new Dictionary<string, string?> { ["OneThing:Metrics:ScrapeKey"] = "scrape-secret" });
        using var anonymous = guarded.CreateClient();
        using var wrong = guarded.CreateClient("test-ops");
        using var scraper = guarded.CreateClient("scrape-secret");

        using var openAnswer = await open.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var anonymousAnswer = await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var wrongAnswer = await wrong.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var scraperAnswer = await scraper.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, openAnswer.StatusCode);
        Assert.StartsWith("text/plain", openAnswer.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scraperAnswer.StatusCode);
        // The scrape key is no API key: scraping never counts as a failed authentication of the scraper's address.
        for (var scrape = 0; scrape < 25; scrape++)
        {
            using var again = await scraper.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
    }

    [Fact]
    public async Task OneSubmissionIsOneTraceFromTheApiThroughTheGrainToPostgreSql()
    {
        var ended = new ConcurrentQueue<Activity>();
        await using var traced = fixture.Api.WithWebHostBuilder(web => web.ConfigureServices(services =>
            services.AddOpenTelemetry().WithTracing(tracing => tracing.AddOneThingSources().AddProcessor(new Collect(ended)))));
        IEnumerable<Activity> Spans() => ended;
        using var portal = traced.CreateClient();
        portal.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "test-portal");
        var application = CaseDriver.SampleApplication(await portal.GetFromJsonAsync<JsonElement>(new Uri("/api/items/newborn", UriKind.Relative)), 7201);

        using var submitted = await portal.PostAsync(new Uri("/api/cases", UriKind.Relative), JsonContent.Create(application));

        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var caseId = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("caseId").GetString()!;

        var request = await Poll.UntilAsync(() => Task.FromResult(Spans().FirstOrDefault(s =>
                s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST", StringComparison.Ordinal)
                && Equals(s.GetTagItem(CaseLogScope.SpanAttribute), caseId))),
            span => span is not null, TimeSpan.FromSeconds(10), $"no server span of POST /api/cases names case {caseId}");
        var trace = await Poll.UntilAsync(() => Task.FromResult(Spans().Where(s => s.TraceId == request!.TraceId).ToList()),
            inTrace => inTrace.Any(s => s.Source.Name == "Npgsql"), TimeSpan.FromSeconds(10), "the submission's trace has no Npgsql span");
        Assert.Contains(trace, s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Client);
        Assert.Contains(trace, s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Server
            && Equals(s.GetTagItem(CaseLogScope.SpanAttribute), caseId));
        Assert.Contains(trace, s => s.Source.Name == OneThingMetrics.ActivitySourceName && s.DisplayName == "onething.commit");
    }

    [Fact]
    public async Task WhatTheApiLogsOnACaseRouteCarriesTheCaseIdInItsScope()
    {
        var lines = new ConcurrentQueue<(string Category, string Message, List<object?> Scopes)>();
        await using var scoped = fixture.Api.WithWebHostBuilder(web => web
            .UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Routing.EndpointMiddleware", "Debug")
            .ConfigureServices(services => services.AddLogging(logging => logging.AddProvider(new ScopeCapture(lines)))));
        using var portal = scoped.CreateClient();
        portal.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "test-portal");
        var caseId = $"no-such-case-{Guid.NewGuid():N}";

        using var response = await portal.GetAsync(new Uri($"/api/cases/{caseId}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var executed = Assert.Single(lines, line => line.Category.EndsWith("EndpointMiddleware", StringComparison.Ordinal)
            && line.Message.StartsWith("Executed endpoint", StringComparison.Ordinal) && line.Scopes.OfType<CaseLogScope>().Any(s => s.CaseId == caseId));
        Assert.Contains(executed.Scopes, scope => scope is IEnumerable<KeyValuePair<string, object?>> values
            && values.Contains(new KeyValuePair<string, object?>(CaseLogScope.Key, caseId)));
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string key)
    {
        var form = await browser.GetStringAsync(new Uri("/dashboard/sign-in", UriKind.Relative));
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, $"no antiforgery field in the sign-in form: {form}");
        return await browser.PostAsync(new Uri("/dashboard/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [token.Groups["name"].Value] = WebUtility.HtmlDecode(token.Groups["value"].Value),
            ["key"] = key,
        }));
    }

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]+)">""")]
    private static partial Regex AntiforgeryField();

    /// <summary>An in-memory exporter that may be written from many threads at once.</summary>
    private sealed class Collect(ConcurrentQueue<Activity> ended) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => ended.Enqueue(data);
    }

    /// <summary>Every entry with the scopes around it, as a console formatter would see them.</summary>
    private sealed class ScopeCapture(ConcurrentQueue<(string, string, List<object?>)> lines) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new Capture(categoryName, this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Capture(string category, ScopeCapture owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<object?>();
                owner._scopes.ForEachScope((scope, list) => list.Add(scope), scopes);
                owner.Lines.Enqueue((category, formatter(state, exception), scopes));
            }
        }

        private ConcurrentQueue<(string, string, List<object?>)> Lines => lines;
    }
}
