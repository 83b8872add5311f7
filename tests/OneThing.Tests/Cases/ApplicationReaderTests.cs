using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OneThing.Api.Cases;
using OneThing.Api.Common;
using OneThing.Client;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Cases;
using OneThing.Grains.Catalog;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Cases;

/// <summary>
/// An application read as the API reads it (<see cref="JsonBody.ReadWithElementAsync"/> over a request body, then
/// <see cref="ApplicationReader"/> against a shipped item): what it becomes, and how a bad one is named. No cluster.
/// </summary>
public sealed class ApplicationReaderTests
{
    private static readonly Lazy<ItemCatalog> Shipped = new(() => ItemCatalog.LoadFromDirectory(CatalogServiceCollectionExtensions.DefaultDirectory));

    /// <summary>
    /// The fingerprints the document reader made of these same bodies before applications were read as records: a
    /// retry with the same Idempotency-Key across the upgrade finds its case instead of a conflict.
    /// </summary>
    [Theory]
    [InlineData("newborn", "e233e1a3bcee987680f7fc82fe78d866b994150e26b9c1f58e85d9d142b62941")]
    [InlineData("open-restaurant", "eeac0dfb00884d8630ea5529bcfb2eb4b753499540eecc4f6582055929361da4")]
    public async Task AnApplicationReadsIntoTheCaseAndFingerprintTheDocumentReaderGaveIt(string code, string fingerprint)
    {
        var item = Item(code);

        var (application, errors) = await ReadAsync(Application(item).ToJsonString(), item);

        Assert.True(application is not null, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        Assert.Equal(fingerprint, ApplicationReader.Fingerprint(application));
        Assert.Equal(("hall", "重庆", "13800138000"), (application.Channel, application.Region, application.Applicant.Phone));
        Assert.Equal(item.Audience == "enterprise" ? "enterprise" : "person", application.Applicant.Kind);
        Assert.Equal(("mail", "重庆市渝中区测试路1号"), (application.Delivery!.Method, application.Delivery.Address));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("7")]
    [InlineData("\"1\"")]
    [InlineData("\"Online\"")]
    [InlineData("\" online\"")]
    [InlineData("\"online, hall\"")]
    [InlineData("null")]
    public async Task AChannelIsOnlyOneOfTheNamesTheContractLists(string channel)
    {
        var application = Application(Item("newborn"));
        application["channel"] = JsonNode.Parse(channel);

        var (_, errors) = await ReadAsync(application.ToJsonString(), Item("newborn"));

        Assert.Equal(["channel"], errors.Keys);
        Assert.Contains("online, hall, hotline, mobile", errors["channel"].Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("applicant", "kind", "1", "applicant.kind")]
    [InlineData("applicant", "kind", "\"Person\"", "applicant.kind")]
    [InlineData("delivery", "method", "\"post\"", "delivery.method")]
    public async Task NestedEnumsAreAsStrict(string owner, string name, string value, string field)
    {
        var application = Application(Item("newborn"));
        application[owner]![name] = JsonNode.Parse(value);

        var (_, errors) = await ReadAsync(application.ToJsonString(), Item("newborn"));

        Assert.Equal([field], errors.Keys);
    }

    /// <summary>What to splice in (single quotes for double): a property added at the start of the object it opens.</summary>
    public static TheoryData<string, string> UnknownAndDuplicateProperties() => new()
    {
        { "nickname", "{'nickname':'x'," },
        { "applicant.nickname", "'applicant':{'nickname':'x'," },
        { "materials[0].size", "'materials':[{'size':3," },
        { "delivery.floor", "'delivery':{'floor':3," },
        { "deferredMaterials[0].when", "'deferredMaterials':[{'when':'soon'," },
        { "channel", "{'channel':'online'," },
        { "applicant.name", "'applicant':{'name':'李四'," },
        { "materials[0].code", "'materials':[{'code':'x'," },
        { "delivery.method", "'delivery':{'method':'pickup'," },
        { "form.companyName", "'form':{'companyName':'x'," },
    };

    [Theory]
    [MemberData(nameof(UnknownAndDuplicateProperties))]
    public async Task UnknownAndDuplicatePropertiesAreNamedWhereverTheyAre(string field, string splice)
    {
        var item = Item("open-restaurant");
        var json = Application(item).ToJsonString();
        splice = splice.Replace('\'', '"');
        var opening = splice[..(splice.LastIndexOfAny(['{', '[']) + 1)];
        var at = json.IndexOf(opening, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no {opening} in {json}");

        var (application, errors) = await ReadAsync(string.Concat(json.AsSpan(0, at), splice, json.AsSpan(at + opening.Length)), item);

        Assert.Null(application);
        Assert.True(errors.ContainsKey(field), string.Join(", ", errors.Keys));
    }

    [Theory]
    [InlineData("materials", "materials[1]")]
    [InlineData("deferredMaterials", "deferredMaterials[1]")]
    [InlineData("optionalMatters", "optionalMatters[1]")]
    public async Task ANullEntryOfAListIsNamed(string list, string field)
    {
        var item = Item("open-restaurant");
        var application = Application(item);
        application[list]!.AsArray().Insert(1, null);

        var (read, errors) = await ReadAsync(application.ToJsonString(), item);

        Assert.Null(read);
        Assert.Equal(field, errors.Keys.First());
    }

    [Fact]
    public async Task ANameGivenTwiceInsideAFormValueIsNamed()
    {
        var item = Item("open-restaurant");
        var application = Application(item);
        application["form"]!["companyName"] = new JsonObject { ["a"] = 1 };
        var json = application.ToJsonString().Replace("{\"a\":1}", "{\"a\":1,\"a\":2}", StringComparison.Ordinal);

        var (read, errors) = await ReadAsync(json, item);

        Assert.Null(read);
        Assert.Contains(errors.Keys, key => key.StartsWith("form.companyName", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMissingObjectIsNamedWithWhatItHolds()
    {
        var application = Application(Item("newborn"));
        application.Remove("applicant");

        var (_, errors) = await ReadAsync(application.ToJsonString(), Item("newborn"));

        Assert.Equal("Required: an object { kind, name, idNumber, creditCode, phone }.", errors["applicant"].Single());
    }

    [Fact]
    public async Task TheItemsRulesAreReportedTogether()
    {
        var item = Item("open-restaurant");
        var application = Application(item);
        application["applicant"]!["creditCode"] = "91500103003F78MFQ1";
        application["form"]!["seatCount"] = "many";
        application["optionalMatters"] = new JsonArray("business-licence");
        application["deferredMaterials"]![0]!["promisedBy"] = "soon";
        application["delivery"] = new JsonObject { ["method"] = "mail" };

        var (_, errors) = await ReadAsync(application.ToJsonString(), item);

        Assert.Equal(
            ["applicant.creditCode", "deferredMaterials[0].promisedBy", "delivery.address", "form.seatCount", "optionalMatters"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    private static ItemDefinition Item(string code) => Shipped.Value.Latest().Single(item => item.Code == code);

    /// <summary>A valid application with text a channel might send: blanks around it, lower-case check characters and hashes, a deferred material.</summary>
    private static JsonObject Application(ItemDefinition item)
    {
        var view = new CatalogItem(item.Code, item.Name, item.Version, item.Audience, item.LeadDepartment, item.TimeLimit, item.Form,
            item.Materials, item.Matters, item.Description, item.Region, item.Notices, []);
        var sample = CaseDriver.SampleRequest(view, 7_300_001);
        var deferrable = item.Materials.FirstOrDefault(m => m.Required && m.Deferrable);
        var request = sample with
        {
            Channel = Channel.Hall,
            Region = "  重庆 ",
            Applicant = sample.Applicant with
            {
                Name = " " + sample.Applicant.Name + " ",
                IdNumber = sample.Applicant.IdNumber?.ToLowerInvariant(),
                CreditCode = sample.Applicant.CreditCode?.ToLowerInvariant(),
                Phone = " " + TestIdentities.Phone,
            },
            Materials = [.. sample.Materials!.Where(m => m.Code != deferrable?.Code).Select(m => m with { Sha256 = new string('A', 64) })],
            DeferredMaterials = deferrable is null ? null : [new DeferredMaterialInput { Code = deferrable.Code, PromisedBy = "2027-01-15" }],
            Delivery = new DeliveryInput { Method = DeliveryMethod.Mail, Address = "  重庆市渝中区测试路1号 " },
        };
        return JsonSerializer.SerializeToNode(request, ClientJson.Default.SubmitCaseRequest)!.AsObject();
    }

    /// <summary>The body through the API's reader and the application's rules; the errors of whichever refused it.</summary>
    private static async Task<(SubmitCase? Application, IDictionary<string, string[]> Errors)> ReadAsync(string json, ItemDefinition item)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));

        var (body, element, problem) = await JsonBody.ReadWithElementAsync(context.Request, OpenMapConverter.Requests.SubmitCaseRequest, CancellationToken.None);
        if (problem is not null)
        {
            return (null, Assert.IsType<HttpValidationProblemDetails>(problem.ProblemDetails).Errors);
        }
        var errors = new FieldErrors();
        var application = ApplicationReader.Read(body!, element, item, errors);
        return (application, errors.ToDictionary());
    }
}
