using System.Globalization;

namespace OneThing.Bench;

/// <summary>Command-line settings shared by the scenarios (<c>--seconds 20 --concurrency 32 --grains 2000</c>).</summary>
public sealed record BenchSettings(TimeSpan Duration, int Concurrency, int Grains, string ResultsDirectory)
{
    public static BenchSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.");
            }
            values[args[i][2..]] = args[i + 1];
        }

        int Int(string name, int fallback) =>
            values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

        return new BenchSettings(
            TimeSpan.FromSeconds(Int("seconds", 15)),
            Int("concurrency", 32),
            Int("grains", 2000),
            values.GetValueOrDefault("results", Path.Combine("bench", "results")));
    }
}
