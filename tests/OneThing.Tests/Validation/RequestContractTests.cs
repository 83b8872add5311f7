using System.Text;
using System.Text.Json;
using OneThing.Api.Common;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Departments;
using OneThing.Grains.Validation;

namespace OneThing.Tests.Validation;

/// <summary>The shared request records and how a refused body becomes field errors; no cluster needed.</summary>
public sealed class RequestContractTests
{
    [Fact]
    public void ContractLimitsAreTheServersOwn()
    {
        Assert.Equal(FormValues.MaxStringLength, FieldLimits.Value);
        Assert.Equal(OneThing.Grains.Webhooks.WebhookAddressPolicy.MaxUrlLength, FieldLimits.WebhookUrl);
    }

    [Theory]
    [InlineData("$.reason", "reason")]
    [InlineData("$.materials[0]", "materials[0]")]
    [InlineData("$['odd name']", "odd name")]
    [InlineData("$.applicant.idNumber", "applicant.idNumber")]
    [InlineData("$", "body")]
    [InlineData(null, "body")]
    public void SerializerPathsBecomeFieldPaths(string? path, string field) => Assert.Equal(field, RequestErrors.FieldOf(path));

    [Theory]
    [InlineData("""{"reason":"x","extra":1}""", "extra")]
    [InlineData("""{}""", "reason")]
    [InlineData("""{"reason":null}""", "reason")]
    [InlineData("""{"reason":5}""", "reason")]
    public void ARefusedRejectionNamesItsField(string json, string field)
    {
        var errors = Refuse(json, OneThing.Contracts.RequestJson.Default.RejectTaskRequest);

        Assert.True(errors.ContainsKey(field), string.Join(", ", errors.Keys));
    }

    [Theory]
    [InlineData("""{"materials":[1]}""", "materials[0]")]
    [InlineData("""{"note":"x"}""", "materials")]
    public void ARefusedSupplementRequestNamesItsField(string json, string field)
    {
        var errors = Refuse(json, OneThing.Contracts.RequestJson.Default.SupplementRequestRequest);

        Assert.True(errors.ContainsKey(field), string.Join(", ", errors.Keys));
    }

    [Theory]
    [InlineData("""{"materials":[{"code":"a"}]}""", "materials[0].uri")]
    [InlineData("""{"materials":[{"code":"a","uri":"https://x.example/a","size":3}]}""", "materials[0].size")]
    [InlineData("""{"materials":[{"code":"a","uri":5}]}""", "materials[0].uri")]
    [InlineData("""{"materials":{}}""", "materials")]
    [InlineData("""{"materials":[],"extra":1}""", "extra")]
    [InlineData("""{"form":[]}""", "form")]
    public void ARefusedSupplyNamesItsField(string json, string field)
    {
        var errors = Refuse(json, OpenMapConverter.Requests.SupplyRequest);

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void ARefusedSupplyNamesEveryFieldOfTheObjectItStoppedAt()
    {
        var errors = Refuse("""{"materials":[{"sha256":"ab","colour":"red"}]}""", OpenMapConverter.Requests.SupplyRequest);

        Assert.Equal(["materials[0].code", "materials[0].colour", "materials[0].uri"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("""{}""", "outputs")]
    [InlineData("""{"outputs":null}""", "outputs")]
    [InlineData("""{"outputs":["a"]}""", "outputs")]
    [InlineData("""{"outputs":{},"signedBy":"x"}""", "signedBy")]
    public void ARefusedCompletionNamesItsField(string json, string field)
    {
        var errors = Refuse(json, OpenMapConverter.Requests.CompleteTaskRequest);

        Assert.Equal([field], errors.Keys);
    }

    [Theory]
    [InlineData("""{"outputs":{"a":"1","b":"2","a":"3"}}""")]
    [InlineData("""{"outputs":{"a":"1","\u0061":"2"}}""")]
    public void AnOpenMapRefusesANameGivenTwice(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(json), OpenMapConverter.Requests.CompleteTaskRequest));

    [Fact]
    public void OpenMapsKeepEveryScalarAndNameEveryOtherValue()
    {
        var request = JsonSerializer.Deserialize("""{"outputs":{"a":"x","b":12.50,"c":true,"d":null,"e":{"f":1},"g":[]}}"""u8,
            OpenMapConverter.Requests.CompleteTaskRequest)!;
        var errors = new FieldErrors();

        var asText = JsonBody.ScalarMap(request.Outputs, "outputs", "Output names", asSent: false, errors);
        var asSent = JsonBody.ScalarMap(request.Outputs, "form", "Field names", asSent: true, new FieldErrors());

        Assert.Equal(new Dictionary<string, string> { ["a"] = "x", ["b"] = "12.50", ["c"] = "true" }, asText);
        Assert.Equal("\"x\"", asSent["a"]);
        Assert.Equal(["outputs.d", "outputs.e", "outputs.g"], errors.ToDictionary().Keys.Order());
    }

    [Theory]
    [InlineData("""{"rating":"5"}""")]
    [InlineData("""{"rating":9223372036854775807}""")]
    [InlineData("""{"rating":4.5}""")]
    public void RatingsAreWholeJsonNumbers(string json)
    {
        var errors = Refuse(json, OneThing.Contracts.RequestJson.Default.EvaluationRequest);

        Assert.Equal(["rating"], errors.Keys);
    }

    [Fact]
    public void AValidBodyReadsIntoItsRecord()
    {
        var request = JsonSerializer.Deserialize("""{"materials":["household-register"],"note":"请补充"}"""u8,
            OneThing.Contracts.RequestJson.Default.SupplementRequestRequest);

        Assert.Equal("请补充", request!.Note);
        Assert.Equal(["household-register"], request.Materials);
        Assert.Equal(Channel.Hall, JsonSerializer.Deserialize<SubmitCaseRequest>(
            """{"itemCode":"newborn","channel":"hall","applicant":{"kind":"person","name":"张三"}}""", JsonSerializerOptions.Web)!.Channel);
    }

    private static Dictionary<string, string[]> Refuse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var failure = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(bytes, type));
        var errors = new FieldErrors();
        RequestErrors.Explain(failure, bytes, type, errors);
        return errors.ToDictionary();
    }
}
