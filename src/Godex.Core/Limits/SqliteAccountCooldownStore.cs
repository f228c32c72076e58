using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Core.Limits;

/// <summary><see cref="IAccountCooldownStore"/> on the godex SQLite database (table <c>account_cooldowns</c>).</summary>
public sealed class SqliteAccountCooldownStore(GodexDatabase database, TimeProvider time) : IAccountCooldownStore
{
    public ValueTask SetAsync(AccountCooldown cooldown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cooldown);
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO account_cooldowns (account_key, until_at, reason, set_at) VALUES ($key, $until, $reason, $now)
            ON CONFLICT (account_key) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason, set_at = excluded.set_at;
            """;
        command.Parameters.AddWithValue("$key", cooldown.AccountKey);
        command.Parameters.AddWithValue("$until", cooldown.Until.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$reason", cooldown.Reason);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<AccountCooldown>> ListActiveAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT account_key, until_at, reason FROM account_cooldowns WHERE until_at > $now ORDER BY until_at, account_key;";
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        using SqliteDataReader reader = command.ExecuteReader();
        var cooldowns = new List<AccountCooldown>();
        while (reader.Read())
        {
            cooldowns.Add(new AccountCooldown(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
        }

        return ValueTask.FromResult<IReadOnlyList<AccountCooldown>>(cooldowns);
    }

    public ValueTask<bool> ClearAsync(string accountKey, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM account_cooldowns WHERE account_key = $key AND until_at > $now;";
        command.Parameters.AddWithValue("$key", accountKey);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        return ValueTask.FromResult(command.ExecuteNonQuery() > 0);
    }
}
