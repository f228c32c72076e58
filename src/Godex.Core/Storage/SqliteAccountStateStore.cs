using Microsoft.Data.Sqlite;

namespace Godex.Core.Storage;

/// <summary><see cref="IAccountStateStore"/> on the godex SQLite database (table <c>account_state</c>).</summary>
public sealed class SqliteAccountStateStore(GodexDatabase database) : IAccountStateStore
{
    private const string Columns =
        "backend, account, last_error, primary_used, primary_window, primary_reset, secondary_used, secondary_window, secondary_reset, updated_at";

    public IReadOnlyList<AccountState> Load(string? backend)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM account_state WHERE $backend IS NULL OR backend = $backend ORDER BY backend, account;";
        command.Parameters.AddWithValue("$backend", (object?)backend ?? DBNull.Value);
        using SqliteDataReader reader = command.ExecuteReader();
        var states = new List<AccountState>();
        while (reader.Read())
        {
            states.Add(new AccountState(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                Window(reader, 3),
                Window(reader, 6),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9))));
        }

        return states;
    }

    public ValueTask SaveAsync(IReadOnlyList<AccountState> states, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        // Written off the request path, coalesced (AccountPool): one transaction per batch.
        using SqliteConnection connection = database.OpenConnection();
        using SqliteTransaction transaction = connection.BeginTransaction();
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT OR REPLACE INTO account_state ({Columns}) VALUES ($b, $a, $le, $pu, $pw, $pr, $su, $sw, $sr, $t);";
        SqliteParameter[] p =
        [
            command.Parameters.Add("$b", SqliteType.Text), command.Parameters.Add("$a", SqliteType.Text),
            command.Parameters.Add("$le", SqliteType.Text), command.Parameters.Add("$pu", SqliteType.Real),
            command.Parameters.Add("$pw", SqliteType.Integer), command.Parameters.Add("$pr", SqliteType.Integer),
            command.Parameters.Add("$su", SqliteType.Real), command.Parameters.Add("$sw", SqliteType.Integer),
            command.Parameters.Add("$sr", SqliteType.Integer), command.Parameters.Add("$t", SqliteType.Integer),
        ];
        foreach (AccountState state in states)
        {
            p[0].Value = state.Backend;
            p[1].Value = state.Account;
            p[2].Value = (object?)state.LastError ?? DBNull.Value;
            p[3].Value = state.Primary is { } primary ? primary.UsedPercent : DBNull.Value;
            p[4].Value = (object?)state.Primary?.WindowMinutes ?? DBNull.Value;
            p[5].Value = Db(state.Primary?.ResetsAt);
            p[6].Value = state.Secondary is { } secondary ? secondary.UsedPercent : DBNull.Value;
            p[7].Value = (object?)state.Secondary?.WindowMinutes ?? DBNull.Value;
            p[8].Value = Db(state.Secondary?.ResetsAt);
            p[9].Value = state.UpdatedAt.ToUnixTimeMilliseconds();
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> DeleteAsync(string backend, string account, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM account_state WHERE backend = $b AND account = $a;";
        command.Parameters.AddWithValue("$b", backend);
        command.Parameters.AddWithValue("$a", account);
        return ValueTask.FromResult(command.ExecuteNonQuery() > 0);
    }

    private static object Db(DateTimeOffset? time) => time is { } t ? t.ToUnixTimeMilliseconds() : DBNull.Value;

    private static DateTimeOffset? Time(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(column));

    private static UsageWindow? Window(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column)
            ? null
            : new UsageWindow(reader.GetDouble(column), reader.IsDBNull(column + 1) ? null : reader.GetInt32(column + 1), Time(reader, column + 2));
}
