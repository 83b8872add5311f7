using System.Diagnostics.Metrics;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Events;

namespace OneThing.Tests.Diagnostics;

/// <summary>Which stored events count as what, without a cluster: a listener on the OneThing meter.</summary>
public sealed class OneThingMetricsTests
{
    private static readonly DateTimeOffset ReadyAt = new(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public void ACompletedTaskCountsForItsDepartmentWithItsTimeSinceItWasFirstReady()
    {
        var department = Unique("dept");
        using var measured = new Measurements();

        OneThingMetrics.Count(Event(new TaskReady(null, null, []), department, ReadyAt), "newborn", null);
        OneThingMetrics.Count(Event(new TaskReady(null, null, [], Returned: true), department, ReadyAt.AddHours(1)), "newborn", null);
        OneThingMetrics.Count(Event(new TaskCompleted(new Dictionary<string, string>()), department, ReadyAt.AddHours(3)), "newborn", null, ReadyAt);
        OneThingMetrics.Count(Event(new Overdue(ReadyAt), department, ReadyAt.AddDays(1)), "newborn", null);

        Assert.Equal(1, measured.Sum("onething.tasks.ready", ("department", department)));
        Assert.Equal(1, measured.Sum("onething.tasks.completed", ("department", department)));
        Assert.Equal(1, measured.Sum("onething.tasks.overdue", ("department", department)));
        Assert.Equal(3 * 3600, measured.Sum("onething.tasks.completion_time", ("department", department)));
    }

    [Fact]
    public void CaseEventsCountByItemAndRegionAndAnImportedCaseCountsAsNothing()
    {
        var item = Unique("item");
        using var measured = new Measurements();

        OneThingMetrics.Count(Event(new CaseCompleted(), null, ReadyAt), item, "chongqing");
        OneThingMetrics.Count(Event(new CaseWithdrawn("moved"), null, ReadyAt), item, null);
        OneThingMetrics.Count(Event(new CaseRejected("no"), null, ReadyAt), item, null);
        OneThingMetrics.Count(Event(new Overdue(ReadyAt), null, ReadyAt), item, null);
        OneThingMetrics.Count(Event(new CaseImported(3, default), null, ReadyAt), item, null);

        Assert.Equal(1, measured.Sum("onething.cases.completed", ("item", item), ("region", "chongqing")));
        Assert.Equal(1, measured.Sum("onething.cases.withdrawn", ("item", item), ("region", "national")));
        Assert.Equal(1, measured.Sum("onething.cases.rejected", ("item", item), ("region", "national")));
        Assert.Equal(1, measured.Sum("onething.cases.overdue", ("item", item), ("region", "national")));
        Assert.Equal(4, measured.All.Count(m => m.Tags.Contains(new KeyValuePair<string, object?>("item", item))));
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static CaseEvent Event(CaseEventData data, string? department, DateTimeOffset at) =>
        new("c-metrics", 1, at, EventActor.System, data, department is null ? null : "matter", department);

    /// <summary>Everything recorded on the OneThing meter while it lives.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _all = new();

        public Measurements()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OneThingMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.Start();
        }

        public IEnumerable<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> All => _all;

        public double Sum(string name, params (string Key, string Value)[] tags) => _all
            .Where(m => m.Name == name && tags.All(tag => m.Tags.Contains(new KeyValuePair<string, object?>(tag.Key, tag.Value))))
            .Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();
    }
}
