using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Godex.Core.State;

/// <summary>
/// <c>godex proxy db migrate --from sqlite:PATH --to postgres://…</c>: copies a SQLite database's state into an empty
/// PostgreSQL one in a single transaction (all or nothing): the key secret (so every client key keeps working), keys
/// with their balances, the usage ledger (by COPY, in order, without debiting balances again), stored responses,
/// L402 credits and account cooldowns. Rate buckets, slots and heartbeats are runtime state and start fresh.
/// </summary>
public static class StateMigration
{
    /// <summary>Rows copied per table.</summary>
    public sealed record Counts(int Keys, long UsageRows, int Responses, int Credits, int Cooldowns);

    private const int UsageChunk = 10_000;

    /// <exception cref="StorageException">The target is not empty, or a database failed; nothing was copied.</exception>
    public static async Task<Counts> CopyAsync(GodexDatabase source, PostgresDatabase target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using NpgsqlConnection connection = await target.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        long existing = (long)(await PostgresDatabase.ScalarAsync(
            connection,
            "SELECT (SELECT COUNT(*) FROM keys) + (SELECT COUNT(*) FROM usage) + (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM l402_credits);",
            cancellationToken) ?? 0L);
        if (existing > 0)
        {
            throw new StorageException($"database {target.Description} already holds state ({existing} keys, usage rows, responses and credits); migrate into an empty database");
        }

        await using (var secret = new NpgsqlCommand("UPDATE meta SET text_value = @s WHERE name = 'key_secret';", connection, transaction))
        {
            secret.Parameters.Add(new NpgsqlParameter<string>("s", Convert.ToHexStringLower(source.KeySecret)));
            await secret.ExecuteNonQueryAsync(cancellationToken);
        }

        using SqliteConnection sqlite = source.OpenConnection();
        int keys = 0;
        foreach (ClientKey key in await new SqliteKeyStore(source, TimeProvider.System).ListAsync(cancellationToken))
        {
            await PostgresKeyStore.InsertRowAsync(connection, transaction, key, cancellationToken);
            keys++;
        }

        long usage = await CopyUsageAsync(sqlite, connection, cancellationToken);
        int responses = await CopyRowsAsync(
            sqlite, "SELECT id, previous_id, model, json, created_at, expires_at, owner FROM responses;",
            connection, "INSERT INTO responses (id, previous_id, model, json, created_at, expires_at, owner) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6);",
            r => [Text(r, 0), Text(r, 1), Text(r, 2), new NpgsqlParameter<byte[]>("p3", (byte[])r.GetValue(3)), Int(r, 4), Int(r, 5), Text(r, 6)],
            cancellationToken);
        int credits = await CopyRowsAsync(
            sqlite, "SELECT payment_hash, token_id, credit_msat, spent_msat, redeemed_at FROM l402_credits;",
            connection, "INSERT INTO l402_credits (payment_hash, token_id, credit_msat, spent_msat, redeemed_at) VALUES (@p0, @p1, @p2, @p3, @p4);",
            r => [Text(r, 0), Text(r, 1), Int(r, 2), Int(r, 3), Int(r, 4)],
            cancellationToken);
        int cooldowns = await CopyRowsAsync(
            sqlite, "SELECT account_key, until_at, reason, set_at FROM account_cooldowns;",
            connection, "INSERT INTO account_cooldowns (account_key, until_at, reason, set_at) VALUES (@p0, @p1, @p2, @p3);",
            r => [Text(r, 0), Int(r, 1), Text(r, 2), Int(r, 3)],
            cancellationToken);
        await PostgresKeyStore.BumpVersionAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Counts(keys, usage, responses, credits, cooldowns);
    }

    private static async Task<long> CopyUsageAsync(SqliteConnection sqlite, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using SqliteCommand select = sqlite.CreateCommand();
        select.CommandText = "SELECT ts, key_id, model, backend, account, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path, cost_micros, ttfb_ms FROM usage ORDER BY id;";
        using SqliteDataReader reader = select.ExecuteReader();
        var chunk = new List<UsageRecord>(UsageChunk);
        long copied = 0;
        while (true)
        {
            bool more = reader.Read();
            if (more)
            {
                chunk.Add(new UsageRecord(
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                    TimeSpan.FromMilliseconds(reader.GetInt64(9)), reader.GetInt32(10), reader.GetString(11), reader.GetString(12))
                {
                    CostMicros = reader.GetInt64(13),
                    TimeToFirstByte = reader.IsDBNull(14) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(14)),
                });
            }

            if (chunk.Count == UsageChunk || (!more && chunk.Count > 0))
            {
                await PostgresUsageLedger.CopyAsync(connection, chunk, cancellationToken);
                copied += chunk.Count;
                chunk.Clear();
            }

            if (!more)
            {
                return copied;
            }
        }
    }

    private static async Task<int> CopyRowsAsync(
        SqliteConnection sqlite, string selectSql, NpgsqlConnection connection, string insertSql, Func<SqliteDataReader, NpgsqlParameter[]> parameters, CancellationToken cancellationToken)
    {
        using SqliteCommand select = sqlite.CreateCommand();
        select.CommandText = selectSql;
        using SqliteDataReader reader = select.ExecuteReader();
        int copied = 0;
        while (reader.Read())
        {
            await using var insert = new NpgsqlCommand(insertSql, connection);
            insert.Parameters.AddRange(parameters(reader));
            await insert.ExecuteNonQueryAsync(cancellationToken);
            copied++;
        }

        return copied;
    }

    private static NpgsqlParameter Text(SqliteDataReader reader, int ordinal) =>
        new("p" + ordinal, NpgsqlTypes.NpgsqlDbType.Text) { Value = reader.IsDBNull(ordinal) ? DBNull.Value : reader.GetString(ordinal) };

    private static NpgsqlParameter<long> Int(SqliteDataReader reader, int ordinal) => new("p" + ordinal, reader.GetInt64(ordinal));
}
