using System.Buffers;
using System.Text;
using Godex.Core.Keys;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Godex.Core.Metering;

/// <summary><see cref="IUsageLedger"/> on the godex SQLite database (table <c>usage</c>).</summary>
/// <remarks>
/// <para>A row's id carries its time: <c>id = max(ts * 1024, previous id + 1)</c> (<see cref="IdAtOrAfter"/>), so every
/// row has <c>id &gt;= ts * 1024</c> and a time range is a range of the table's own B-tree, <c>id &gt;= since * 1024 AND
/// ts &gt;= since</c>, exact whatever order the rows were written in (a clock stepped back only makes the range read a few
/// rows it then filters out). An index on <c>ts</c> did the same at ~2 µs a row, on the core that serves requests.</para>
/// <para>
/// Batches are written on one connection the ledger keeps open, with its statements prepared once: opening a pooled
/// connection (its PRAGMAs), preparing the insert and the debit and Microsoft.Data.Sqlite's transaction and command
/// objects cost ~170 k instructions a batch (callgrind, bench (a)), paid in full per request at low load. The writer is
/// one task (UsageLedgerWriter), so the connection is never used by two batches at once; the lock only keeps a caller
/// outside that contract safe. A failed batch closes the connection: the next one starts from a fresh one.</para>
/// </remarks>
public sealed class SqliteUsageLedger(GodexDatabase database) : IUsageLedger, IDisposable
{
    private const string RowColumns = "ts, key_id, model, backend, account, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path, cost_micros, ttfb_ms";

    /// <summary>Ids per millisecond of <c>ts</c>: a row's id is at least its time times this.</summary>
    private const long IdsPerMillisecond = 1024;

    private readonly Lock _writing = new();
    private BatchConnection? _batches;
    private bool _disposed;

    public ValueTask<bool> AppendAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return ValueTask.FromResult(false);
        }

        lock (_writing)
        {
            // After Dispose (the host stopping) a late batch still lands, on a connection of its own.
            BatchConnection batches = _batches ?? BatchConnection.Open(database);
            try
            {
                bool debited = batches.Write(records);
                if (_disposed)
                {
                    batches.Dispose();
                }
                else
                {
                    _batches = batches;
                }

                return ValueTask.FromResult(debited);
            }
            catch
            {
                batches.Dispose();
                _batches = null;
                throw;
            }
        }
    }

    /// <summary>Closes the batch connection.</summary>
    public void Dispose()
    {
        lock (_writing)
        {
            _disposed = true;
            _batches?.Dispose();
            _batches = null;
        }
    }

    /// <summary>
    /// The ledger's own connection and its prepared statements, bound by position. Microsoft.Data.Sqlite's command costs
    /// ~16 µs and 1.7 KB a row (a reader per execution, every parameter looked up by name and boxed; bench
    /// UsageLedgerBenchmarks), taken from the core that serves requests.
    /// </summary>
    private sealed class BatchConnection : IDisposable
    {
        /// <summary>
        /// Rows one run of the multi-row insert writes. A statement run has a fixed cost (its VDBE program starting, the
        /// statement's journal, the reset, a SafeHandle round trip per call): a batch of 130 rows, bench (a)'s at 13k
        /// requests/s, pays it 5 times instead of 130. 32 x 16 = 512 parameters, far inside SQLite's 32,766.
        /// </summary>
        private const int RowsPerInsert = 32;

        private const int ColumnCount = 16;

        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _begin;
        private readonly sqlite3_stmt _lastId;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _insertMany;
        private readonly sqlite3_stmt _debit;
        private readonly sqlite3_stmt _bumpKeysVersion;
        private readonly sqlite3_stmt _commit;
        private readonly sqlite3_stmt _rollback;
        private readonly Dictionary<string, long> _spent = new(StringComparer.Ordinal);
        private readonly byte[] _utf8 = new byte[1024];

        private BatchConnection(SqliteConnection connection)
        {
            _connection = connection;
            _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
            _begin = Prepare("BEGIN IMMEDIATE;");
            _lastId = Prepare("SELECT MAX(id) FROM usage;");
            _insert = Prepare(InsertSql(1));
            _insertMany = Prepare(InsertSql(RowsPerInsert));
            _debit = Prepare(SqliteKeyStore.DebitSql);
            _bumpKeysVersion = Prepare(SqliteKeyStore.BumpVersionSql);
            _commit = Prepare("COMMIT;");
            _rollback = Prepare("ROLLBACK;");
        }

        public static BatchConnection Open(GodexDatabase database)
        {
            // Usage rows are written in many small batches (UsageLedgerWriter.CoalesceWindow); an fsync each would be an
            // I/O wait per batch. A killed process still keeps every committed batch; only an OS crash can lose the last.
            SqliteConnection connection = database.OpenConnection(CommitDurability.ProcessCrash);
            try
            {
                return new BatchConnection(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>The rows and the balance debits in one transaction; true when a key's balance changed.</summary>
        public bool Write(IReadOnlyList<UsageRecord> records)
        {
            Step(_begin);
            try
            {
                // Read under the write lock (BEGIN IMMEDIATE): the ids continue from whatever is in the table now.
                long lastId = LastId();
                int next = 0;
                for (; records.Count - next >= RowsPerInsert; next += RowsPerInsert)
                {
                    for (int row = 0; row < RowsPerInsert; row++)
                    {
                        lastId = BindRow(_insertMany, row * ColumnCount, records[next + row], lastId);
                    }

                    Step(_insertMany);
                }

                for (; next < records.Count; next++)
                {
                    lastId = BindRow(_insert, 0, records[next], lastId);
                    Step(_insert);
                }

                bool debited = Debit(records);
                Step(_commit);
                return debited;
            }
            catch
            {
                // Best effort: a failed COMMIT may have ended the transaction already; the caller drops the connection.
                raw.sqlite3_step(_rollback);
                raw.sqlite3_reset(_rollback);
                throw;
            }
        }

        /// <summary>The highest id in the table, or <see cref="long.MinValue"/> when it is empty.</summary>
        private long LastId()
        {
            int result = raw.sqlite3_step(_lastId);
            try
            {
                if (result != raw.SQLITE_ROW)
                {
                    Check(result);
                    return long.MinValue;
                }

                return raw.sqlite3_column_type(_lastId, 0) == raw.SQLITE_NULL ? long.MinValue : raw.sqlite3_column_int64(_lastId, 0);
            }
            finally
            {
                raw.sqlite3_reset(_lastId);
            }
        }

        /// <summary>The statement's text for <paramref name="rows"/> rows: <c>VALUES (?1, ..., ?16), (?17, ...)</c>.</summary>
        private static string InsertSql(int rows)
        {
            var sql = new StringBuilder($"INSERT INTO usage (id, {RowColumns}) VALUES ");
            for (int row = 0; row < rows; row++)
            {
                sql.Append(row == 0 ? "(" : ", (");
                for (int column = 1; column <= ColumnCount; column++)
                {
                    sql.Append(column == 1 ? "?" : ", ?").Append((row * ColumnCount) + column);
                }

                sql.Append(')');
            }

            return sql.Append(';').ToString();
        }

        /// <summary>
        /// Binds one row, its id first, to parameters <c>offset + 1</c> .. <c>offset + 16</c> (then <see cref="RowColumns"/>
        /// order); returns the id given to it, the next row's <paramref name="lastId"/>.
        /// </summary>
        private long BindRow(sqlite3_stmt statement, int offset, UsageRecord record, long lastId)
        {
            long ts = record.Timestamp.ToUnixTimeMilliseconds();
            long id = Math.Max(ts * IdsPerMillisecond, lastId + 1);
            Check(raw.sqlite3_bind_int64(statement, offset + 1, id));
            Check(raw.sqlite3_bind_int64(statement, offset + 2, ts));
            BindText(statement, offset + 3, record.KeyId);
            BindText(statement, offset + 4, record.Model);
            BindText(statement, offset + 5, record.Backend);
            BindText(statement, offset + 6, record.Account);
            Check(raw.sqlite3_bind_int64(statement, offset + 7, record.InputTokens));
            Check(raw.sqlite3_bind_int64(statement, offset + 8, record.OutputTokens));
            Check(raw.sqlite3_bind_int64(statement, offset + 9, record.CachedTokens));
            Check(raw.sqlite3_bind_int64(statement, offset + 10, record.ReasoningTokens));
            Check(raw.sqlite3_bind_int64(statement, offset + 11, (long)record.Latency.TotalMilliseconds));
            Check(raw.sqlite3_bind_int64(statement, offset + 12, record.Status));
            BindText(statement, offset + 13, record.RequestId);
            BindText(statement, offset + 14, record.Path);
            Check(raw.sqlite3_bind_int64(statement, offset + 15, record.CostMicros));
            Check(record.TimeToFirstByte is { } ttfb ? raw.sqlite3_bind_int64(statement, offset + 16, (long)ttfb.TotalMilliseconds) : raw.sqlite3_bind_null(statement, offset + 16));
            return id;
        }

        /// <summary>Debits each key's tokens from its balance (keys with an allowance only) and bumps the keys' version when one changed.</summary>
        private bool Debit(IReadOnlyList<UsageRecord> records)
        {
            _spent.Clear();
            foreach (UsageRecord record in records)
            {
                if (record.TotalTokens > 0)
                {
                    _spent[record.KeyId] = _spent.GetValueOrDefault(record.KeyId) + record.TotalTokens;
                }
            }

            int changed = 0;
            foreach ((string keyId, long tokens) in _spent)
            {
                Check(raw.sqlite3_bind_int64(_debit, 1, tokens));
                BindText(_debit, 2, keyId);
                Step(_debit);
                changed += raw.sqlite3_changes(_db);
            }

            if (changed == 0)
            {
                return false;
            }

            Step(_bumpKeysVersion);
            return true;
        }

        private sqlite3_stmt Prepare(string sql)
        {
            Check(raw.sqlite3_prepare_v2(_db, sql, out sqlite3_stmt statement));
            return statement;
        }

        /// <summary>Runs a statement that returns no rows, and resets it for the next run.</summary>
        private void Step(sqlite3_stmt statement)
        {
            int done = raw.sqlite3_step(statement);
            raw.sqlite3_reset(statement);
            if (done != raw.SQLITE_DONE)
            {
                Check(done);
            }
        }

        private void BindText(sqlite3_stmt statement, int index, string? value)
        {
            if (value is null)
            {
                Check(raw.sqlite3_bind_null(statement, index));
                return;
            }

            // Encoded into a buffer the connection keeps (SQLite copies the text: SQLITE_TRANSIENT; batches are written one
            // at a time). A 512-byte stackalloc per value was zeroed on every call: the ledger's busiest godex function in
            // bench (a)'s perf profile, for seven short strings a row. A longer value (a client's model name can be any
            // length) borrows a pooled array, so the kept buffer stays small.
            int max = Encoding.UTF8.GetMaxByteCount(value.Length);
            byte[]? rented = max > _utf8.Length ? ArrayPool<byte>.Shared.Rent(max) : null;
            byte[] utf8 = rented ?? _utf8;
            try
            {
                int length = Encoding.UTF8.GetBytes(value, utf8);
                Check(raw.sqlite3_bind_text(statement, index, utf8.AsSpan(0, length)));
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        private void Check(int result)
        {
            if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
            {
                throw new SqliteException($"SQLite Error {result}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", result);
            }
        }

        public void Dispose()
        {
            // Statements first: a connection closes cleanly only once none is left.
            foreach (sqlite3_stmt? statement in (sqlite3_stmt?[])[_begin, _lastId, _insert, _insertMany, _debit, _bumpKeysVersion, _commit, _rollback])
            {
                statement?.Dispose();
            }

            _connection.Dispose();
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
            WHERE u.id >= $first AND u.ts >= $since AND u.ts >= COALESCE(k.usage_reset_at, 0) AND ($key IS NULL OR u.key_id = $key)
            GROUP BY g ORDER BY g;
            """;
        command.Parameters.AddWithValue("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue);
        command.Parameters.AddWithValue("$first", IdAtOrAfter(since));
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
            WHERE id >= $first AND ts >= $since ORDER BY ts LIMIT $max;
            """;
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$first", IdAtOrAfter(since));
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
        if (limit == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<UsageRecord>>([]);
        }

        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.Parameters.AddWithValue("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue);
        if (keyId is not null)
        {
            // One key: usage_key_ts hands its rows over newest first.
            command.CommandText = $"SELECT {RowColumns} FROM usage WHERE key_id = $key AND ts >= $since ORDER BY ts DESC, id DESC LIMIT $limit;";
            command.Parameters.AddWithValue("$key", keyId);
            command.Parameters.AddWithValue("$limit", limit);
            using SqliteDataReader keyRows = command.ExecuteReader();
            var rows = new List<UsageRecord>();
            while (keyRows.Read())
            {
                rows.Add(ReadRow(keyRows));
            }

            return ValueTask.FromResult<IReadOnlyList<UsageRecord>>(rows);
        }

        // Every key: the table from its newest id down, keeping the newest `limit` rows seen. A row's ts is at most its id
        // / 1024, so once that bound is no newer than the oldest row kept, no row further down can be among the newest:
        // the scan stops there (with rows written in time order, right after `limit` rows).
        command.CommandText = $"SELECT {RowColumns}, id FROM usage WHERE id >= $first AND ts >= $since ORDER BY id DESC;";
        command.Parameters.AddWithValue("$first", IdAtOrAfter(since));
        using SqliteDataReader reader = command.ExecuteReader();
        var newest = new PriorityQueue<UsageRecord, (long Ts, long Id)>();
        while (reader.Read())
        {
            long id = reader.GetInt64(15);
            if (newest.Count == limit && newest.TryPeek(out _, out (long Ts, long Id) oldest) && LatestTsOf(id) <= oldest.Ts)
            {
                break;
            }

            newest.Enqueue(ReadRow(reader), (reader.GetInt64(0), id));
            if (newest.Count > limit && limit > 0)
            {
                newest.Dequeue();
            }
        }

        var list = new List<UsageRecord>(newest.Count);
        while (newest.TryDequeue(out UsageRecord? row, out _))
        {
            list.Add(row);
        }

        list.Reverse(); // newest first: ts descending, then id descending
        return ValueTask.FromResult<IReadOnlyList<UsageRecord>>(list);
    }

    /// <summary>The lowest id a row at or after <paramref name="since"/> can have (every row has id &gt;= ts * 1024).</summary>
    internal static long IdAtOrAfter(DateTimeOffset? since) => since is { } time ? time.ToUnixTimeMilliseconds() * IdsPerMillisecond : long.MinValue;

    /// <summary>The latest ts a row with id <paramref name="id"/> can have: id / 1024, rounded down.</summary>
    private static long LatestTsOf(long id)
    {
        (long quotient, long remainder) = Math.DivRem(id, IdsPerMillisecond);
        return remainder < 0 ? quotient - 1 : quotient;
    }

    private static UsageRecord ReadRow(SqliteDataReader reader) =>
        new(
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
            TimeSpan.FromMilliseconds(reader.GetInt64(9)), reader.GetInt32(10), reader.GetString(11), reader.GetString(12))
        {
            CostMicros = reader.GetInt64(13),
            TimeToFirstByte = reader.IsDBNull(14) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(14)),
        };

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
