using Npgsql;
using OneThing.Contracts.Departments;
using OneThing.Grains.Common;
using OneThing.Grains.ReadModels;
using OneThing.Grains.Tasks;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.ReadModels;

/// <summary>The group-committing read-model writer against a real database.</summary>
public sealed class ReadModelWriterTests
{
    [Fact]
    public async Task ConcurrentWritesAreAllCommittedAndOlderRevisionsNeverOverwriteNewerOnes()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("rm_concurrent");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var writer = new ReadModelWriter(dataSource, new NoReadModelFaults(), TestPrivacyKeys.Keys);

        // Many grains at once: each waits for its own rows, however the writer groups them.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => writer.WriteAsync(writer.Rows().Task(Row(i, DepartmentTaskStatus.Ready), revision: 2)))));
        await writer.WriteAsync(writer.Rows().Task(Row(7, DepartmentTaskStatus.Waiting), revision: 1));

        Assert.Equal(200L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_department_tasks"));
        Assert.Equal(0L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_department_tasks WHERE status <> 'Ready'"));
    }

    [Fact]
    public async Task AnEndedTaskMovesToTheEndedPartitionAndAnOlderWriteNeverBringsItBack()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("rm_split");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var writer = new ReadModelWriter(dataSource, new NoReadModelFaults(), TestPrivacyKeys.Keys);

        await writer.WriteAsync(writer.Rows().Task(Row(1, DepartmentTaskStatus.Ready), revision: 1));
        await writer.WriteAsync(writer.Rows().Task(Row(1, DepartmentTaskStatus.Accepted), revision: 2));
        Assert.Equal("Accepted", await OnlyRowAsync("onething_department_tasks_open"));
        await writer.WriteAsync(writer.Rows().Task(Row(1, DepartmentTaskStatus.Completed), revision: 3));
        Assert.Equal("Completed", await OnlyRowAsync("onething_department_tasks_ended"));
        Assert.Equal(0L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_department_tasks_open"));

        // A write that lost a race (an older revision, an open status) changes nothing.
        await writer.WriteAsync(writer.Rows().Task(Row(1, DepartmentTaskStatus.Accepted), revision: 2));
        Assert.Equal("Completed", await OnlyRowAsync("onething_department_tasks"));
        // The same revision again (a retried commit) neither.
        await writer.WriteAsync(writer.Rows().Task(Row(1, DepartmentTaskStatus.Completed), revision: 3));
        Assert.Equal("Completed", await OnlyRowAsync("onething_department_tasks_ended"));

        async Task<string> OnlyRowAsync(string table)
        {
            Assert.Equal(1L, await TestDatabase.ScalarAsync(connectionString, $"SELECT count(*) FROM onething_department_tasks WHERE task_id = 'case-1.birth-certificate'"));
            return (string)(await TestDatabase.ScalarAsync(connectionString, $"SELECT status FROM {table} WHERE task_id = 'case-1.birth-certificate'"))!;
        }
    }

    [Fact]
    public async Task TheEndedPartitionHoldsExactlyTheStatusesThatEnd()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("rm_bound");
        var bound = (string)(await TestDatabase.ScalarAsync(connectionString,
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'onething_department_tasks_ended'"))!;
        var ended = Enum.GetValues<DepartmentTaskStatus>().Where(status => status.IsEnded()).Select(status => $"'{status}'");
        Assert.Equal($"FOR VALUES IN ({string.Join(", ", ended)})", bound);
    }

    [Fact]
    public async Task AFailedBatchFailsItsCallersAndTheWriterGoesOn()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("rm_failure");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var writer = new ReadModelWriter(dataSource, new NoReadModelFaults(), TestPrivacyKeys.Keys);
        await using (var breakTable = dataSource.CreateCommand(
            "ALTER TABLE onething_department_tasks ADD CONSTRAINT test_no_police CHECK (department <> 'police')"))
        {
            await breakTable.ExecuteNonQueryAsync();
        }

        var refused = Row(1, DepartmentTaskStatus.Ready) with { Department = "police" };
        var failure = await Assert.ThrowsAsync<DatabaseWriteFailedException>(() => writer.WriteAsync(writer.Rows().Task(refused, revision: 1)));
        // PostgreSQL names the partition the row was bound for: open tasks have one of their own.
        Assert.Equal(("23514", "onething_department_tasks_open", "test_no_police"), (failure.SqlState, failure.Table, failure.Constraint));
        await writer.WriteAsync(writer.Rows().Task(Row(2, DepartmentTaskStatus.Ready), revision: 1));

        Assert.Equal(1L, await TestDatabase.ScalarAsync(connectionString, "SELECT count(*) FROM onething_department_tasks"));
    }

    [Fact]
    public async Task ARowJsonbRefusesFailsWithItsSqlStateAndWithoutTheRowsText()
    {
        var connectionString = await TestDatabase.CreateMigratedAsync("rm_nul");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var writer = new ReadModelWriter(dataSource, new NoReadModelFaults(), TestPrivacyKeys.Keys);
        var idNumber = TestIdentities.IdNumber(914_201);
        var refused = Row(1, DepartmentTaskStatus.Ready) with { Inputs = new Dictionary<string, string> { ["applicant.idNumber"] = $"{idNumber}\u0000" } };

        var failure = await Assert.ThrowsAsync<DatabaseWriteFailedException>(() => writer.WriteAsync(writer.Rows().Task(refused, revision: 1)));

        Assert.Equal("22P05", failure.SqlState);
        Assert.Null(failure.InnerException);
        Assert.DoesNotContain(idNumber, failure.ToString(), StringComparison.Ordinal);
    }

    private static TaskView Row(int i, DepartmentTaskStatus status) => new(
        $"case-{i}.birth-certificate", $"case-{i}", "birth-certificate", "出生医学证明", "health", status,
        DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(5), null, new Dictionary<string, string>(),
        new Dictionary<string, string>(), null, null, "newborn", false);
}
