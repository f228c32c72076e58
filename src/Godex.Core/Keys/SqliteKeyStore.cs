using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Core.Keys;

/// <summary><see cref="IKeyStore"/> on the godex SQLite database (table <c>keys</c>).</summary>
public sealed class SqliteKeyStore(GodexDatabase database, TimeProvider time) : IKeyStore
{
    private const string Columns = "id, label, hash, created_at, updated_at, revoked_at, expires_at, rotated_at, rate, burst, quota_tokens, max_concurrent, models, token_allowance, allowance_seconds, allowance_window_start, token_balance, usage_reset_at, budget_micros, budget_seconds";

    public string Hash(string secret) => KeySecrets.Hash(database.KeySecret, secret);

    public ValueTask<IssuedClientKey> CreateAsync(NewClientKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        string secret = key.Secret ?? KeySecrets.NewSecret();
        ClientKey record = KeyChanges.New(key, Hash(secret), time.GetUtcNow());
        using SqliteConnection connection = database.OpenConnection();
        using SqliteTransaction transaction = connection.BeginTransaction();
        if (FindByHash(connection, transaction, record.Hash) is not null)
        {
            throw new InvalidOperationException("a key with this secret exists already");
        }

        Insert(connection, transaction, record);
        BumpVersion(connection, transaction);
        transaction.Commit();
        return ValueTask.FromResult(new IssuedClientKey(record, secret));
    }

    public ValueTask<bool> ImportAsync(ClientKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        using SqliteConnection connection = database.OpenConnection();
        using SqliteTransaction transaction = connection.BeginTransaction();
        if (FindById(connection, transaction, key.Id) is not null || FindByHash(connection, transaction, key.Hash) is not null)
        {
            return ValueTask.FromResult(false);
        }

        Insert(connection, transaction, key);
        BumpVersion(connection, transaction);
        transaction.Commit();
        return ValueTask.FromResult(true);
    }

    public ValueTask<ClientKey?> FindAsync(string idOrSecret, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        return ValueTask.FromResult(Resolve(connection, null, idOrSecret));
    }

    public ValueTask<IReadOnlyList<ClientKey>> ListAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM keys ORDER BY created_at, id;";
        using SqliteDataReader reader = command.ExecuteReader();
        var keys = new List<ClientKey>();
        while (reader.Read())
        {
            keys.Add(ClientKeyRow.Read(reader));
        }

        return ValueTask.FromResult<IReadOnlyList<ClientKey>>(keys);
    }

    public ValueTask<ClientKey?> UpdateAsync(string idOrSecret, ClientKeyUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        return ValueTask.FromResult(Change(idOrSecret, KeyChanges.Update(update)));
    }

    public ValueTask<ClientKey?> RevokeAsync(string idOrSecret, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Change(idOrSecret, KeyChanges.Revoke(time.GetUtcNow())));

    public ValueTask<IssuedClientKey?> RotateAsync(string idOrSecret, CancellationToken cancellationToken)
    {
        string secret = KeySecrets.NewSecret();
        ClientKey? rotated = Change(idOrSecret, KeyChanges.Rotate(Hash(secret), time.GetUtcNow()));
        return ValueTask.FromResult(rotated is null ? null : new IssuedClientKey(rotated, secret));
    }

    public ValueTask<ClientKey?> SetAllowanceAsync(string idOrSecret, long allowance, TimeSpan duration, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Change(idOrSecret, KeyChanges.SetAllowance(allowance, duration, time.GetUtcNow())));

    public ValueTask<ClientKey?> AddTokensAsync(string idOrSecret, long tokens, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Change(idOrSecret, KeyChanges.AddTokens(tokens)));

    public ValueTask<ClientKey?> ResetUsageAsync(string idOrSecret, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Change(idOrSecret, KeyChanges.ResetUsage(time.GetUtcNow())));

    public ValueTask<int> RefillAllowancesAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        int changed;
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE keys SET token_balance = MAX(token_balance, token_allowance), allowance_window_start = $now, updated_at = $now
                WHERE token_allowance > 0 AND allowance_seconds > 0 AND allowance_window_start IS NOT NULL
                  AND allowance_window_start + allowance_seconds * 1000 <= $now;
                """;
            command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
            changed = command.ExecuteNonQuery();
        }

        if (changed > 0)
        {
            BumpVersion(connection, transaction);
        }

        transaction.Commit();
        return ValueTask.FromResult(changed);
    }

    public ValueTask<long> GetVersionAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        return ValueTask.FromResult((long)(GodexDatabase.Scalar(connection, "SELECT value FROM meta WHERE name = 'keys_version';") ?? 0L));
    }

    /// <summary>
    /// The usage ledger's debit of a key's spent tokens (<c>?1</c>) from its balance (<c>?2</c> = the key's id), in the
    /// ledger's transaction; keys without an allowance keep no balance. A debit that changed a row bumps the version
    /// (<see cref="BumpVersionSql"/>) so every key cache reloads the balances.
    /// </summary>
    internal const string DebitSql = "UPDATE keys SET token_balance = token_balance - ?1 WHERE id = ?2 AND token_allowance > 0;";

    /// <summary>Moves <c>keys_version</c> on: running proxies reload their keys when it changed.</summary>
    internal const string BumpVersionSql = "UPDATE meta SET value = value + 1 WHERE name = 'keys_version';";

    private ClientKey? Change(string idOrSecret, Func<ClientKey, ClientKey> change)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        ClientKey? key = Resolve(connection, transaction, idOrSecret);
        if (key is null)
        {
            return null;
        }

        ClientKey changed = change(key) with { UpdatedAt = time.GetUtcNow() };
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE keys SET label = $label, hash = $hash, updated_at = $updated, revoked_at = $revoked, expires_at = $expires,
                    rotated_at = $rotated, rate = $rate, burst = $burst, quota_tokens = $quota, max_concurrent = $concurrent,
                    models = $models, token_allowance = $allowance, allowance_seconds = $allowanceSeconds,
                    allowance_window_start = $windowStart, token_balance = $balance, usage_reset_at = $reset,
                    budget_micros = $budget, budget_seconds = $budgetSeconds
                WHERE id = $id;
                """;
            Bind(command, changed);
            command.ExecuteNonQuery();
        }

        BumpVersion(connection, transaction);
        transaction.Commit();
        return changed;
    }

    private ClientKey? Resolve(SqliteConnection connection, SqliteTransaction? transaction, string idOrSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrSecret);
        string value = idOrSecret.Trim();
        return FindById(connection, transaction, value)
            ?? FindByHash(connection, transaction, Hash(value))
            ?? FindByHash(connection, transaction, KeySecrets.LegacyHash(value));
    }

    private static ClientKey? FindById(SqliteConnection connection, SqliteTransaction? transaction, string id) =>
        FindOne(connection, transaction, "id", id);

    private static ClientKey? FindByHash(SqliteConnection connection, SqliteTransaction? transaction, string hash) =>
        FindOne(connection, transaction, "hash", hash);

    private static ClientKey? FindOne(SqliteConnection connection, SqliteTransaction? transaction, string column, string value)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM keys WHERE {column} = $v;";
        command.Parameters.AddWithValue("$v", value);
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? ClientKeyRow.Read(reader) : null;
    }

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, ClientKey key)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO keys ({Columns}) VALUES ($id, $label, $hash, $created, $updated, $revoked, $expires, $rotated, $rate, $burst,
                $quota, $concurrent, $models, $allowance, $allowanceSeconds, $windowStart, $balance, $reset, $budget, $budgetSeconds);
            """;
        Bind(command, key);
        command.Parameters.AddWithValue("$created", key.CreatedAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand command, ClientKey key)
    {
        command.Parameters.AddWithValue("$id", key.Id);
        command.Parameters.AddWithValue("$label", key.Label);
        command.Parameters.AddWithValue("$hash", key.Hash);
        command.Parameters.AddWithValue("$updated", key.UpdatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$revoked", Time(key.RevokedAt));
        command.Parameters.AddWithValue("$expires", Time(key.ExpiresAt));
        command.Parameters.AddWithValue("$rotated", Time(key.RotatedAt));
        command.Parameters.AddWithValue("$rate", (object?)key.Rate ?? DBNull.Value);
        command.Parameters.AddWithValue("$burst", (object?)key.Burst ?? DBNull.Value);
        command.Parameters.AddWithValue("$quota", key.QuotaTokens);
        command.Parameters.AddWithValue("$concurrent", key.MaxConcurrent);
        command.Parameters.AddWithValue("$models", string.Join('\n', key.Models));
        command.Parameters.AddWithValue("$allowance", key.TokenAllowance);
        command.Parameters.AddWithValue("$allowanceSeconds", (long)key.AllowanceDuration.TotalSeconds);
        command.Parameters.AddWithValue("$windowStart", Time(key.AllowanceWindowStart));
        command.Parameters.AddWithValue("$balance", key.TokenBalance);
        command.Parameters.AddWithValue("$reset", Time(key.UsageResetAt));
        command.Parameters.AddWithValue("$budget", key.BudgetMicros);
        command.Parameters.AddWithValue("$budgetSeconds", (long)key.BudgetWindow.TotalSeconds);
    }

    private static object Time(DateTimeOffset? value) => value is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;


    private static void BumpVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = BumpVersionSql;
        command.ExecuteNonQuery();
    }
}
