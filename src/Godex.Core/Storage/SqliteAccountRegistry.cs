using Microsoft.Data.Sqlite;

namespace Godex.Core.Storage;

/// <summary>The accounts added from the command line (table <c>accounts</c>); the config's own list stays in the config.</summary>
public sealed class SqliteAccountRegistry(GodexDatabase database)
{
    public IReadOnlyList<RegisteredAccount> List(string? backend)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT backend, name, login_path, api_key, added_at FROM accounts WHERE $b IS NULL OR backend = $b ORDER BY backend, added_at, name;";
        command.Parameters.AddWithValue("$b", (object?)backend ?? DBNull.Value);
        using SqliteDataReader reader = command.ExecuteReader();
        var accounts = new List<RegisteredAccount>();
        while (reader.Read())
        {
            accounts.Add(new RegisteredAccount(
                reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
        }

        return accounts;
    }

    /// <summary>Adds or replaces (same backend and name) an account.</summary>
    public void Save(RegisteredAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO accounts (backend, name, login_path, api_key, added_at) VALUES ($b, $n, $p, $k, $t);";
        command.Parameters.AddWithValue("$b", account.Backend);
        command.Parameters.AddWithValue("$n", account.Name);
        command.Parameters.AddWithValue("$p", (object?)account.LoginPath ?? DBNull.Value);
        command.Parameters.AddWithValue("$k", (object?)account.ApiKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$t", account.AddedAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    /// <summary>Removes an account; false when it was not registered.</summary>
    public bool Remove(string backend, string name)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM accounts WHERE backend = $b AND name = $n;";
        command.Parameters.AddWithValue("$b", backend);
        command.Parameters.AddWithValue("$n", name);
        return command.ExecuteNonQuery() > 0;
    }
}
