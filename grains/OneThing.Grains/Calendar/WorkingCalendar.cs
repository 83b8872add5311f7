using System.Collections.Frozen;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text.Json;
using OneThing.Contracts.Catalog;
using OneThing.Grains.Catalog;
using OneThing.Grains.Common;

namespace OneThing.Grains.Calendar;

/// <summary>
/// The working-day calendar that statutory deadlines are counted in. All calendar days are Beijing days: offices keep
/// UTC+8 all year round, and the machine's time-zone database is deliberately not consulted (containers often lack
/// it, and the answer must not depend on where the silo runs).
/// </summary>
/// <remarks>
/// One instance is shared by every grain of a silo. Ops can add or replace a year while the silo runs
/// (<see cref="SetYears"/>): the years live in an immutable snapshot that is swapped whole, and every computation reads
/// the snapshot once, so a deadline is never counted half with the old year and half with the new one.
/// </remarks>
public sealed class WorkingCalendar
{
    /// <summary>China Standard Time: a fixed offset, no daylight saving.</summary>
    public static readonly TimeSpan BeijingOffset = Instants.BeijingOffset;

    private static readonly TimeSpan _day = TimeSpan.FromDays(1);

    private static readonly JsonSerializerOptions _jsonOptions = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private readonly Action<int>? _onUnknownYear;
    private Snapshot _snapshot;

    /// <param name="years">The published years; each year at most once.</param>
    /// <param name="onUnknownYear">
    /// Called with the year every time a date outside <see cref="KnownYears"/> is evaluated, so the host can warn
    /// that a holiday notice has not been loaded; the date is then treated as a plain Monday-to-Friday day.
    /// Called once per date evaluated, possibly many times for one computation: de-duplication is the caller's.
    /// </param>
    /// <exception cref="ArgumentException">A year is listed twice or is inconsistent (see <see cref="LoadFromDirectory"/>).</exception>
    public WorkingCalendar(IEnumerable<CalendarYear> years, Action<int>? onUnknownYear = null)
    {
        ArgumentNullException.ThrowIfNull(years);
        _snapshot = Snapshot.Create(Checked(years));
        _onUnknownYear = onUnknownYear;
    }

    /// <summary>Where the silo finds the calendar files: <c>catalog/calendar</c> next to the binaries.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "catalog", "calendar");

    /// <summary>The years whose holiday notice is loaded, ascending.</summary>
    public IReadOnlyCollection<int> KnownYears => Volatile.Read(ref _snapshot).KnownYears;

    /// <summary>
    /// Reads every <c>*.json</c> file of <paramref name="directory"/>, each
    /// <c>{ "year": 2026, "holidays": ["2026-01-01", ...], "workingWeekends": ["2026-01-04", ...] }</c>.
    /// Ops add next year's file when the notice is published each November; no code change is needed.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A file is unreadable or inconsistent: not that JSON shape, a date outside its year, a date both a holiday and
    /// a working weekend, a working weekend that is not a Saturday or Sunday, a file name that is a different year,
    /// or a year given by two files. The message names the file so ops can fix it.
    /// </exception>
    public static WorkingCalendar LoadFromDirectory(string directory, Action<int>? onUnknownYear = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);

        var years = new List<CalendarYear>();
        var sources = new Dictionary<int, string>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            var year = ReadFile(path);
            if (!sources.TryAdd(year.Year, path))
            {
                throw new InvalidDataException($"Calendar file '{path}': year {year.Year} is also given by '{sources[year.Year]}'.");
            }

            years.Add(year);
        }

        return new WorkingCalendar(years, onUnknownYear);
    }

    /// <summary>
    /// In a known year: a holiday is not a working day, a working weekend is, and otherwise Monday to Friday are.
    /// In an unknown year: Monday to Friday, and the year is reported to the <c>onUnknownYear</c> callback.
    /// </summary>
    public bool IsWorkingDay(DateOnly date) => IsWorkingDay(Volatile.Read(ref _snapshot), date);

    /// <summary>The year as the calendar counts with it now, dates ascending; null when it is not known.</summary>
    public CalendarYear? FindYear(int year) =>
        Volatile.Read(ref _snapshot).Years.TryGetValue(year, out var found) ? found : null;

    /// <summary>
    /// Adds the given years, replacing those the calendar already knows (a year ops published wins over its file),
    /// in one step: a computation running meanwhile sees either all of them or none. Giving a year exactly as it is
    /// already known changes nothing.
    /// </summary>
    /// <returns>The years that changed, ascending.</returns>
    /// <exception cref="ArgumentException">A year is inconsistent (see <see cref="FindProblems"/>) or given twice; nothing changes.</exception>
    public IReadOnlyList<int> SetYears(IEnumerable<CalendarYear> years)
    {
        ArgumentNullException.ThrowIfNull(years);
        var incoming = Checked(years);
        while (true)
        {
            var current = Volatile.Read(ref _snapshot);
            var changed = incoming
                .Where(year => !current.Years.TryGetValue(year.Year, out var known) || !SameDates(known, year))
                .Select(year => year.Year)
                .Order()
                .ToList();
            if (changed.Count == 0)
            {
                return changed;
            }

            var merged = current.Years.Values.Where(year => !changed.Contains(year.Year)).Concat(incoming.Where(year => changed.Contains(year.Year)));
            // Publishing and the refresh may both set years at once; retrying on a lost race keeps both.
            if (Interlocked.CompareExchange(ref _snapshot, Snapshot.Create(merged), current) == current)
            {
                return changed;
            }
        }
    }

    /// <summary>
    /// Every reason <paramref name="year"/> cannot be used, keyed by the field at fault as a JSON path
    /// (<c>holidays[3]</c>, <c>workingWeekends[0]</c>), in the file loader's order: a date outside the year, a working
    /// weekend that is not a Saturday or Sunday, a date that is both a holiday and a working weekend. Empty when usable.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> FindProblems(CalendarYear year) =>
        Problems(year)
            .GroupBy(problem => problem.Field, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Select(problem => problem.Message).ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// The deadline of a time limit that starts at <paramref name="start"/>, as a UTC+8 instant.
    /// <list type="bullet">
    /// <item><description>
    /// <see cref="TimeLimit.Duration"/> (ISO 8601, e.g. <c>PT4H</c>, <c>P2D</c>): calendar time, holidays included:
    /// <c>start + duration</c>.
    /// </description></item>
    /// <item><description>
    /// <see cref="TimeLimit.WorkingDays"/> = n (n ≥ 1), counted as we apply 行政许可法 Art 82 with the period rules of 民法典 Art 201 and 203:
    /// the Beijing calendar day of <paramref name="start"/> (the day of acceptance) is never counted, whether or not
    /// it is a working day and whatever the time of day; counting begins with the next calendar day; only working
    /// days count (statutory holidays excluded, adjusted weekend working days included); the deadline is the END of
    /// the n-th working day, 24:00 Beijing time, returned as 00:00+08:00 of the following calendar day.
    /// Example: accepted Friday 2026-02-13 10:00 with 5 working days → days 2026-02-14 (adjusted Saturday),
    /// 02-24, 02-25, 02-26, 02-27 → due 2026-02-28T00:00:00+08:00.
    /// </description></item>
    /// </list>
    /// </summary>
    /// <exception cref="ArgumentException">The limit sets neither or both kinds, n &lt; 1, or the duration is not a positive ISO 8601 duration.</exception>
    public DateTimeOffset DueAt(DateTimeOffset start, TimeLimit limit)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        var (workingDays, duration) = Parse(limit);
        var beijingStart = start.ToOffset(BeijingOffset);
        if (duration is { } calendarTime)
        {
            return beijingStart + calendarTime;
        }

        var day = BeijingDate(beijingStart);
        for (var counted = 0; counted < workingDays;)
        {
            day = day.AddDays(1);
            if (IsWorkingDay(snapshot, day))
            {
                counted++;
            }
        }

        return StartOfDay(day.AddDays(1));
    }

    /// <summary>
    /// The number of working days in (<paramref name="fromExclusive"/>, <paramref name="toInclusive"/>]; zero when
    /// <paramref name="toInclusive"/> is not after <paramref name="fromExclusive"/>. With the acceptance day as
    /// <paramref name="fromExclusive"/> this is the count <see cref="DueAt"/> uses.
    /// </summary>
    public int WorkingDaysBetween(DateOnly fromExclusive, DateOnly toInclusive)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        var count = 0;
        for (var day = fromExclusive.AddDays(1); day <= toInclusive; day = day.AddDays(1))
        {
            if (IsWorkingDay(snapshot, day))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The part of [<paramref name="from"/>, <paramref name="to"/>) that falls on working days: every Beijing
    /// calendar day that is a working day counts in full (24 hours, not office hours), the two ends partially;
    /// zero when <paramref name="to"/> is not after <paramref name="from"/>. This is the "working time paused"
    /// by a 补正 request, which <see cref="AddWorkingTime"/> then adds back to a working-day deadline.
    /// </summary>
    public TimeSpan WorkingTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (to <= from)
        {
            return TimeSpan.Zero;
        }

        var total = TimeSpan.Zero;
        var cursor = from.ToOffset(BeijingOffset);
        while (cursor < to)
        {
            var day = BeijingDate(cursor);
            var dayEnd = StartOfDay(day.AddDays(1));
            var sliceEnd = dayEnd < to ? dayEnd : to;
            if (IsWorkingDay(snapshot, day))
            {
                total += sliceEnd - cursor;
            }

            cursor = sliceEnd;
        }

        return total;
    }

    /// <summary>
    /// Moves <paramref name="deadline"/> later by <paramref name="workingTime"/> of working time, skipping
    /// non-working days: the result is the EARLIEST instant r ≥ deadline with
    /// <c>WorkingTimeBetween(deadline, r) == workingTime</c>, as UTC+8.
    /// Consequences worth knowing: a whole number of working days added to a day-boundary deadline (24:00 of a
    /// working day) lands on 24:00 of a later working day, never on the morning after a holiday; nothing is
    /// rounded, so a partial day paused stays a partial day; a deadline inside a non-working day starts consuming
    /// at the next working day's 00:00; zero returns the deadline itself.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workingTime"/> is negative.</exception>
    public DateTimeOffset AddWorkingTime(DateTimeOffset deadline, TimeSpan workingTime)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        ArgumentOutOfRangeException.ThrowIfLessThan(workingTime, TimeSpan.Zero);

        var cursor = deadline.ToOffset(BeijingOffset);
        var remaining = workingTime;
        while (remaining > TimeSpan.Zero)
        {
            var day = BeijingDate(cursor);
            var dayEnd = StartOfDay(day.AddDays(1));
            if (IsWorkingDay(snapshot, day))
            {
                var available = dayEnd - cursor;
                if (remaining <= available)
                {
                    return cursor + remaining;
                }

                remaining -= available;
            }

            cursor = dayEnd;
        }

        return cursor;
    }

    /// <summary>
    /// The default warning point (预警) before <paramref name="dueAt"/>, never earlier than <paramref name="start"/>.
    /// Working-day limits: one working day before the deadline, i.e. the latest instant w with
    /// <c>WorkingTimeBetween(w, dueAt) == 24h</c>; for a deadline from <see cref="DueAt"/> that is 00:00 Beijing of
    /// the n-th working day (the start of the last working day). Defined through working time rather than "today"
    /// so that a deadline moved by a partial 补正 pause still gets a full working day of notice.
    /// Durations: <c>dueAt − 20 %</c> of the duration.
    /// </summary>
    public DateTimeOffset WarningAt(DateTimeOffset start, DateTimeOffset dueAt, TimeLimit limit)
    {
        var (_, duration) = Parse(limit);
        var warning = duration is { } calendarTime
            ? dueAt.ToOffset(BeijingOffset) - TimeSpan.FromTicks(calendarTime.Ticks / 5)
            : SubtractWorkingTime(Volatile.Read(ref _snapshot), dueAt, _day);
        var beijingStart = start.ToOffset(BeijingOffset);
        return warning < beijingStart ? beijingStart : warning;
    }

    /// <summary>Mirror of <see cref="AddWorkingTime"/>: the latest instant w ≤ <paramref name="instant"/> with that much working time in between.</summary>
    private DateTimeOffset SubtractWorkingTime(Snapshot snapshot, DateTimeOffset instant, TimeSpan workingTime)
    {
        var cursor = instant.ToOffset(BeijingOffset);
        var remaining = workingTime;
        while (remaining > TimeSpan.Zero)
        {
            // The day that the instant just before the cursor belongs to: at 00:00 that is the previous day.
            var day = BeijingDate(cursor);
            if (cursor.TimeOfDay == TimeSpan.Zero)
            {
                day = day.AddDays(-1);
            }

            var dayStart = StartOfDay(day);
            if (IsWorkingDay(snapshot, day))
            {
                var available = cursor - dayStart;
                if (remaining <= available)
                {
                    return cursor - remaining;
                }

                remaining -= available;
            }

            cursor = dayStart;
        }

        return cursor;
    }

    private static (int WorkingDays, TimeSpan? Duration) Parse(TimeLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        return limit.Explain(out var workingDays, out var duration) is { } problem
            ? throw new ArgumentException($"The time limit {problem}.", nameof(limit))
            : (workingDays, duration);
    }

    private static CalendarYear ReadFile(string path)
    {
        CalendarFile? file;
        try
        {
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize<CalendarFile>(stream, _jsonOptions);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"Calendar file '{path}': {exception.Message}", exception);
        }

        if (file is not { Year: { } number, Holidays: { } holidays, WorkingWeekends: { } workingWeekends })
        {
            throw new InvalidDataException($"Calendar file '{path}': \"year\", \"holidays\" and \"workingWeekends\" are all required.");
        }

        var year = new CalendarYear(number, holidays, workingWeekends);
        var problem = FindProblem(year);
        if (problem is null
            && int.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var named)
            && named != number)
        {
            // Ops find a year by its file name; a name that says another year would send them to the wrong file.
            problem = $"the file is named {named} but gives year {number}.";
        }

        return problem is null ? year : throw new InvalidDataException($"Calendar file '{path}': {problem}");
    }

    private static string? FindProblem(CalendarYear year) => Problems(year).Select(problem => problem.Message).FirstOrDefault();

    private static IEnumerable<(string Field, string Message)> Problems(CalendarYear year)
    {
        ArgumentNullException.ThrowIfNull(year);
        ArgumentNullException.ThrowIfNull(year.Holidays);
        ArgumentNullException.ThrowIfNull(year.WorkingWeekends);

        var dated = year.Holidays.Select((date, i) => (Field: $"holidays[{i}]", Date: date))
            .Concat(year.WorkingWeekends.Select((date, i) => (Field: $"workingWeekends[{i}]", Date: date)))
            .ToList();
        foreach (var (field, date) in dated.Where(entry => entry.Date.Year != year.Year))
        {
            yield return (field, $"{Format(date)} is not in year {year.Year}.");
        }

        for (var i = 0; i < year.WorkingWeekends.Count; i++)
        {
            var date = year.WorkingWeekends[i];
            if (!IsWeekend(date))
            {
                yield return ($"workingWeekends[{i}]", $"working weekend {Format(date)} is a {date.DayOfWeek}, not a Saturday or Sunday.");
            }
        }

        var holidays = year.Holidays.ToHashSet();
        var both = year.WorkingWeekends
            .Select((date, i) => (Field: $"workingWeekends[{i}]", Date: date))
            .Where(entry => holidays.Contains(entry.Date))
            .OrderBy(entry => entry.Date);
        foreach (var (field, date) in both)
        {
            yield return (field, $"{Format(date)} is both a holiday and a working weekend.");
        }
    }

    /// <summary>Validates every year and that none is given twice; sorted and de-duplicated so that equal years compare equal.</summary>
    private static List<CalendarYear> Checked(IEnumerable<CalendarYear> years)
    {
        var checkedYears = new List<CalendarYear>();
        var seen = new HashSet<int>();
        foreach (var year in years)
        {
            if (FindProblem(year) is { } problem)
            {
                throw new ArgumentException(problem, nameof(years));
            }

            if (!seen.Add(year.Year))
            {
                throw new ArgumentException($"Year {year.Year} is given more than once.", nameof(years));
            }

            checkedYears.Add(new CalendarYear(year.Year, [.. year.Holidays.Distinct().Order()], [.. year.WorkingWeekends.Distinct().Order()]));
        }

        return checkedYears;
    }

    private static bool SameDates(CalendarYear a, CalendarYear b) =>
        a.Holidays.SequenceEqual(b.Holidays) && a.WorkingWeekends.SequenceEqual(b.WorkingWeekends);

    private bool IsWorkingDay(Snapshot snapshot, DateOnly date)
    {
        if (!snapshot.Years.ContainsKey(date.Year))
        {
            _onUnknownYear?.Invoke(date.Year);
            return !IsWeekend(date);
        }

        if (snapshot.Holidays.Contains(date))
        {
            return false;
        }

        return snapshot.WorkingWeekends.Contains(date) || !IsWeekend(date);
    }

    private static bool IsWeekend(DateOnly date) => date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    private static DateOnly BeijingDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(BeijingOffset).DateTime);

    private static DateTimeOffset StartOfDay(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), BeijingOffset);

    private static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Everything a computation reads, built once and never changed: swapping it whole is what makes the calendar safely mutable.</summary>
    private sealed record Snapshot(
        FrozenDictionary<int, CalendarYear> Years,
        FrozenSet<DateOnly> Holidays,
        FrozenSet<DateOnly> WorkingWeekends,
        IReadOnlyCollection<int> KnownYears)
    {
        /// <summary>From years already checked by <see cref="Checked"/> (normalised, each year once).</summary>
        public static Snapshot Create(IEnumerable<CalendarYear> years)
        {
            var byYear = years.ToFrozenDictionary(year => year.Year);
            return new Snapshot(
                byYear,
                byYear.Values.SelectMany(year => year.Holidays).ToFrozenSet(),
                byYear.Values.SelectMany(year => year.WorkingWeekends).ToFrozenSet(),
                new ReadOnlyCollection<int>([.. byYear.Keys.Order()]));
        }
    }

    /// <summary>The file shape; every member nullable so that a missing one is reported rather than defaulted.</summary>
    private sealed record CalendarFile(int? Year, IReadOnlyList<DateOnly>? Holidays, IReadOnlyList<DateOnly>? WorkingWeekends);
}
