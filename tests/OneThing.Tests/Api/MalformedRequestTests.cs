using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Api;

/// <summary>Bytes no HTTP client library would send, straight to the API's socket: a client's error, never an outage.</summary>
[Collection(RefusingDatabaseCollection.Name)]
public sealed class MalformedRequestTests(RefusingDatabaseFixture fixture)
{
    [Theory]
    [InlineData("zz\r\n{}\r\n0\r\n\r\n")] // a chunk size that is not hexadecimal
    [InlineData("2\r\n{}XX0\r\n\r\n")] // a chunk not ended by CRLF
    public async Task MalformedChunkedFramingIsA400ProblemNotA503(string chunkedBody)
    {
        var response = await SendRawAsync(
            "POST /api/cases HTTP/1.1\r\n" +
            $"Host: {fixture.Address.Authority}\r\n" +
            "Authorization: Bearer test-portal\r\n" +
            "Content-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            "Connection: close\r\n" +
            "\r\n" +
            chunkedBody);

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Retry-After", response, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" at ", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test-portal", "/api/items/newborn?version=abc", "version")]
    [InlineData("test-portal", "/api/items/newborn?version=99999999999", "version")]
    [InlineData("test-ops", "/api/fallback-desk/cases?page=abc", "page")]
    [InlineData("test-ops", "/api/fallback-desk/cases?pageSize=2147483648", "pageSize")]
    public async Task AQueryValueThatIsNotANumberIsA400ProblemNamingTheParameter(string apiKey, string path, string parameter)
    {
        using var client = fixture.Client(apiKey);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(parameter, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })] // never valid in UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF })] // an overlong '/'
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' })] // an escaped lone surrogate
    public async Task InvalidTextInTheApplicantsNameIsA400ProblemNotA500(byte[] invalid)
    {
        using var portal = fixture.Client("test-portal");
        var item = await portal.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/api/items/newborn", UriKind.Relative));
        var application = CaseDriver.SampleApplication(item, RefusingDatabaseFixture.ApplicantSeed + 500);
        application["applicant"]!["name"] = "NAME";
        var json = Encoding.UTF8.GetBytes(application.ToJsonString());
        var at = json.AsSpan().IndexOf("\"NAME\""u8) + 1;
        byte[] body = [.. json[..at], .. invalid, .. json[(at + 4)..]];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await portal.PostAsync(new Uri("/api/cases", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    private async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(fixture.Address.Host, fixture.Address.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        await stream.FlushAsync();
        // The socket stays open for sending: a client that half-closes is one that went away, and gets no answer.
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadToEndAsync(timeout.Token);
    }
}
