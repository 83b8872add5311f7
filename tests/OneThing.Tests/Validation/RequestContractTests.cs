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
