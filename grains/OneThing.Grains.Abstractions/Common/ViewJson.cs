using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace OneThing.Grains.Common;

/// <summary>
/// The JSON shape of views wherever they leave a grain as text: HTTP responses and the read-model rows the API
/// serves without calling grains. One definition, so both paths return the same document.
/// </summary>
public static class ViewJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>
    /// Chinese text as it is, not as \u escapes: names, addresses and timeline entries are mostly Chinese, and escaping
    /// doubles their size and the time to write them. Characters that matter in HTML (&lt; &gt; &amp; quotes) stay escaped.
    /// </summary>
    public static JavaScriptEncoder Encoder { get; } = JavaScriptEncoder.Create(UnicodeRanges.All);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = Encoder };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
