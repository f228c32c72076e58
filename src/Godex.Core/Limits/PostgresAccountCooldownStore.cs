using Godex.Core.Storage;
using Npgsql;

namespace Godex.Core.Limits;

/// <summary>
/// <see cref="IAccountCooldownStore"/> on PostgreSQL (table <c>account_cooldowns</c>): a cooldown one instance sets
/// is seen by the others' next <see cref="ListActiveAsync"/>, and each change raises <c>NOTIFY godex_cooldowns</c>
/// (<see cref="PostgresDatabase.Changed"/>) for pools that cache the list.
/// </summary>
public sealed class PostgresAccountCooldownStore(PostgresDatabase database, TimeProvider time) : IAccountCooldownStore
{
    private const string Notify = $"SELECT pg_notify('{PostgresDatabase.CooldownsChannel}', '');";

    public async ValueTask SetAsync(AccountCooldown cooldown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cooldown);
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO account_cooldowns (account_key, until_at, reason, set_at) VALUES (@key, @until, @reason, @now)
            ON CONFLICT (account_key) DO UPDATE SET until_at = EXCLUDED.until_at, reason = EXCLUDED.reason, set_at = EXCLUDED.set_at;
            {Notify}
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", cooldown.AccountKey));
        command.Parameters.Add(new NpgsqlParameter<long>("until", cooldown.Until.ToUnixTimeMilliseconds()));
        command.Parameters.Add(new NpgsqlParameter<string>("reason", cooldown.Reason));
        command.Parameters.Add(new NpgsqlParameter<long>("now", time.GetUtcNow().ToUnixTimeMilliseconds()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<IReadOnlyList<AccountCooldown>> ListActiveAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT account_key, until_at, reason FROM account_cooldowns WHERE until_at > @now ORDER BY until_at, account_key;", connection);
        command.Parameters.Add(new NpgsqlParameter<long>("now", time.GetUtcNow().ToUnixTimeMilliseconds()));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var cooldowns = new List<AccountCooldown>();
        while (await reader.ReadAsync(cancellationToken))
        {
            cooldowns.Add(new AccountCooldown(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
        }

        return cooldowns;
    }

    public async ValueTask<bool> ClearAsync(string accountKey, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        int deleted;
        await using (var command = new NpgsqlCommand("DELETE FROM account_cooldowns WHERE account_key = @key AND until_at > @now;", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("key", accountKey));
            command.Parameters.Add(new NpgsqlParameter<long>("now", time.GetUtcNow().ToUnixTimeMilliseconds()));
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (deleted > 0)
        {
            await PostgresDatabase.ExecuteAsync(connection, Notify, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return deleted > 0;
    }
}
