using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace OneThing.Bench.Lifecycle;

/// <summary>
/// CPU seconds of other processes from /proc/&lt;pid&gt;/stat: the process, plus every process whose parent it is,
/// plus what its exited children used (cutime/cstime). For PostgreSQL that is the postmaster, every backend, and
/// the short-lived workers (autovacuum) that ended during the run.
/// </summary>
public static class ProcessCpu
{
    private static readonly Lazy<double> TicksPerSecond = new(ReadTicksPerSecond);

    /// <summary>CPU seconds so far of <paramref name="pid"/> and its children; null when /proc has no such process.</summary>
    public static double? Read(int pid)
    {
        if (ReadStat(pid) is not { } own)
        {
            return null;
        }
        var ticks = own.Utime + own.Stime + own.Cutime + own.Cstime;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && child != pid && ReadStat(child) is { } stat && stat.Parent == pid)
            {
                ticks += stat.Utime + stat.Stime + stat.Cutime + stat.Cstime;
            }
        }
        return ticks / TicksPerSecond.Value;
    }

    /// <summary>
    /// CPU seconds the whole machine has been busy (every core, every process, the kernel), from /proc/stat: what
    /// is left after the named processes shows whether something else competed with the run.
    /// </summary>
    public static double? Machine()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is inside user.
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
            return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / TicksPerSecond.Value;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>This process's CPU seconds, as .NET counts them.</summary>
    public static double Own()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null; // gone since the folder was listed, or not ours to read
        }
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // Fields from 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
        return new Stat(
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[11], CultureInfo.InvariantCulture),
            long.Parse(fields[12], CultureInfo.InvariantCulture),
            long.Parse(fields[13], CultureInfo.InvariantCulture),
            long.Parse(fields[14], CultureInfo.InvariantCulture));
    }

    private static double ReadTicksPerSecond()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100; // USER_HZ on every Linux build that matters
        }
    }

    private readonly record struct Stat(int Parent, long Utime, long Stime, long Cutime, long Cstime);
}

/// <summary>Cumulative PostgreSQL counters; differences over the window give the database's share of the work.</summary>
public sealed record PostgresCounters(long Commits, long Rollbacks, long WalBytes, long WalSyncs, long NextTransactionId)
{
    /// <summary>
    /// xact_commit and pg_stat_wal lag by up to a second (backends flush their statistics at most once a second);
    /// in a steady state the lag is the same at both ends of the window, so differences stay unbiased. The next
    /// transaction id does not lag at all: it counts transactions that wrote, in any database of the server (the
    /// bench's server runs nothing else).
    /// </summary>
    public static async Task<PostgresCounters> ReadAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("""
            SELECT d.xact_commit, d.xact_rollback,
                   (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint,
                   (SELECT wal_sync FROM pg_stat_wal),
                   pg_snapshot_xmax(pg_current_snapshot())::text::bigint
            FROM pg_stat_database d
            WHERE d.datname = current_database()
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new PostgresCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }
}
