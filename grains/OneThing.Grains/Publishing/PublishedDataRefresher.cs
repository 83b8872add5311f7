using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Calendar;
using OneThing.Grains.Catalog;

namespace OneThing.Grains.Publishing;

/// <summary>
/// Brings what ops published through any silo into this silo's <see cref="ItemCatalog"/> and
/// <see cref="WorkingCalendar"/>: every row before the silo joins the cluster, then the rows newer than the last seen,
/// every <see cref="CatalogRefreshOptions.RefreshInterval"/>. Meanwhile an item or a version this silo does not hold is
/// read from the table, asynchronously, when a grain asks for it (<see cref="ItemCatalog.LoadMissingVersionsFrom"/>);
/// what lags by up to one interval is only which version counts as the newest of a variant this silo already serves,
/// and whether a region that had no variant here has one now.
/// </summary>
/// <remarks>
/// "Newer than the last seen" is read with an overlap: a row's timestamp is taken before its transaction commits, so
/// a row can become visible after a later-stamped one was already read. Rows read twice change nothing.
/// </remarks>
public sealed partial class PublishedDataRefresher(
    ItemCatalog catalog,
    WorkingCalendar calendar,
    PublishedItemStore items,
    CalendarYearStore years,
    IOptions<CatalogRefreshOptions> options,
    TimeProvider clock,
    ILogger<PublishedDataRefresher> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>Far longer than a publishing transaction lasts between taking its timestamp and committing.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stopping = new();
    private DateTimeOffset? _itemsSeen;
    private DateTimeOffset? _yearsSeen;
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // Before the silo becomes active: no grain runs on this silo until the published versions are in its catalog.
        lifecycle.Subscribe(nameof(PublishedDataRefresher), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>
    /// Reads the rows newer than the last seen (all of them the first time) into the catalog and the calendar; names
    /// each one that changed something when <paramref name="announce"/> (at start-up one line says how many).
    /// </summary>
    /// <returns>How many item versions and calendar years changed what this silo serves.</returns>
    private async Task<(int Items, int Years)> RefreshAsync(bool announce, CancellationToken cancellationToken)
    {
        var itemRows = await items.ReadAsync(_itemsSeen - Overlap, cancellationToken);
        var parsed = new List<ItemDefinition>();
        foreach (var row in itemRows)
        {
            try
            {
                var item = JsonSerializer.Deserialize<ItemDefinition>(row.Definition, ItemCatalog.JsonOptions)
                    ?? throw new JsonException("the definition is null");
                // The key says which variant a row is; a definition claiming another would be served under the wrong one.
                if (item.Code != row.Code || item.Region != row.Region || item.Version != row.Version)
                {
                    throw new JsonException(
                        $"the definition is {ItemCatalog.Describe(item.Code, item.Region, item.Version)}, the row's key {ItemCatalog.Describe(row.Code, row.Region, row.Version)}");
                }
                parsed.Add(item);
            }
            catch (JsonException error)
            {
                // Only a hand-edited row can get here; skipping it keeps every other version flowing.
                LogUnreadableItem(row.Code, RegionCodes.Describe(row.Region), row.Version, error.Message);
            }
        }
        var merge = catalog.AddPublished(parsed);
        if (announce)
        {
            foreach (var item in merge.Added)
            {
                LogItemAdded(item.Code, RegionCodes.Describe(item.Region), item.Version);
            }
        }
        foreach (var shadowed in merge.ReplacedBuiltIn)
        {
            LogBuiltInShadowed(shadowed.Code, RegionCodes.Describe(shadowed.Region), shadowed.Version);
        }
        if (itemRows.Count > 0)
        {
            _itemsSeen = Max(_itemsSeen, itemRows[^1].PublishedAt);
        }

        var yearRows = await years.ReadAsync(_yearsSeen - Overlap, cancellationToken);
        var yearsChanged = 0;
        foreach (var row in yearRows)
        {
            try
            {
                foreach (var year in calendar.SetYears([row.Year]))
                {
                    yearsChanged++;
                    if (announce)
                    {
                        LogYearSet(year, row.UpdatedAt);
                    }
                }
            }
            catch (ArgumentException error)
            {
                LogUnusableYear(row.Year.Year, error.Message);
            }
        }
        if (yearRows.Count > 0)
        {
            _yearsSeen = Max(_yearsSeen, yearRows[^1].UpdatedAt);
        }
        return (merge.Added.Count, yearsChanged);
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var (loadedItems, loadedYears) = await RefreshAsync(announce: false, cancellationToken);
        LogLoaded(loadedItems, loadedYears);
        WarnAboutMissingYears();
        // Real time for how long a miss is remembered, like the refresh: a faked domain clock must not keep it forever.
        catalog.LoadMissingVersionsFrom(items.FindAsync, TimeProvider.System, _stopping.Token);
        // Off any grain scheduler: this loop belongs to the silo, not to a grain.
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        // Real time, not the injected clock: tests that fake the domain's time still want the refresh to run.
        var interval = options.Value.RefreshInterval;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await RefreshAsync(announce: true, stopping);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    // The database may be away for a while; the silo keeps serving what it has and tries again.
                    LogRefreshFailed(error, interval);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    /// <summary>Holiday notices come out each November: a missing current or next year should be heard of at start-up, once.</summary>
    private void WarnAboutMissingYears()
    {
        var current = clock.GetUtcNow().ToOffset(WorkingCalendar.BeijingOffset).Year;
        var missing = new[] { current, current + 1 }.Where(year => calendar.FindYear(year) is null).ToList();
        if (missing.Count > 0)
        {
            LogMissingYears(string.Join(" and ", missing), current, current + 1);
        }
    }

    private static DateTimeOffset Max(DateTimeOffset? seen, DateTimeOffset latest) =>
        seen is { } earlier && earlier > latest ? earlier : latest;

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Items} published item versions and {Years} published calendar years")]
    private partial void LogLoaded(int items, int years);

    [LoggerMessage(Level = LogLevel.Information, Message = "Item {Code} ({Region}) v{Version} (published) is now served by this silo")]
    private partial void LogItemAdded(string code, string region, int version);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Item {Code} ({Region}) v{Version} is both a built-in file and a published version; the published one is served. Renumber or remove the file")]
    private partial void LogBuiltInShadowed(string code, string region, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Published item {Code} ({Region}) v{Version} cannot be read and is skipped: {Reason}")]
    private partial void LogUnreadableItem(string code, string region, int version, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Calendar year {Year} (published {UpdatedAt:o}) is now used by this silo")]
    private partial void LogYearSet(int year, DateTimeOffset updatedAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Published calendar year {Year} is inconsistent and is not used: {Reason}")]
    private partial void LogUnusableYear(int year, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Refreshing published items and calendar years failed; this silo keeps what it has and retries in {Interval}")]
    private partial void LogRefreshFailed(Exception error, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The working-day calendar has no holiday notice for {MissingYears} (current year {CurrentYear}, next year {NextYear}); dates there count Monday to Friday. Publish it with PUT /api/calendar/<year> or add catalog/calendar/<year>.json")]
    private partial void LogMissingYears(string missingYears, int currentYear, int nextYear);
}
