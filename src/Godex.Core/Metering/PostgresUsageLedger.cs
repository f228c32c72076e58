using Godex.Core.Keys;
using Godex.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Godex.Core.Metering;

/// <summary>
/// <see cref="IUsageLedger"/> on PostgreSQL (table <c>usage</c>), shared by every instance. A batch goes in with
/// binary <c>COPY</c> (one round trip for the rows, not one statement each) in the same transaction as the balance
/// debits; bench PostgresLedgerBenchmarks measures the rows per second.
/// </summary>
public sealed class PostgresUsageLedger(PostgresDatabase database) : IUsageLedger
{
    private const string RowColumns = "ts, key_id, model, backend, account, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path, cost_micros, ttfb_ms";

    public async ValueTask<bool> AppendAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return false;
        }

        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Like the SQLite ledger's synchronous = NORMAL: a usage batch need not wait for the WAL flush (a crash of the
        // server can lose the last batches, a crash of godex cannot); keys, credits and responses keep the default.
        await PostgresDatabase.ExecuteAsync(connection, "SET LOCAL synchronous_commit = off;", cancellationToken);
        await CopyAsync(connection, records, cancellationToken);
        var spent = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (UsageRecord record in records)
        {
            if (record.TotalTokens > 0)
            {
                spent[record.KeyId] = spent.GetValueOrDefault(record.KeyId) + record.TotalTokens;
            }
        }

        bool debited = await PostgresKeyStore.DebitAsync(connection, transaction, spent, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return debited;
    }

    /// <summary>The rows through binary COPY on the connection's open transaction.</summary>
    internal static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync($"COPY usage ({RowColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (UsageRecord record in records)
        {
            // Synchronous writes into Npgsql's buffer (it flushes when full): an await per field cost ~2x the row's
            // server-side insert (bench PostgresLedgerBenchmarks); this runs on the ledger writer's own task.
            importer.StartRow();
            importer.Write(record.Timestamp.ToUnixTimeMilliseconds(), NpgsqlDbType.Bigint);
            importer.Write(record.KeyId, NpgsqlDbType.Text);
            importer.Write(record.Model, NpgsqlDbType.Text);
            importer.Write(record.Backend, NpgsqlDbType.Text);
            if (record.Account is null)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(record.Account, NpgsqlDbType.Text);
            }

            importer.Write(record.InputTokens, NpgsqlDbType.Bigint);
            importer.Write(record.OutputTokens, NpgsqlDbType.Bigint);
            importer.Write(record.CachedTokens, NpgsqlDbType.Bigint);
            importer.Write(record.ReasoningTokens, NpgsqlDbType.Bigint);
            importer.Write((long)record.Latency.TotalMilliseconds, NpgsqlDbType.Bigint);
            importer.Write(record.Status, NpgsqlDbType.Integer);
            importer.Write(record.RequestId, NpgsqlDbType.Text);
            importer.Write(record.Path, NpgsqlDbType.Text);
            importer.Write(record.CostMicros, NpgsqlDbType.Bigint);
            if (record.TimeToFirstByte is { } ttfb)
            {
                importer.Write((long)ttfb.TotalMilliseconds, NpgsqlDbType.Bigint);
            }
            else
            {
                importer.WriteNull();
            }
        }

        await importer.CompleteAsync(cancellationToken);
    }

    public async ValueTask<IReadOnlyList<UsageTotals>> TotalsAsync(DateTimeOffset? since, string? keyId, CancellationToken cancellationToken, UsageGrouping by = UsageGrouping.Key)
    {
        // The group expression is one of four constants, never client text.
        string group = by switch
        {
            UsageGrouping.Model => "u.model",
            UsageGrouping.Day => "to_char(to_timestamp(u.ts / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            UsageGrouping.Account => "COALESCE(u.account, '')",
            _ => "u.key_id",
        };
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT {group} AS g, COUNT(*), SUM(u.input_tokens)::bigint, SUM(u.output_tokens)::bigint, SUM(u.cached_tokens)::bigint, SUM(u.reasoning_tokens)::bigint, MAX(u.ts), SUM(u.cost_micros)::bigint
            FROM usage u LEFT JOIN keys k ON k.id = u.key_id
            WHERE u.ts >= @since AND u.ts >= COALESCE(k.usage_reset_at, 0) AND (@key::text IS NULL OR u.key_id = @key::text)
            GROUP BY g ORDER BY g;
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long>("since", since?.ToUnixTimeMilliseconds() ?? long.MinValue));
        command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = (object?)keyId ?? DBNull.Value });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var totals = new List<UsageTotals>();
        while (await reader.ReadAsync(cancellationToken))
        {
            totals.Add(new UsageTotals(
                reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)))
            {
                CostMicros = reader.GetInt64(7),
            });
        }

        return totals;
    }

    public async ValueTask<UsageSeries> SeriesAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken)
    {
        var series = new UsageSeriesBuilder(since, bucket);
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT (ts - @since) / @bucket, status, input_tokens, output_tokens, cost_micros, latency_ms, ttfb_ms FROM usage
            WHERE ts >= @since ORDER BY ts LIMIT @max;
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long>("since", since.ToUnixTimeMilliseconds()));
        command.Parameters.Add(new NpgsqlParameter<long>("bucket", series.BucketMilliseconds));
        command.Parameters.Add(new NpgsqlParameter<int>("max", UsageSeriesBuilder.MaxRows));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            series.Add(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetInt64(6));
        }

        return series.Build();
    }

    public async ValueTask<IReadOnlyList<UsageRecord>> ListAsync(DateTimeOffset? since, string? keyId, int limit, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT {RowColumns} FROM usage
            WHERE ts >= @since AND (@key::text IS NULL OR key_id = @key::text)
            ORDER BY ts DESC, id DESC LIMIT @limit;
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long>("since", since?.ToUnixTimeMilliseconds() ?? long.MinValue));
        command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = (object?)keyId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<UsageRecord>();
        while (await reader.ReadAsync(cancellationToken))
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

        return rows;
    }

    public long TokensSince(string keyId, DateTimeOffset since)
    {
        using NpgsqlConnection connection = database.OpenConnection();
        using var command = new NpgsqlCommand("SELECT COALESCE(SUM(input_tokens + output_tokens), 0)::bigint FROM usage WHERE key_id = @key AND ts >= @since;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", keyId));
        command.Parameters.Add(new NpgsqlParameter<long>("since", since.ToUnixTimeMilliseconds()));
        return (long)command.ExecuteScalar()!;
    }

    public long CostSince(string keyId, DateTimeOffset since)
    {
        using NpgsqlConnection connection = database.OpenConnection();
        using var command = new NpgsqlCommand("SELECT COALESCE(SUM(cost_micros), 0)::bigint FROM usage WHERE key_id = @key AND ts >= @since;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", keyId));
        command.Parameters.Add(new NpgsqlParameter<long>("since", since.ToUnixTimeMilliseconds()));
        return (long)command.ExecuteScalar()!;
    }
}
