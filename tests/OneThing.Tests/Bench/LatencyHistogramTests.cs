using OneThing.Bench.Lifecycle;

namespace OneThing.Tests.Bench;

/// <summary>The percentiles in every benchmark table come from this histogram: it must hold its stated ±0.4 %.</summary>
public sealed class LatencyHistogramTests
{
    [Fact]
    public void PercentilesOfAWideSpreadAreWithinAFractionOfAPercentOfTheExactValues()
    {
        var histogram = new LatencyHistogram();
        // 1 µs to 1,000,000 µs, evenly spread on a log scale, as latencies from microseconds to a second are.
        var values = Enumerable.Range(0, 100_000).Select(i => (long)Math.Round(Math.Pow(10, 6.0 * i / 99_999))).ToArray();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        var sorted = values.Order().ToArray();
        foreach (var fraction in new[] { 0.5, 0.9, 0.95, 0.99, 0.999 })
        {
            var exact = sorted[(int)Math.Ceiling(fraction * sorted.Length) - 1];
            var reported = histogram.Percentile(fraction);
            Assert.InRange(reported, exact, exact * 1.004 + 1);
        }
        Assert.Equal(100_000, histogram.Count);
        Assert.Equal(1_000_000, histogram.MaxMicroseconds);
        Assert.Equal(values.Average(), histogram.MeanMicroseconds, precision: 6);
    }

    [Fact]
    public void SmallValuesAreExactAndNoPercentileExceedsTheMaximum()
    {
        var histogram = new LatencyHistogram();
        foreach (var value in new long[] { 3, 7, 7, 300, 100_003 })
        {
            histogram.Record(value);
        }

        Assert.Equal(3, histogram.Percentile(0.2));
        Assert.Equal(7, histogram.Percentile(0.5));
        Assert.Equal(300, histogram.Percentile(0.8));
        // The top bucket's upper bound lies above 100,003; the true maximum is reported instead.
        Assert.Equal(100_003, histogram.Percentile(1.0));
    }

    [Fact]
    public void AnEmptyHistogramReportsZeroAndNegativeTimesCountAsZero()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.Percentile(0.99));
        Assert.Equal(0, histogram.MeanMicroseconds);

        histogram.Record(-5);
        Assert.Equal(0, histogram.Percentile(0.5));
        Assert.Equal(1, histogram.Count);
    }

    [Fact]
    public async Task ConcurrentRecordersLoseNoSample()
    {
        var histogram = new LatencyHistogram();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 1; i <= 10_000; i++)
            {
                histogram.Record(i + worker);
            }
        })));

        Assert.Equal(80_000, histogram.Count);
        Assert.Equal(10_007, histogram.MaxMicroseconds);
    }
}
