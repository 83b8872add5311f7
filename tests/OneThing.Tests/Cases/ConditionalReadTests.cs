using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using OneThing.Api.Cases;
using OneThing.Tests.Fixtures;
using OneThing.Tests.Foundation;

namespace OneThing.Tests.Cases;

/// <summary>Status polling with <c>If-None-Match</c>: 304 while the case is unchanged, the new document once it moved.</summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class ConditionalReadTests(TwoSiloClusterFixture fixture)
{
    private static int _seed = 7000;
    private readonly CaseDriver _driver = new(fixture.Api);

    [Fact]
    public async Task APollWithTheCurrentETagGets304AndAChangedCaseGetsItsNewDocument()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;

        using var first = await GetAsync(_driver.Portal, caseId, ifNoneMatch: null);
        var etag = first.Headers.ETag;
        using var unchanged = await GetAsync(_driver.Portal, caseId, etag!.ToString());
        var view = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        await _driver.WorkAsync(view.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("status").GetString() == "Ready"));
        using var changed = await GetAsync(_driver.Portal, caseId, etag.ToString());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(etag.IsWeak);
        Assert.True(first.Headers.CacheControl is { NoStore: true }, $"Cache-Control: {first.Headers.CacheControl}");
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(etag, unchanged.Headers.ETag);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        var after = JsonDocument.Parse(await changed.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(after.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("status").GetString() == "Completed");
    }

    [Fact]
    public async Task AnETagDoesNotOpenACaseToADepartmentWithoutATaskInIt()
    {
        var caseId = (await _driver.SubmitNewAsync("newborn", Interlocked.Increment(ref _seed))).GetProperty("caseId").GetString()!;
        using var portal = await GetAsync(_driver.Portal, caseId, ifNoneMatch: null);

        using var stranger = await GetAsync(_driver.Department("telecom"), caseId, portal.Headers.ETag!.ToString());
        using var wildcard = await GetAsync(_driver.Department("telecom"), caseId, "*");

        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Null(stranger.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotFound, wildcard.StatusCode);
    }

    [Fact]
    public async Task AnUnknownCaseIs404WhateverTheETag()
    {
        using var response = await GetAsync(_driver.Portal, $"no-such-case-{Guid.NewGuid():N}", "W/\"r1\"");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("W/\"r7\"", 7)]
    [InlineData("\"r7\"", 7)]
    [InlineData("W/\"r3\", W/\"r12\", \"r5\"", 12)]
    [InlineData("*", int.MaxValue)]
    [InlineData("W/\"7\"", null)]
    [InlineData("W/\"r-1\"", null)]
    [InlineData("W/\"rx\"", null)]
    [InlineData("not a tag", null)]
    [InlineData("", null)]
    public void IfNoneMatchNamesTheNewestRevisionItHolds(string header, int? expected) =>
        Assert.Equal(expected, CaseETag.KnownRevision(new StringValues(header)));

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string caseId, string? ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/cases/{caseId}", UriKind.Relative));
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        return await client.SendAsync(request);
    }
}
