using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneThing.Grains.Common;

/// <summary>
/// The JSON shape of views wherever they leave a grain as text: HTTP responses and the read-model rows the API
/// serves without calling grains. One definition, so both paths return the same document.
/// </summary>
public static class ViewJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Applicant look-ups use a hash, so read models and logs never hold an identity number in clear.</summary>
public static class ApplicantKeys
{
    public static string Hash(string identityNumberOrCreditCode) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("onething-applicant:" + identityNumberOrCreditCode.Trim().ToUpperInvariant())));
}
