using Godex.Keys;
using Godex.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Metering;

/// <summary><see cref="IUsageLedger"/> on the godex SQLite database (table <c>usage</c>).</summary>
public sealed class SqliteUsageLedger(GodexDatabase database) : IUsageLedger
{
    private const string RowColumns = "ts, key_id, model, backend, account, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path";

    public ValueTask AppendAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        // Usage rows are written in many small batches (UsageLedgerWriter.CoalesceWindow); an fsync each would be an
        // I/O wait per batch. A killed process still keeps every committed batch; only an OS crash can lose the last.
        using SqliteConnection connection = database.OpenConnection(CommitDurability.ProcessCrash);
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO usage ({RowColumns}) VALUES ($ts, $key, $model, $backend, $account, $in, $out, $cached, $reasoning, $latency, $status, $rid, $path);";
            SqliteParameter ts = command.Parameters.Add("$ts", SqliteType.Integer);
            SqliteParameter key = command.Parameters.Add("$key", SqliteType.Text);
            SqliteParameter model = command.Parameters.Add("$model", SqliteType.Text);
            SqliteParameter backend = command.Parameters.Add("$backend", SqliteType.Text);
            SqliteParameter account = command.Parameters.Add("$account", SqliteType.Text);
            SqliteParameter input = command.Parameters.Add("$in", SqliteType.Integer);
            SqliteParameter output = command.Parameters.Add("$out", SqliteType.Integer);
            SqliteParameter cached = command.Parameters.Add("$cached", SqliteType.Integer);
            SqliteParameter reasoning = command.Parameters.Add("$reasoning", SqliteType.Integer);
            SqliteParameter latency = command.Parameters.Add("$latency", SqliteType.Integer);
            SqliteParameter status = command.Parameters.Add("$status", SqliteType.Integer);
            SqliteParameter requestId = command.Parameters.Add("$rid", SqliteType.Text);
            SqliteParameter path = command.Parameters.Add("$path", SqliteType.Text);
            foreach (UsageRecord record in records)
            {
                ts.Value = record.Timestamp.ToUnixTimeMilliseconds();
                key.Value = record.KeyId;
                model.Value = record.Model;
                backend.Value = record.Backend;
                account.Value = (object?)record.Account ?? DBNull.Value;
                input.Value = record.InputTokens;
                output.Value = record.OutputTokens;
                cached.Value = record.CachedTokens;
                reasoning.Value = record.ReasoningTokens;
                latency.Value = (long)record.Latency.TotalMilliseconds;
                status.Value = record.Status;
                requestId.Value = record.RequestId;
                path.Value = record.Path;
                command.ExecuteNonQuery();
            }
        }

        var spent = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (UsageRecord record in records)
        {
            if (record.TotalTokens > 0)
            {
                spent[record.KeyId] = spent.GetValueOrDefault(record.KeyId) + record.TotalTokens;
            }
        }

        SqliteKeyStore.Debit(connection, transaction, spent);
        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<UsageTotals>> TotalsAsync(DateTimeOffset? since, string? keyId, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            SELECT u.key_id, COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cached_tokens), SUM(u.reasoning_tokens), MAX(u.ts)
            FROM usage u LEFT JOIN keys k ON k.id = u.key_id
            WHERE u.ts >= $since AND u.ts >= COALESCE(k.usage_reset_at, 0) AND ($key IS NULL OR u.key_id = $key)
            GROUP BY u.key_id ORDER BY u.key_id;
            """;
        command.Parameters.AddWithValue("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue);
        command.Parameters.AddWithValue("$key", (object?)keyId ?? DBNull.Value);
        using SqliteDataReader reader = command.ExecuteReader();
        var totals = new List<UsageTotals>();
        while (reader.Read())
        {
            totals.Add(new UsageTotals(
                reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return ValueTask.FromResult<IReadOnlyList<UsageTotals>>(totals);
    }

    public ValueTask<IReadOnlyList<UsageRecord>> ListAsync(DateTimeOffset? since, string? keyId, int limit, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {RowColumns} FROM usage
            WHERE ts >= $since AND ($key IS NULL OR key_id = $key)
            ORDER BY ts DESC, id DESC LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue);
        command.Parameters.AddWithValue("$key", (object?)keyId ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        using SqliteDataReader reader = command.ExecuteReader();
        var rows = new List<UsageRecord>();
        while (reader.Read())
        {
            rows.Add(new UsageRecord(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                TimeSpan.FromMilliseconds(reader.GetInt64(9)), reader.GetInt32(10), reader.GetString(11), reader.GetString(12)));
        }

        return ValueTask.FromResult<IReadOnlyList<UsageRecord>>(rows);
    }

    public long TokensSince(string keyId, DateTimeOffset since)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(input_tokens + output_tokens), 0) FROM usage WHERE key_id = $key AND ts >= $since;";
        command.Parameters.AddWithValue("$key", keyId);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        return (long)command.ExecuteScalar()!;
    }
}
