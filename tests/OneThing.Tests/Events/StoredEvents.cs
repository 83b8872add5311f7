using Npgsql;

namespace OneThing.Tests.Events;

/// <summary>
/// Writes rows of <c>onething_case_events</c> as the case grain does: in one transaction, each row's position the
/// transaction's id shifted left by 16 plus the row's ordinal in it.
/// </summary>
public sealed class StoredEvents : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private int _ordinal;

    private StoredEvents(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>The (case id, seq) of every row this transaction inserted.</summary>
    public List<(string CaseId, int Seq)> Written { get; } = [];

    public static async Task<StoredEvents> BeginAsync(NpgsqlDataSource database)
    {
        var connection = await database.OpenConnectionAsync();
        return new StoredEvents(connection, await connection.BeginTransactionAsync());
    }

    /// <summary>Inserts one event; its data is <paramref name="dataJson"/> as given.</summary>
    public async Task InsertAsync(
        string caseId, int seq, DateOnly? caseMonth = null, string dataJson = """{"note":"x"}""", string? matterCode = null, string? department = null,
        string type = "TaskAccepted")
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO onething_case_events (case_month, case_id, seq, position, type, version, at, actor_role, matter_code,
                                              department, item_code, region, data)
            VALUES ($1, $2, $3, (pg_current_xact_id()::text::bigint << 16) + $4, $8, 1, now(), 'system', $5, $6,
                    'newborn', NULL, $7::jsonb)
            """, _connection, _transaction);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = caseMonth ?? new DateOnly(2026, 1, 1) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seq });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _ordinal++ });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)matterCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)department ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataJson });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        await command.ExecuteNonQueryAsync();
        Written.Add((caseId, seq));
    }

    /// <summary>Inserts <paramref name="count"/> events of a case of its own, seq 1 to <paramref name="count"/>.</summary>
    public async Task InsertCaseAsync(string caseId, int count)
    {
        for (var seq = 1; seq <= count; seq++)
        {
            await InsertAsync(caseId, seq);
        }
    }

    public Task CommitAsync() => _transaction.CommitAsync();

    public Task RollbackAsync() => _transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
