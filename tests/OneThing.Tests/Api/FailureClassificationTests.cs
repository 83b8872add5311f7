using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OneThing.Api.Problems;
using OneThing.Contracts.Cases;
using OneThing.Grains.Common;
using Orleans.Runtime;

namespace OneThing.Tests.Api;

/// <summary>Which exceptions are the client's fault, which an outage and which ours; and what the answer carries.</summary>
public sealed class FailureClassificationTests
{
    public static TheoryData<string, Exception, FailureKind, int> Cases => new()
    {
        { "malformed chunk", new BadHttpRequestException("Bad chunk size data.", 400), FailureKind.ClientError, 400 },
        { "body too large", new BadHttpRequestException("Request body too large.", 413), FailureKind.ClientError, 413 },
        { "query binding", new BadHttpRequestException("Failed to bind parameter \"int page\" from \"abc\"."), FailureKind.ClientError, 400 },
        { "wrapped bad request", new InvalidOperationException("reading", new BadHttpRequestException("Unexpected end of request content.")), FailureKind.ClientError, 400 },
        { "invalid UTF-8", new DecoderFallbackException("Unable to translate bytes [FF]"), FailureKind.ClientError, 400 },
        { "invalid UTF-8 in JSON", InvalidUtf8InJson(), FailureKind.ClientError, 400 },
        { "lone surrogate encoded", LoneSurrogateEncoded(), FailureKind.ClientError, 400 },
        { "lone surrogate in JSON", LoneSurrogateInJson(), FailureKind.ClientError, 400 },
        { "body not JSON", new BadHttpRequestException("Failed to read parameter from the request body as JSON.", new JsonException("'x' is an invalid start of a value.")), FailureKind.ClientError, 400 },
        { "our own JSON", new JsonException("The JSON value could not be converted to CaseView."), FailureKind.Unexpected, 500 },
        { "database", new DatabaseWriteFailedException("PostgresException", "57P01", null, null), FailureKind.Unavailable, 503 },
        { "database connection", new NpgsqlException("Failed to connect", new SocketException()), FailureKind.Unavailable, 503 },
        { "socket", new SocketException(), FailureKind.Unavailable, 503 },
        { "time-out", new TimeoutException(), FailureKind.Unavailable, 503 },
        { "a message expired in the cluster", new OperationCanceledException("Message expired before placement could complete"), FailureKind.Unavailable, 503 },
        { "broken pipe", new IOException("broken pipe"), FailureKind.Unavailable, 503 },
        { "cluster", new SiloUnavailableException(), FailureKind.Unavailable, 503 },
        { "our bug", new InvalidOperationException("Sequence contains no elements"), FailureKind.Unexpected, 500 },
        { "our null", new NullReferenceException(), FailureKind.Unexpected, 500 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachFailureIsClassifiedByWhoseFaultItIs(string failure, Exception exception, FailureKind kind, int status)
    {
        Assert.True((kind, status) == FailureClassification.Classify(exception), $"{failure}: {FailureClassification.Classify(exception)}");
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task AnUnexpectedFailureIsA500ProblemWithoutTheExceptionsTextInAnyEnvironment(string environment)
    {
        var (context, body) = NewContext(environment, accept: "application/json");

        var handled = await Handler(context).TryHandleAsync(context, new InvalidOperationException("secret internals"), CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(500, context.Response.StatusCode);
        var text = Encoding.UTF8.GetString(body.ToArray());
        Assert.Contains("\"status\":500", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret internals", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACallerThatAcceptsNoJsonStillGetsTheStatusAndNoDeveloperPage()
    {
        var (context, body) = NewContext("Development", accept: "text/html");

        var handled = await Handler(context).TryHandleAsync(context, new InvalidOperationException("secret internals"), CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(500, context.Response.StatusCode);
        Assert.DoesNotContain("secret internals", Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOutageIsA503WithRetryAfterAndATooLargeBodyIts413()
    {
        var (outage, _) = NewContext("Production", accept: "application/json");
        var (tooLarge, _) = NewContext("Production", accept: "application/json");

        await Handler(outage).TryHandleAsync(outage, new DatabaseWriteFailedException("NpgsqlException/SocketException", null, null, null), CancellationToken.None);
        await Handler(tooLarge).TryHandleAsync(tooLarge, new BadHttpRequestException("Request body too large.", 413), CancellationToken.None);

        Assert.Equal((503, "5"), (outage.Response.StatusCode, outage.Response.Headers.RetryAfter.ToString()));
        Assert.Equal((413, ""), (tooLarge.Response.StatusCode, tooLarge.Response.Headers.RetryAfter.ToString()));
        Assert.Equal("application/problem+json", tooLarge.Response.ContentType);
    }

    private static UnavailableExceptionHandler Handler(HttpContext context) =>
        new(context.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<UnavailableExceptionHandler>.Instance);

    private static (HttpContext Context, MemoryStream Body) NewContext(string environment, string accept)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Microsoft.AspNetCore.Hosting.IWebHostEnvironment>(new Environment(environment));
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(provider => provider.GetRequiredService<Microsoft.AspNetCore.Hosting.IWebHostEnvironment>());
        services.AddProblemDetails();
        var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
        context.Request.Method = "POST";
        context.Request.Path = "/api/cases";
        context.Request.Headers.Accept = accept;
        context.Response.Body = body;
        return (context, body);
    }

    private static InvalidOperationException InvalidUtf8InJson()
    {
        var reader = new Utf8JsonReader(new byte[] { (byte)'"', 0xFF, (byte)'"' });
        try
        {
            reader.Read();
            reader.GetString();
        }
        catch (InvalidOperationException error)
        {
            return error;
        }
        throw new InvalidOperationException("System.Text.Json read invalid UTF-8 without complaint");
    }

    private static InvalidOperationException LoneSurrogateInJson()
    {
        using var document = JsonDocument.Parse("\"\\ud800\"");
        try
        {
            document.RootElement.GetString();
        }
        catch (InvalidOperationException error)
        {
            return error;
        }
        throw new InvalidOperationException("System.Text.Json read a lone surrogate without complaint");
    }

    private static Exception LoneSurrogateEncoded()
    {
        try
        {
            new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetBytes("name \ud800");
        }
        catch (ArgumentException error)
        {
            return error;
        }
        throw new InvalidOperationException("UTF-8 encoded a lone surrogate without complaint");
    }

    private sealed class Environment(string name) : Microsoft.AspNetCore.Hosting.IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = "";

        public Microsoft.Extensions.FileProviders.IFileProvider WebRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();

        public string ApplicationName { get; set; } = "OneThing.Api";

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();

        public string ContentRootPath { get; set; } = "";

        public string EnvironmentName { get; set; } = name;
    }
}
