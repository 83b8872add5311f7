using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OneThing.Bench.Webhooks;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;
using OneThing.Grains.Webhooks;

namespace OneThing.Tests.Webhooks;

/// <summary>The rules of pushing, without a cluster: signatures, where receivers may be, the retry schedule, notices.</summary>
public sealed class WebhookRuleTests
{
    [Fact]
    public void TheSignatureMatchesTheStandardWebhooksSpecificationsExample()
    {
        var header = WebhookSignature.Header("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("{\"test\": 2432232314}"),
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header);
    }

    [Fact]
    public void DuringARotationBothSecretsSignAndEachSignatureVerifiesOnItsOwn()
    {
        var (current, previous) = (WebhookSignature.NewSecret(), WebhookSignature.NewSecret());
        var body = Encoding.UTF8.GetBytes("{\"seq\":1}");

        var header = WebhookSignature.Header("msg_1", 1700000000, body, [current, previous]);

        var received = new ReceivedWebhook("msg_1", "1700000000", header, "application/json", body, 200);
        Assert.Equal(2, header.Split(' ').Length);
        Assert.True(received.VerifiesWith(current));
        Assert.True(received.VerifiesWith(previous));
        Assert.False((received with { Body = Encoding.UTF8.GetBytes("{\"seq\":2}") }).VerifiesWith(current));
        Assert.StartsWith("whsec_", current, StringComparison.Ordinal);
        Assert.Equal(32, WebhookSignature.KeyOf(current).Length);
    }

    [Theory]
    [InlineData("https://hooks.example.com/onething", true, null)]
    [InlineData("http://hooks.example.com/onething", false, "https")]
    [InlineData("https://127.0.0.1/x", false, "loopback")]
    [InlineData("https://localhost/x", false, "this machine")]
    [InlineData("https://[::1]/x", false, "loopback")]
    [InlineData("https://10.0.0.8/x", false, "private")]
    [InlineData("https://172.20.1.1/x", false, "private")]
    [InlineData("https://192.168.1.1/x", false, "private")]
    [InlineData("https://169.254.169.254/latest/meta-data", false, "link-local")]
    [InlineData("https://[fe80::1]/x", false, "link-local")]
    [InlineData("https://[fd00::1]/x", false, "private")]
    [InlineData("https://[::ffff:10.0.0.1]/x", false, "private")]
    [InlineData("https://100.64.0.1/x", false, "private")]
    [InlineData("https://0.0.0.0/x", false, "loopback")]
    [InlineData("https://user:pass@hooks.example.com/x", false, "user information")]
    [InlineData("ftp://hooks.example.com/x", false, "https")]
    [InlineData("not a url", false, "absolute")]
    public void InProductionOnlyHttpsToPublicHostsIsAllowed(string url, bool allowed, string? reasonMentions)
    {
        var problem = new WebhookAddressPolicy(AllowInsecure: false).CheckUrl(url, out _);

        Assert.Equal(allowed, problem is null);
        if (reasonMentions is not null)
        {
            Assert.Contains(reasonMentions, problem!, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void AllowingInsecureUrlsAllowsHttpAndLoopbackButStillNoPrivateOrLinkLocalAddress()
    {
        var policy = new WebhookAddressPolicy(AllowInsecure: true);

        Assert.Null(policy.CheckUrl("http://127.0.0.1:8080/hooks", out _));
        Assert.Null(policy.CheckUrl("http://localhost:8080/hooks", out _));
        Assert.NotNull(policy.CheckUrl("http://10.0.0.8/hooks", out _));
        Assert.NotNull(policy.CheckUrl("http://169.254.169.254/", out _));
        Assert.True(policy.Allows(IPAddress.Parse("8.8.8.8")));
        Assert.False(new WebhookAddressPolicy(false).Allows(IPAddress.Loopback));
    }

    [Fact]
    public async Task ANameThatResolvesToAnInternalAddressIsRefusedWhenConnecting()
    {
        await Assert.ThrowsAsync<WebhookAddressException>(() => new WebhookAddressPolicy(false).ResolveAsync("localhost", CancellationToken.None));
        Assert.NotEmpty(await new WebhookAddressPolicy(true).ResolveAsync("127.0.0.1", CancellationToken.None));
    }

    [Fact]
    public void ASettingThatNamesNoFileForTrustedRootsIsRefused()
    {
        var errors = new WebhookOptions { TrustedRootsFile = "/nonexistent/roots.pem" }.Validate().ToList();

        Assert.Contains(errors, e => e.Contains("TrustedRootsFile", StringComparison.Ordinal));
        Assert.Empty(new WebhookOptions().Validate());
    }

    [Fact]
    public async Task AnHttpsReceiverThatOffersHttp2GetsPostsOverHttp2OneThatDoesNotGetsHttp11AndTrustFollowsTheSetting()
    {
        using var root = LoopbackCertificate.Create();
        await using var modern = new TestReceiver { Certificate = root };
        await modern.StartTlsAsync();
        await using var plain = await TestReceiver.StartAsync();
        // The receivers' own authority, trusted through the setting a network with its own authority uses.
        var roots = LoopbackCertificate.WriteTrustedRootsFile(root);
        using var sender = new WebhookSender(Options.Create(new WebhookOptions { AllowInsecureUrls = true, TrustedRootsFile = roots }), TimeProvider.System);
        File.Delete(roots);
        byte[][] keys = [WebhookSignature.KeyOf(WebhookSignature.NewSecret())];

        var overTls = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => sender.PostAsync(new Uri(modern.Url), $"msg_{i}", "{}"u8.ToArray(), keys, CancellationToken.None)));
        var overPlain = await sender.PostAsync(new Uri(plain.Url), "msg_p", "{}"u8.ToArray(), keys, CancellationToken.None);

        Assert.All(overTls, result => Assert.True(result.Delivered, result.Error));
        Assert.True(overPlain.Delivered, overPlain.Error);
        Assert.Equal(["HTTP/2"], modern.Received.Select(r => r.Protocol).Distinct());
        Assert.Equal("HTTP/1.1", Assert.Single(plain.Received).Protocol);
        // Without it, the machine's store decides, and it does not know the receivers' authority.
        using var strict = new WebhookSender(Options.Create(new WebhookOptions { AllowInsecureUrls = true }), TimeProvider.System);
        Assert.False((await strict.PostAsync(new Uri(modern.Url), "msg_s", "{}"u8.ToArray(), keys, CancellationToken.None)).Delivered);
        Assert.Equal(4, modern.Received.Count);
    }

    [Fact]
    public async Task AReceiverThatDoesNotAnswerWithinTheTimeoutIsAFailedAttemptNotACancelledRound()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.AnswerDelay = TimeSpan.FromSeconds(3);
        using var sender = new WebhookSender(Options.Create(new WebhookOptions { AllowInsecureUrls = true, Timeout = TimeSpan.FromSeconds(1) }), TimeProvider.System);

        var result = await sender.PostAsync(new Uri(receiver.Url), "msg_t", "{}"u8.ToArray(), [WebhookSignature.KeyOf(WebhookSignature.NewSecret())], CancellationToken.None);

        Assert.False(result.Delivered);
        Assert.Null(result.HttpStatus);
        Assert.Equal("no answer within 1 s", result.Error);
        // The round's own cancellation (its silo stopping) is not a receiver's failure: it ends the round.
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            sender.PostAsync(new Uri(receiver.Url), "msg_c", "{}"u8.ToArray(), [WebhookSignature.KeyOf(WebhookSignature.NewSecret())], stopping.Token));
    }

    [Fact]
    public async Task TheSenderChecksTheAddressOnEveryConnectionNotOnlyWhenSubscribing()
    {
        await using var receiver = await TestReceiver.StartAsync();
        // A subscription made while its host resolved outward, whose name now resolves to this machine: the sender
        // refuses to connect, and the receiver sees nothing.
        using var sender = new WebhookSender(Options.Create(new WebhookOptions { AllowInsecureUrls = false }), TimeProvider.System);
        var url = new Uri(receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal));

        var result = await sender.PostAsync(url, "msg_x", "{}"u8.ToArray(), [WebhookSignature.KeyOf(WebhookSignature.NewSecret())], CancellationToken.None);

        Assert.False(result.Delivered);
        Assert.Contains("may not have", result.Error, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public void RetriesBackOffExponentiallyFromFiveSecondsToAnHourWithJitterAndStopAfterADay()
    {
        var options = new WebhookOptions();
        for (var attempt = 1; attempt <= 40; attempt++)
        {
            foreach (var jitter in new[] { 0.0, 0.5, 0.999 })
            {
                var delay = RetrySchedule.Delay(attempt, options.FirstRetryDelay, options.MaxRetryDelay, jitter);
                Assert.InRange(delay, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));
            }
        }
        Assert.Equal(TimeSpan.FromSeconds(5), RetrySchedule.Delay(1, options.FirstRetryDelay, options.MaxRetryDelay, 0));
        Assert.Equal(TimeSpan.FromSeconds(40), RetrySchedule.Delay(4, options.FirstRetryDelay, options.MaxRetryDelay, 0));
        Assert.NotEqual(RetrySchedule.Delay(3, options.FirstRetryDelay, options.MaxRetryDelay, 0),
            RetrySchedule.Delay(3, options.FirstRetryDelay, options.MaxRetryDelay, 0.9));

        var queued = DateTimeOffset.Parse("2026-03-02T09:00:00+08:00", System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotNull(RetrySchedule.NextAttempt(queued, queued.AddHours(22), 30, options, 0));
        Assert.Null(RetrySchedule.NextAttempt(queued, queued.AddHours(23.5), 30, options, 0));
    }

    [Fact]
    public void ARoundOfSupplementRequestsClosesAtTheEndOfItsWorkingDayOrOfTheNextOneOnARestDay()
    {
        var calendar = new WorkingCalendar([]);
        var wednesday = DateTimeOffset.Parse("2026-03-04T10:15:00+08:00", System.Globalization.CultureInfo.InvariantCulture);
        var saturday = DateTimeOffset.Parse("2026-03-07T10:15:00+08:00", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(DateTimeOffset.Parse("2026-03-05T00:00:00+08:00", System.Globalization.CultureInfo.InvariantCulture),
            ApplicantNotices.SupplementRoundCloses(wednesday, calendar, null));
        Assert.Equal(DateTimeOffset.Parse("2026-03-10T00:00:00+08:00", System.Globalization.CultureInfo.InvariantCulture),
            ApplicantNotices.SupplementRoundCloses(saturday, calendar, null));
        Assert.Equal(wednesday.AddMinutes(30), ApplicantNotices.SupplementRoundCloses(wednesday, calendar, TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public void ARoundsRequestsBecomeOneNoticeListingEveryMaterialOnce()
    {
        var item = Item();
        var requests = new[]
        {
            Json("""{"materials":["marriage-certificate","household-book"],"note":"请提供原件"}"""),
            Json("""{"materials":["household-book"],"note":null}"""),
        };

        var notice = ApplicantNotices.Render("c-1", "13800138000", item, Templates, "SupplementRequested", requests, "household-registration")!;

        Assert.Equal("13800138000", notice.Phone);
        Assert.Equal("SupplementRequested", notice.Template);
        Assert.Equal("结婚证、户口簿", notice.Params["materials"]);
        Assert.Contains("结婚证、户口簿", notice.Text, StringComparison.Ordinal);
        Assert.Contains("请提供原件", notice.Text, StringComparison.Ordinal);
        Assert.Contains("一次性", notice.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ACompletionNoticeQuotesTheCertificateNumberWhereTheItemDeclaresOne()
    {
        var item = Item();

        var certificate = ApplicantNotices.Render("c-1", "13800138000", item, Templates, "TaskCompleted",
            [Json("""{"outputs":{"birthCertificateNumber":"Q440000123"}}""")], "birth-certificate")!;
        var other = ApplicantNotices.Render("c-1", "13800138000", item, Templates, "TaskCompleted",
            [Json("""{"outputs":{"householdNumber":"H-1"}}""")], "household-registration")!;

        Assert.Equal("Q440000123", certificate.Params["certificate"].Replace("证照编号：", "", StringComparison.Ordinal).TrimEnd('。'));
        Assert.Contains("Q440000123", certificate.Text, StringComparison.Ordinal);
        Assert.Equal("", other.Params["certificate"]);
        Assert.Null(ApplicantNotices.Render("c-1", "13800138000", item, Templates, "TaskAccepted", [Json("{}")], null));
        Assert.Contains("原因：材料不符", ApplicantNotices.Render("c-1", "1", item, Templates, "CaseRejected", [Json("""{"reason":"材料不符"}""")], null)!.Text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void AnItemsOwnTemplateWinsOverTheCatalogsAndTemplatesNameOnlyKnownPlaceholders()
    {
        var item = Item() with { Notices = new Dictionary<string, string> { ["CaseCompleted"] = "{itemName}办好了，请到窗口领取。" } };

        var notice = ApplicantNotices.Render("c-1", "13800138000", item, Templates, "CaseCompleted", [Json("{}")], null)!;

        Assert.Equal("新生儿出生一件事办好了，请到窗口领取。", notice.Text);
        Assert.Empty(OneThing.Grains.Catalog.CatalogValidator.ValidateNotices(Templates));
        Assert.Contains("placeholder {phone}", ApplicantNotices.TemplateProblem("CaseCompleted", "请拨打{phone}"), StringComparison.Ordinal);
        Assert.Contains("not an event", ApplicantNotices.TemplateProblem("TaskAccepted", "x"), StringComparison.Ordinal);
        Assert.NotEmpty(OneThing.Grains.Catalog.CatalogValidator.Validate(
            item with { Notices = new Dictionary<string, string> { ["CaseCompleted"] = "{nope}" } }, new HashSet<string> { "health", "police" }));
    }

    /// <summary>The catalog's templates, as the silo loads them.</summary>
    private static readonly IReadOnlyDictionary<string, string> Templates =
        OneThing.Grains.Catalog.ItemCatalog.LoadFromDirectory(OneThing.Grains.Catalog.CatalogServiceCollectionExtensions.DefaultDirectory).NoticeTemplates;

    private static JsonElement Json(string text) => JsonSerializer.Deserialize<JsonElement>(text);

    private static ItemDefinition Item() => new(
        "newborn", "新生儿出生一件事", 1, "citizen", "health", new TimeLimit(WorkingDays: 5), [],
        [new MaterialDefinition("marriage-certificate", "结婚证", false), new MaterialDefinition("household-book", "户口簿", true)],
        [
            new MatterDefinition("birth-certificate", "出生医学证明", "health", [], false, new TimeLimit(WorkingDays: 1), [], ["birthCertificateNumber"], "birthCertificateNumber"),
            new MatterDefinition("household-registration", "出生登记", "police", ["birth-certificate"], false, new TimeLimit(WorkingDays: 1), [], ["householdNumber"]),
        ]);
}
