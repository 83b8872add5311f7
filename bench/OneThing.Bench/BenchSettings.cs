using System.Globalization;

namespace OneThing.Bench;

/// <summary>
/// Command-line settings shared by the scenarios (<c>--seconds 20 --concurrency 32 --grains 2000</c>). The typed
/// properties carry the storage scenario's defaults; every pair is also kept in <see cref="Options"/> so that a
/// scenario with other defaults (lifecycle) can tell "not given" from "given".
/// </summary>
public sealed record BenchSettings(
    TimeSpan Duration, int Concurrency, int Grains, string ResultsDirectory, IReadOnlyDictionary<string, string> Options)
{
    public static BenchSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length == 2)
            {
                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.");
            }
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"Option {args[i]} needs a value.");
            }
            // The last one wins, so a caller can override what a script passes before it.
            values[args[i][2..]] = args[i + 1];
        }

        var parsed = new BenchSettings(TimeSpan.Zero, 0, 0, "", values);
        return parsed with
        {
            Duration = TimeSpan.FromSeconds(parsed.Double("seconds", 15)),
            Concurrency = parsed.Int("concurrency", 32),
            Grains = parsed.Int("grains", 2000),
            ResultsDirectory = parsed.Text("results") ?? Path.Combine("bench", "results"),
        };
    }

    public string? Text(string name) => Options.GetValueOrDefault(name);

    public int Int(string name, int fallback)
    {
        if (!Options.TryGetValue(name, out var text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{name} expects a whole number, got '{text}'.");
    }

    public double Double(string name, double fallback)
    {
        if (!Options.TryGetValue(name, out var text))
        {
            return fallback;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{name} expects a number, got '{text}'.");
    }

    /// <summary>
    /// scripts/bench.sh hands the same extra arguments to every scenario, so an option one scenario does not know
    /// is reported rather than refused; a typo still shows.
    /// </summary>
    public void WarnAboutUnknown(string scenario, IReadOnlyCollection<string> known)
    {
        foreach (var name in Options.Keys.Where(name => !known.Contains(name)))
        {
            Console.Error.WriteLine($"onething-bench: {scenario} ignores --{name}.");
        }
    }
}
