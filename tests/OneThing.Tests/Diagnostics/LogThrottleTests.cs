using Microsoft.Extensions.Time.Testing;
using OneThing.Grains.Diagnostics;

namespace OneThing.Tests.Diagnostics;

public sealed class LogThrottleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TheFirstOccurrenceIsWrittenAndRepeatsWithinTheIntervalAreCountedNotWritten()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(10), _time);

        var first = throttle.ShouldLog("db 57P01", out var beforeFirst);
        var repeats = Enumerable.Range(0, 99).Select(attempt =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            return throttle.ShouldLog("db 57P01", out _);
        }).ToList();

        Assert.True(first);
        Assert.Equal(0, beforeFirst.Count);
        Assert.Equal("", beforeFirst.Note);
        Assert.All(repeats, Assert.False);
    }

    [Fact]
    public void AfterTheIntervalTheNextOccurrenceIsWrittenWithHowManyWereHeldBackSinceWhen()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(10), _time);
        var start = _time.GetUtcNow();
        throttle.ShouldLog("db 57P01", out _);
        for (var i = 0; i < 41; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(200));
            throttle.ShouldLog("db 57P01", out _);
        }

        _time.Advance(TimeSpan.FromSeconds(10));
        var written = throttle.ShouldLog("db 57P01", out var suppressed);
        var right = throttle.ShouldLog("db 57P01", out _);

        Assert.True(written);
        Assert.Equal(new LogThrottle.Suppressed(41, start), suppressed);
        Assert.Equal($" (41 more since {start:O})", suppressed.Note);
        Assert.False(right);
    }

    [Fact]
    public void EachKindHasItsOwnInterval()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(10), _time);

        Assert.True(throttle.ShouldLog("db 57P01", out _));
        Assert.True(throttle.ShouldLog("authentication failed", out _));
        Assert.False(throttle.ShouldLog("db 57P01", out _));
        Assert.False(throttle.ShouldLog("authentication failed", out _));
    }

    [Fact]
    public void ManyKindsDoNotGrowWithoutBound()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(10), _time);

        for (var i = 0; i < 5000; i++)
        {
            throttle.ShouldLog($"kind {i}", out _);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // Kinds quiet for an interval were forgotten, so each still gets its line when it comes back.
        Assert.True(throttle.ShouldLog("kind 0", out _));
    }
}
