using Godex.Core.Storage;
using Npgsql;

namespace Godex.Core.Keys;

/// <summary>
/// <see cref="IKeyStore"/> on PostgreSQL (table <c>keys</c>), shared by every godex instance. Each change commits
/// the row, bumps <c>keys_version</c> and raises <c>NOTIFY godex_keys</c> in one transaction, so every instance's
/// <see cref="KeyCache"/> reloads within milliseconds of the commit (a revoked key is refused everywhere well inside a
/// second); changes lock the row (<c>FOR UPDATE</c>), so two instances editing one key never lose an edit.
/// </summary>
public sealed class PostgresKeyStore(PostgresDatabase database, TimeProvider time) : IKeyStore
{
    private const string Columns = "id, label, hash, created_at, updated_at, revoked_at, expires_at, rotated_at, rate, burst, quota_tokens, max_concurrent, models, token_allowance, allowance_seconds, allowance_window_start, token_balance, usage_reset_at, budget_micros, budget_seconds";

    public string Hash(string secret) => KeySecrets.Hash(database.KeySecret, secret);

    public async ValueTask<IssuedClientKey> CreateAsync(NewClientKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        string secret = key.Secret ?? KeySecrets.NewSecret();
        ClientKey record = KeyChanges.New(key, Hash(secret), time.GetUtcNow());
        if (!await InsertAsync(record, cancellationToken))
        {
            throw new InvalidOperationException("a key with this secret exists already");
        }

        return new IssuedClientKey(record, secret);
    }

    public ValueTask<bool> ImportAsync(ClientKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new ValueTask<bool>(InsertAsync(key, cancellationToken));
    }

    public async ValueTask<ClientKey?> FindAsync(string idOrSecret, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        return await ResolveAsync(connection, null, idOrSecret, forUpdate: false, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ClientKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM keys ORDER BY created_at, id;", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ClientKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(ClientKeyRow.Read(reader));
        }

        return keys;
    }

    public ValueTask<ClientKey?> UpdateAsync(string idOrSecret, ClientKeyUpdate update, CancellationToken cancellationToken) =>
        ChangeAsync(idOrSecret, KeyChanges.Update(update), cancellationToken);

    public ValueTask<ClientKey?> RevokeAsync(string idOrSecret, CancellationToken cancellationToken) =>
        ChangeAsync(idOrSecret, KeyChanges.Revoke(time.GetUtcNow()), cancellationToken);

    public async ValueTask<IssuedClientKey?> RotateAsync(string idOrSecret, CancellationToken cancellationToken)
    {
        string secret = KeySecrets.NewSecret();
        ClientKey? rotated = await ChangeAsync(idOrSecret, KeyChanges.Rotate(Hash(secret), time.GetUtcNow()), cancellationToken);
        return rotated is null ? null : new IssuedClientKey(rotated, secret);
    }

    public ValueTask<ClientKey?> SetAllowanceAsync(string idOrSecret, long allowance, TimeSpan duration, CancellationToken cancellationToken) =>
        ChangeAsync(idOrSecret, KeyChanges.SetAllowance(allowance, duration, time.GetUtcNow()), cancellationToken);

    public ValueTask<ClientKey?> AddTokensAsync(string idOrSecret, long tokens, CancellationToken cancellationToken) =>
        ChangeAsync(idOrSecret, KeyChanges.AddTokens(tokens), cancellationToken);

    public ValueTask<ClientKey?> ResetUsageAsync(string idOrSecret, CancellationToken cancellationToken) =>
        ChangeAsync(idOrSecret, KeyChanges.ResetUsage(time.GetUtcNow()), cancellationToken);

    public async ValueTask<int> RefillAllowancesAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        int changed;
        await using (var command = new NpgsqlCommand(
            """
            UPDATE keys SET token_balance = GREATEST(token_balance, token_allowance), allowance_window_start = @now, updated_at = @now
            WHERE token_allowance > 0 AND allowance_seconds > 0 AND allowance_window_start IS NOT NULL
              AND allowance_window_start + allowance_seconds * 1000 <= @now;
            """,
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long>("now", time.GetUtcNow().ToUnixTimeMilliseconds()));
            changed = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (changed > 0)
        {
            await BumpVersionAsync(connection, transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    public async ValueTask<long> GetVersionAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        return (long)(await PostgresDatabase.ScalarAsync(connection, "SELECT int_value FROM meta WHERE name = 'keys_version';", cancellationToken) ?? 0L);
    }

    /// <summary>Debits spent tokens from balances in the ledger's transaction (keys with an allowance only); true when one changed.</summary>
    internal static async Task<bool> DebitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyDictionary<string, long> spent, CancellationToken cancellationToken)
    {
        if (spent.Count == 0)
        {
            return false;
        }

        int changed = 0;
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch)
        {
            foreach ((string keyId, long total) in spent)
            {
                var command = new NpgsqlBatchCommand("UPDATE keys SET token_balance = token_balance - $1 WHERE id = $2 AND token_allowance > 0;");
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = total });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keyId });
                batch.BatchCommands.Add(command);
            }

            changed = await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        if (changed == 0)
        {
            return false;
        }

        await BumpVersionAsync(connection, transaction, cancellationToken);
        return true;
    }

    private async Task<bool> InsertAsync(ClientKey key, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await InsertRowAsync(connection, transaction, key, cancellationToken))
        {
            return false; // the id or the hash exists already
        }

        await BumpVersionAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Inserts a key row as it is (hash included) in the caller's transaction; false when its id or hash exists.</summary>
    internal static async Task<bool> InsertRowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ClientKey key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO keys ({Columns}) VALUES (@id, @label, @hash, @created, @updated, @revoked, @expires, @rotated, @rate, @burst,
                @quota, @concurrent, @models, @allowance, @allowanceSeconds, @windowStart, @balance, @reset, @budget, @budgetSeconds)
            ON CONFLICT DO NOTHING;
            """,
            connection,
            transaction);
        Bind(command, key);
        command.Parameters.Add(new NpgsqlParameter<long>("created", key.CreatedAt.ToUnixTimeMilliseconds()));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async ValueTask<ClientKey?> ChangeAsync(string idOrSecret, Func<ClientKey, ClientKey> change, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        ClientKey? key = await ResolveAsync(connection, transaction, idOrSecret, forUpdate: true, cancellationToken);
        if (key is null)
        {
            return null;
        }

        ClientKey changed = change(key) with { UpdatedAt = time.GetUtcNow() };
        await using (var command = new NpgsqlCommand(
            """
            UPDATE keys SET label = @label, hash = @hash, updated_at = @updated, revoked_at = @revoked, expires_at = @expires,
                rotated_at = @rotated, rate = @rate, burst = @burst, quota_tokens = @quota, max_concurrent = @concurrent,
                models = @models, token_allowance = @allowance, allowance_seconds = @allowanceSeconds,
                allowance_window_start = @windowStart, token_balance = @balance, usage_reset_at = @reset,
                budget_micros = @budget, budget_seconds = @budgetSeconds
            WHERE id = @id;
            """,
            connection,
            transaction))
        {
            Bind(command, changed);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await BumpVersionAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    private async Task<ClientKey?> ResolveAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string idOrSecret, bool forUpdate, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrSecret);
        string value = idOrSecret.Trim();
        string sql = $"SELECT {Columns} FROM keys WHERE id = @id OR hash = @hash OR hash = @legacy ORDER BY (id = @id) DESC, (hash = @hash) DESC LIMIT 1{(forUpdate ? " FOR UPDATE" : "")};";
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("id", value));
        command.Parameters.Add(new NpgsqlParameter<string>("hash", Hash(value)));
        command.Parameters.Add(new NpgsqlParameter<string>("legacy", KeySecrets.LegacyHash(value)));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ClientKeyRow.Read(reader) : null;
    }

    private static void Bind(NpgsqlCommand command, ClientKey key)
    {
        NpgsqlParameterCollection p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("id", key.Id));
        p.Add(new NpgsqlParameter<string>("label", key.Label));
        p.Add(new NpgsqlParameter<string>("hash", key.Hash));
        p.Add(new NpgsqlParameter<long>("updated", key.UpdatedAt.ToUnixTimeMilliseconds()));
        p.Add(Time("revoked", key.RevokedAt));
        p.Add(Time("expires", key.ExpiresAt));
        p.Add(Time("rotated", key.RotatedAt));
        p.Add(new NpgsqlParameter("rate", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)key.Rate ?? DBNull.Value });
        p.Add(new NpgsqlParameter("burst", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)key.Burst ?? DBNull.Value });
        p.Add(new NpgsqlParameter<long>("quota", key.QuotaTokens));
        p.Add(new NpgsqlParameter<int>("concurrent", key.MaxConcurrent));
        p.Add(new NpgsqlParameter<string>("models", string.Join('\n', key.Models)));
        p.Add(new NpgsqlParameter<long>("allowance", key.TokenAllowance));
        p.Add(new NpgsqlParameter<long>("allowanceSeconds", (long)key.AllowanceDuration.TotalSeconds));
        p.Add(Time("windowStart", key.AllowanceWindowStart));
        p.Add(new NpgsqlParameter<long>("balance", key.TokenBalance));
        p.Add(Time("reset", key.UsageResetAt));
        p.Add(new NpgsqlParameter<long>("budget", key.BudgetMicros));
        p.Add(new NpgsqlParameter<long>("budgetSeconds", (long)key.BudgetWindow.TotalSeconds));
    }

    private static NpgsqlParameter Time(string name, DateTimeOffset? value) =>
        new(name, NpgsqlTypes.NpgsqlDbType.Bigint) { Value = value is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value };

    /// <summary>Bumps <c>keys_version</c> and notifies every instance (delivered when the transaction commits).</summary>
    internal static async Task BumpVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"WITH v AS (UPDATE meta SET int_value = int_value + 1 WHERE name = 'keys_version' RETURNING int_value) SELECT pg_notify('{PostgresDatabase.KeysChannel}', int_value::text) FROM v;",
            connection,
            transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
