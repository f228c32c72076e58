using System.Buffers;
using System.Text;
using Godex.Core.Keys;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Godex.Core.Metering;

/// <summary><see cref="IUsageLedger"/> on the godex SQLite database (table <c>usage</c>).</summary>
public sealed class SqliteUsageLedger(GodexDatabase database) : IUsageLedger
{
    private const string RowColumns = "ts, key_id, model, backend, account, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path, cost_micros, ttfb_ms";

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
        InsertRows(connection, records);

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

    /// <summary>
    /// The rows, through one statement prepared for the batch and bound by position, on the connection's open
    /// transaction. Microsoft.Data.Sqlite's command costs ~16 µs and 1.7 KB a row (a reader per execution, every
    /// parameter looked up by name and boxed; bench UsageLedgerBenchmarks), taken from the core that serves requests.
    /// </summary>
    private static void InsertRows(SqliteConnection connection, IReadOnlyList<UsageRecord> records)
    {
        sqlite3 db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(db, raw.sqlite3_prepare_v2(db, InsertSql, out sqlite3_stmt statement));
        using (statement)
        {
            foreach (UsageRecord record in records)
            {
                Check(db, raw.sqlite3_bind_int64(statement, 1, record.Timestamp.ToUnixTimeMilliseconds()));
                BindText(db, statement, 2, record.KeyId);
                BindText(db, statement, 3, record.Model);
                BindText(db, statement, 4, record.Backend);
                BindText(db, statement, 5, record.Account);
                Check(db, raw.sqlite3_bind_int64(statement, 6, record.InputTokens));
                Check(db, raw.sqlite3_bind_int64(statement, 7, record.OutputTokens));
                Check(db, raw.sqlite3_bind_int64(statement, 8, record.CachedTokens));
                Check(db, raw.sqlite3_bind_int64(statement, 9, record.ReasoningTokens));
                Check(db, raw.sqlite3_bind_int64(statement, 10, (long)record.Latency.TotalMilliseconds));
                Check(db, raw.sqlite3_bind_int64(statement, 11, record.Status));
                BindText(db, statement, 12, record.RequestId);
                BindText(db, statement, 13, record.Path);
                Check(db, raw.sqlite3_bind_int64(statement, 14, record.CostMicros));
                Check(db, record.TimeToFirstByte is { } ttfb ? raw.sqlite3_bind_int64(statement, 15, (long)ttfb.TotalMilliseconds) : raw.sqlite3_bind_null(statement, 15));
                int done = raw.sqlite3_step(statement);
                if (done != raw.SQLITE_DONE)
                {
                    Check(db, done);
                }

                Check(db, raw.sqlite3_reset(statement));
            }
        }
    }

    private const string InsertSql = $"INSERT INTO usage ({RowColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15);";

    private static void BindText(sqlite3 db, sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            Check(db, raw.sqlite3_bind_null(statement, index));
            return;
        }

        // UTF-8 on the stack for the short strings a row holds (SQLite copies them: SQLITE_TRANSIENT).
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[512];
        try
        {
            int length = Encoding.UTF8.GetBytes(value, utf8);
            Check(db, raw.sqlite3_bind_text(statement, index, utf8[..length]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException($"SQLite Error {result}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", result);
        }
    }

    public ValueTask<IReadOnlyList<UsageTotals>> TotalsAsync(DateTimeOffset? since, string? keyId, CancellationToken cancellationToken, UsageGrouping by = UsageGrouping.Key)
    {
        // The group expression is one of four constants, never client text.
        string group = by switch
        {
            UsageGrouping.Model => "u.model",
            UsageGrouping.Day => "strftime('%Y-%m-%d', u.ts / 1000, 'unixepoch')",
            UsageGrouping.Account => "COALESCE(u.account, '')",
            _ => "u.key_id",
        };
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {group} AS g, COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cached_tokens), SUM(u.reasoning_tokens), MAX(u.ts), SUM(u.cost_micros)
            FROM usage u LEFT JOIN keys k ON k.id = u.key_id
            WHERE u.ts >= $since AND u.ts >= COALESCE(k.usage_reset_at, 0) AND ($key IS NULL OR u.key_id = $key)
            GROUP BY g ORDER BY g;
            """;
        command.Parameters.AddWithValue("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue);
        command.Parameters.AddWithValue("$key", (object?)keyId ?? DBNull.Value);
        using SqliteDataReader reader = command.ExecuteReader();
        var totals = new List<UsageTotals>();
        while (reader.Read())
        {
            totals.Add(new UsageTotals(
                reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)))
            {
                CostMicros = reader.GetInt64(7),
            });
        }

        return ValueTask.FromResult<IReadOnlyList<UsageTotals>>(totals);
    }

    public ValueTask<UsageSeries> SeriesAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken)
    {
        var series = new UsageSeriesBuilder(since, bucket);
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            SELECT (ts - $since) / $bucket, status, input_tokens, output_tokens, cost_micros, latency_ms, ttfb_ms FROM usage
            WHERE ts >= $since ORDER BY ts LIMIT $max;
            """;
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$bucket", series.BucketMilliseconds);
        command.Parameters.AddWithValue("$max", UsageSeriesBuilder.MaxRows);
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            series.Add(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetInt64(6));
        }

        return ValueTask.FromResult(series.Build());
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
                TimeSpan.FromMilliseconds(reader.GetInt64(9)), reader.GetInt32(10), reader.GetString(11), reader.GetString(12))
            {
                CostMicros = reader.GetInt64(13),
                TimeToFirstByte = reader.IsDBNull(14) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(14)),
            });
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

    public long CostSince(string keyId, DateTimeOffset since)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(cost_micros), 0) FROM usage WHERE key_id = $key AND ts >= $since;";
        command.Parameters.AddWithValue("$key", keyId);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        return (long)command.ExecuteScalar()!;
    }
}
