using System.Diagnostics;
using Npgsql;

namespace OneThing.Bench.Deadlines;

/// <summary>
/// Times the read a silo's reminder service makes of its whole ring range: with one silo that is the full table,
/// read at start-up and again every refresh period (5 minutes by default). The statement is the one the provider
/// runs, taken from the project's query table, and every column of every row is read as the provider reads it.
/// </summary>
public sealed record ReminderTableRead(long Rows, IReadOnlyList<double> Milliseconds)
{
    private const int Repetitions = 3;

    public double MedianMilliseconds => Milliseconds.Order().ElementAt(Milliseconds.Count / 2);

    public static async Task<ReminderTableRead> MeasureAsync(NpgsqlDataSource database)
    {
        string statement;
        await using (var query = database.CreateCommand("SELECT querytext FROM orleansquery WHERE querykey = 'ReadRangeRows2Key'"))
        {
            statement = (string)(await query.ExecuteScalarAsync())!;
        }
        string serviceId;
        await using (var service = database.CreateCommand("SELECT serviceid FROM orleansreminderstable LIMIT 1"))
        {
            serviceId = await service.ExecuteScalarAsync() as string ?? "onething";
        }

        var timings = new List<double>(Repetitions);
        long rows = 0;
        for (var run = 0; run < Repetitions; run++)
        {
            var started = Stopwatch.GetTimestamp();
            rows = 0;
            await using var read = database.CreateCommand(statement);
            // Equal bounds make the wrapping range the whole ring, as one silo owns it.
            read.Parameters.AddWithValue("ServiceId", serviceId);
            read.Parameters.AddWithValue("BeginHash", 0);
            read.Parameters.AddWithValue("EndHash", 0);
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    _ = reader.GetString(0);
                    _ = reader.GetString(1);
                    _ = reader.GetDateTime(2);
                    _ = reader.GetInt64(3);
                    _ = reader.GetInt32(4);
                    rows++;
                }
            }
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return new ReminderTableRead(rows, timings);
    }
}
