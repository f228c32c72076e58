using Godex.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Storage;

public sealed class GodexDatabaseTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-db-" + Guid.NewGuid().ToString("N"));

    private string DbPath => Path.Combine(_dir, "godex.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Open_CreatesWalDatabase_WithVersionedMigrations_Idempotently()
    {
        GodexDatabase first = GodexDatabase.Open(DbPath, TimeProvider.System);
        GodexDatabase second = GodexDatabase.Open(DbPath, TimeProvider.System);

        using SqliteConnection connection = first.OpenConnection();
        Assert.Equal("wal", GodexDatabase.Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal((long)GodexDatabase.SchemaVersion, GodexDatabase.Scalar(connection, "SELECT MAX(version) FROM schema_migrations;"));
        Assert.Equal((long)GodexDatabase.SchemaVersion, GodexDatabase.Scalar(connection, "SELECT COUNT(*) FROM schema_migrations;"));
        Assert.Equal(first.KeySecret, second.KeySecret);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath));
    }

    [Fact]
    public async Task Open_NewFileSyncedLater_IsCheckpointedIntoTheFile_AndReopensWhole()
    {
        GodexDatabase database = GodexDatabase.Open(DbPath, TimeProvider.System, syncNewFileLater: true);
        await database.Durable.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // The checkpoint copied the migrated pages from the WAL into the file itself: the WAL switch alone writes page 1.
        Assert.True(new FileInfo(DbPath).Length > 4096, $"the file holds {new FileInfo(DbPath).Length} bytes");
        using (SqliteConnection connection = database.OpenConnection())
        {
            Assert.Equal(2L, GodexDatabase.Scalar(connection, "PRAGMA synchronous;")); // FULL again, for whoever takes it from the pool
        }

        SqliteConnection.ClearAllPools();
        GodexDatabase reopened = GodexDatabase.Open(DbPath, TimeProvider.System, syncNewFileLater: true);
        Assert.True(reopened.Durable.IsCompleted); // an existing file is never written unsynced
        Assert.Equal(database.KeySecret, reopened.KeySecret);
        using SqliteConnection check = reopened.OpenConnection();
        Assert.Equal((long)GodexDatabase.SchemaVersion, GodexDatabase.Scalar(check, "SELECT MAX(version) FROM schema_migrations;"));
    }

    [Fact]
    public async Task Open_UsageFromBeforeTimeIds_IsRenumberedInTimeOrder_WithEveryColumnKept()
    {
        // The usage table as schema version SchemaVersion - 1 left it: ids 1, 2, 3... in write order, an index on ts.
        GodexDatabase.Open(DbPath, TimeProvider.System);
        using (SqliteConnection connection = new($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            GodexDatabase.Execute(connection, $"""
                DROP TABLE usage;
                CREATE TABLE usage (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, backend TEXT NOT NULL,
                    account TEXT, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
                    reasoning_tokens INTEGER NOT NULL, latency_ms INTEGER NOT NULL, status INTEGER NOT NULL, request_id TEXT NOT NULL,
                    path TEXT NOT NULL, cost_micros INTEGER NOT NULL DEFAULT 0, ttfb_ms INTEGER) STRICT;
                CREATE INDEX usage_key_ts ON usage (key_id, ts);
                CREATE INDEX usage_ts ON usage (ts);
                INSERT INTO usage VALUES
                    (1, 1764900000500, 'key-a', 'm1', 'anthropic', NULL, 1, 2, 3, 4, 5, 200, 'third', '/v1/messages', 6, 7),
                    (2, 1764900000000, 'key-b', 'm2', 'codex', 'acct', 10, 20, 30, 40, 50, 500, 'first', '/v1/responses', 60, NULL),
                    (3, 1764900000000, 'key-a', 'm3', 'anthropic', NULL, 0, 0, 0, 0, 0, 499, 'second', '/v1/chat/completions', 0, NULL);
                DELETE FROM schema_migrations WHERE version = {GodexDatabase.SchemaVersion};
                """);
        }

        SqliteConnection.ClearAllPools();
        GodexDatabase database = GodexDatabase.Open(DbPath, TimeProvider.System);
        using (SqliteConnection connection = database.OpenConnection())
        {
            Assert.Null(GodexDatabase.Scalar(connection, "SELECT name FROM sqlite_schema WHERE name = 'usage_ts';"));
            Assert.Equal("usage_key_ts", GodexDatabase.Scalar(connection, "SELECT name FROM sqlite_schema WHERE tbl_name = 'usage' AND type = 'index';"));
            using SqliteCommand select = connection.CreateCommand();
            select.CommandText = "SELECT id, ts, key_id, model, backend, account, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path, cost_micros, ttfb_ms FROM usage ORDER BY id;";
            using SqliteDataReader reader = select.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add(string.Join("|", Enumerable.Range(0, 16).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
            }

            Assert.Equal(
            [
                "1807257600000000|1764900000000|key-b|m2|codex|acct|10|20|30|40|50|500|first|/v1/responses|60|null",
                "1807257600000001|1764900000000|key-a|m3|anthropic|null|0|0|0|0|0|499|second|/v1/chat/completions|0|null",
                "1807257600512000|1764900000500|key-a|m1|anthropic|null|1|2|3|4|5|200|third|/v1/messages|6|7",
            ], rows);
        }

        // New rows continue after them, and the ledger's time queries see old and new alike.
        using var ledger = new Godex.Core.Metering.SqliteUsageLedger(database);
        await ledger.AppendAsync([new Godex.Core.Metering.UsageRecord(DateTimeOffset.FromUnixTimeMilliseconds(1_764_900_000_000), "key-a", "m4", "anthropic", null, 1, 1, 0, 0, TimeSpan.Zero, 200, "fourth", "/v1/messages")], TestContext.Current.CancellationToken);
        Assert.Equal(
            ["third", "fourth", "second", "first"],
            (await ledger.ListAsync(DateTimeOffset.FromUnixTimeMilliseconds(1_764_900_000_000), null, 10, TestContext.Current.CancellationToken)).Select(r => r.RequestId));
    }

    [Fact]
    public void Open_CorruptFile_ThrowsNamingThePath()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(DbPath, [.. System.Text.Encoding.ASCII.GetBytes("this is not a database at all, just text"), .. new byte[8192]]);

        StorageException ex = Assert.Throws<StorageException>(() => GodexDatabase.Open(DbPath, TimeProvider.System));

        Assert.Contains(DbPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewerSchema_ThrowsAskingForUpgrade()
    {
        GodexDatabase db = GodexDatabase.Open(DbPath, TimeProvider.System);
        using (SqliteConnection connection = db.OpenConnection())
        {
            GodexDatabase.Execute(connection, "INSERT INTO schema_migrations VALUES (99, 0);");
        }

        StorageException ex = Assert.Throws<StorageException>(() => GodexDatabase.Open(DbPath, TimeProvider.System));
        Assert.Contains("upgrade godex", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResponseStore_SurvivesReopen_ExpiresAndIsBounded()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new SqliteResponseStore(GodexDatabase.Open(DbPath, time), time, maxResponses: 2);
        DateTimeOffset now = time.GetUtcNow();
        await store.SaveAsync(new StoredResponse("resp_1", null, "m", "{}"u8.ToArray(), now, now.AddHours(1), "key_a"), TestContext.Current.CancellationToken);
        await store.SaveAsync(new StoredResponse("resp_2", "resp_1", "m", "[1]"u8.ToArray(), now.AddSeconds(1), now.AddMinutes(1), "key_a"), TestContext.Current.CancellationToken);

        var reopened = new SqliteResponseStore(GodexDatabase.Open(DbPath, time), time, maxResponses: 2);
        StoredResponse? second = await reopened.GetAsync("resp_2", "key_a", TestContext.Current.CancellationToken);
        Assert.Equal("resp_1", second!.PreviousResponseId);
        Assert.Equal("[1]"u8.ToArray(), second.Json);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await reopened.GetAsync("resp_2", "key_a", TestContext.Current.CancellationToken));
        await reopened.SaveAsync(new StoredResponse("resp_3", null, "m", "{}"u8.ToArray(), time.GetUtcNow(), time.GetUtcNow().AddHours(1), "key_a"), TestContext.Current.CancellationToken);
        await reopened.SaveAsync(new StoredResponse("resp_4", null, "m", "{}"u8.ToArray(), time.GetUtcNow().AddSeconds(1), time.GetUtcNow().AddHours(1), "key_a"), TestContext.Current.CancellationToken);
        Assert.Null(await reopened.GetAsync("resp_1", "key_a", TestContext.Current.CancellationToken)); // the oldest went over the bound
        Assert.True(await reopened.DeleteAsync("resp_4", "key_a", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ResponseStore_OtherOwner_CannotReadOrDelete()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new SqliteResponseStore(GodexDatabase.Open(DbPath, time), time);
        DateTimeOffset now = time.GetUtcNow();
        await store.SaveAsync(new StoredResponse("resp_1", null, "m", "{}"u8.ToArray(), now, now.AddHours(1), "key_a"), TestContext.Current.CancellationToken);

        Assert.Null(await store.GetAsync("resp_1", "key_b", TestContext.Current.CancellationToken));
        Assert.Null(await store.GetAsync("resp_1", "", TestContext.Current.CancellationToken));
        Assert.False(await store.DeleteAsync("resp_1", "key_b", TestContext.Current.CancellationToken));
        Assert.NotNull(await store.GetAsync("resp_1", "key_a", TestContext.Current.CancellationToken));
        Assert.True(await store.DeleteAsync("resp_1", "key_a", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ResponseStore_RowsFromBeforeOwners_AreUnreachable()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        GodexDatabase database = GodexDatabase.Open(DbPath, time);
        using (Microsoft.Data.Sqlite.SqliteConnection connection = database.OpenConnection())
        {
            // A row as schema version 2 wrote it: no owner column value, so the migration's default.
            GodexDatabase.Execute(connection, "INSERT INTO responses (id, previous_id, model, json, created_at, expires_at) VALUES ('resp_old', NULL, 'm', x'7B7D', 0, 99999999999999);");
        }

        var store = new SqliteResponseStore(database, time);
        foreach (string owner in new[] { "anonymous", "static", "key_a" })
        {
            Assert.Null(await store.GetAsync("resp_old", owner, TestContext.Current.CancellationToken));
        }
    }
}
