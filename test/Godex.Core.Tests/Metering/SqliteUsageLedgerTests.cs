using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Core.Tests.Metering;

/// <summary>
/// The SQLite ledger's batches on the connection it keeps: rows and balance debits in one transaction, the answer that
/// tells the key cache whether to reload, and a fresh connection after a batch that failed.
/// </summary>
public sealed class SqliteUsageLedgerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("godex-ledger-").FullName;
    private readonly GodexDatabase _database;
    private readonly SqliteUsageLedger _ledger;
    private readonly SqliteKeyStore _keys;

    public SqliteUsageLedgerTests()
    {
        _database = GodexDatabase.Open(Path.Combine(_directory, "godex.db"), TimeProvider.System);
        _ledger = new SqliteUsageLedger(_database);
        _keys = new SqliteKeyStore(_database, TimeProvider.System);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _ledger.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static UsageRecord Row(string keyId, long input, long output, string requestId) =>
        new(TimeProvider.System.GetUtcNow(), keyId, "claude-sonnet-4-5", "anthropic", null, input, output, 0, 0, TimeSpan.FromMilliseconds(3), 200, requestId, "/v1/chat/completions");

    [Fact]
    public async Task Append_DebitsOnlyKeysWithAnAllowance_AndSaysWhenABalanceMoved()
    {
        IssuedClientKey metered = await _keys.CreateAsync(new NewClientKey { Label = "metered" }, Ct);
        await _keys.SetAllowanceAsync(metered.Key.Id, 1_000, TimeSpan.FromDays(1), Ct);
        IssuedClientKey open = await _keys.CreateAsync(new NewClientKey { Label = "open" }, Ct);
        long version = await _keys.GetVersionAsync(Ct);

        bool debitedOpen = await _ledger.AppendAsync([Row(open.Key.Id, 10, 5, "r1"), Row("anonymous", 7, 7, "r2")], Ct);
        Assert.False(debitedOpen);
        Assert.Equal(version, await _keys.GetVersionAsync(Ct));

        bool debitedMetered = await _ledger.AppendAsync([Row(metered.Key.Id, 100, 20, "r3"), Row(metered.Key.Id, 30, 0, "r4"), Row(open.Key.Id, 1, 1, "r5")], Ct);
        Assert.True(debitedMetered);
        Assert.Equal(version + 1, await _keys.GetVersionAsync(Ct));
        Assert.Equal(1_000 - 150, (await _keys.FindAsync(metered.Key.Id, Ct))!.TokenBalance);
        Assert.Equal(0, (await _keys.FindAsync(open.Key.Id, Ct))!.TokenBalance);

        IReadOnlyList<UsageRecord> rows = await _ledger.ListAsync(null, null, 100, Ct);
        Assert.Equal(["r1", "r2", "r3", "r4", "r5"], rows.Select(r => r.RequestId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FailedBatch_WritesNothing_AndTheNextBatchLands()
    {
        await _ledger.AppendAsync([Row("anonymous", 1, 1, "before")], Ct);
        using (SqliteConnection other = _database.OpenConnection())
        {
            GodexDatabase.Execute(other, "ALTER TABLE usage RENAME TO usage_away;");
        }

        await Assert.ThrowsAsync<SqliteException>(async () => await _ledger.AppendAsync([Row("anonymous", 1, 1, "lost")], Ct));

        using (SqliteConnection other = _database.OpenConnection())
        {
            GodexDatabase.Execute(other, "ALTER TABLE usage_away RENAME TO usage;");
        }

        Assert.False(await _ledger.AppendAsync([Row("anonymous", 2, 2, "after")], Ct));
        IReadOnlyList<UsageRecord> rows = await _ledger.ListAsync(null, null, 100, Ct);
        Assert.Equal(["after", "before"], rows.Select(r => r.RequestId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Writer_ReloadsKeysOnlyAfterABatchThatMovedABalance()
    {
        IssuedClientKey metered = await _keys.CreateAsync(new NewClientKey { Label = "metered" }, Ct);
        await _keys.SetAllowanceAsync(metered.Key.Id, 1_000, TimeSpan.FromDays(1), Ct);
        int reloads = 0;
        await using (var writer = new UsageLedgerWriter(_ledger, afterFlush: () => Interlocked.Increment(ref reloads)))
        {
            writer.Record(Row("anonymous", 5, 5, "r1"));
            await writer.FlushAsync(Ct);
            Assert.Equal(0, Volatile.Read(ref reloads));

            writer.Record(Row(metered.Key.Id, 5, 5, "r2"));
            await writer.FlushAsync(Ct);
            Assert.Equal(1, Volatile.Read(ref reloads));
        }

        Assert.Equal(990, (await _keys.FindAsync(metered.Key.Id, Ct))!.TokenBalance);
    }

    [Fact]
    public async Task AfterDispose_ALateBatchStillLands()
    {
        _ledger.Dispose();
        await _ledger.AppendAsync([Row("anonymous", 3, 4, "late")], Ct);

        using var reader = new SqliteUsageLedger(_database);
        Assert.Equal("late", Assert.Single(await reader.ListAsync(null, null, 10, Ct)).RequestId);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(69)]
    public async Task Batch_EveryRowLandsWithEveryColumn_WhateverItsSize(int count)
    {
        // Runs of the 32-row insert and single-row inserts for the rest: every column of every row at its own place.
        DateTimeOffset start = DateTimeOffset.FromUnixTimeMilliseconds(1_764_900_000_000);
        UsageRecord[] batch = [.. Enumerable.Range(0, count).Select(i => new UsageRecord(
            start.AddMilliseconds(i), $"key-{i % 3}", i == 7 ? new string('m', 700) : $"model-{i}", i % 2 == 0 ? "anthropic" : "codex",
            i % 2 == 0 ? null : $"account-é-{i}", 100 + i, 200 + i, 300 + i, 400 + i, TimeSpan.FromMilliseconds(500 + i), 200 + (i % 5),
            $"req-{i:D3}", $"/v1/path/{i}")
        {
            CostMicros = 600 + i,
            TimeToFirstByte = i % 3 == 0 ? null : TimeSpan.FromMilliseconds(700 + i),
        })];

        Assert.False(await _ledger.AppendAsync(batch, Ct));

        IReadOnlyList<UsageRecord> rows = await _ledger.ListAsync(null, null, 1_000, Ct);
        Assert.Equal(batch, rows.OrderBy(r => r.RequestId, StringComparer.Ordinal));
    }

    [Fact]
    public async Task LargeBatch_DebitsTheSumOfItsRows()
    {
        IssuedClientKey metered = await _keys.CreateAsync(new NewClientKey { Label = "metered" }, Ct);
        await _keys.SetAllowanceAsync(metered.Key.Id, 10_000, TimeSpan.FromDays(1), Ct);

        Assert.True(await _ledger.AppendAsync([.. Enumerable.Range(0, 70).Select(i => Row(i % 2 == 0 ? metered.Key.Id : "anonymous", 10, 5, $"r{i}"))], Ct));

        Assert.Equal(10_000 - (35 * 15), (await _keys.FindAsync(metered.Key.Id, Ct))!.TokenBalance);
        Assert.Equal(70, (await _ledger.ListAsync(null, null, 1_000, Ct)).Count);
    }

    [Fact]
    public async Task TimeQueries_AreExact_WhateverOrderRowsWereWrittenIn()
    {
        // Rows written out of time order (a late batch, a clock stepped back by hours), 1,100 rows in one millisecond (more
        // than the 1,024 ids a millisecond has): every time range still finds exactly its rows.
        DateTimeOffset t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_764_900_000_000);
        long[][] batches =
        [
            [0, 5, 9, 9, 12],
            [3, 4],                                         // older than rows already written
            [-7_200_000, -7_199_999, 15],                   // the clock stepped back two hours, then forward
            [.. Enumerable.Repeat(20L, 1_100)],             // a burst in one millisecond
            [21, 22],
            [30, 24, 29],                                   // the newest rows not in time order
        ];
        var written = new List<UsageRecord>(); // in write order, which is id order
        foreach (long[] offsets in batches)
        {
            int n = written.Count;
            UsageRecord[] batch = [.. offsets.Select((ms, i) => new UsageRecord(
                t0.AddMilliseconds(ms), (n + i) % 3 == 0 ? "key-a" : "key-b", "m", "anthropic", null, 1, 2, 0, 0,
                TimeSpan.FromMilliseconds(4), 200, $"r{n + i}", "/v1/messages"))];
            await _ledger.AppendAsync(batch, Ct);
            written.AddRange(batch);
        }

        using (SqliteConnection connection = _database.OpenConnection())
        {
            Assert.Equal(0L, GodexDatabase.Scalar(connection, "SELECT COUNT(*) FROM usage WHERE id < ts * 1024;"));
            Assert.Null(GodexDatabase.Scalar(connection, "SELECT name FROM sqlite_schema WHERE name = 'usage_ts';"));
        }

        // Newest first: ts descending, the later written first among equal times.
        IEnumerable<UsageRecord> Expected(DateTimeOffset? since, string? key) => written
            .Select((row, order) => (row, order))
            .Where(x => (since is null || x.row.Timestamp >= since) && (key is null || x.row.KeyId == key))
            .OrderByDescending(x => x.row.Timestamp).ThenByDescending(x => x.order)
            .Select(x => x.row);

        DateTimeOffset?[] sinces = [null, t0.AddMilliseconds(-7_200_000), t0, t0.AddMilliseconds(4), t0.AddMilliseconds(13), t0.AddMilliseconds(20), t0.AddMilliseconds(22), t0.AddMilliseconds(23), t0.AddMilliseconds(25)];
        foreach (DateTimeOffset? since in sinces)
        {
            foreach (string? key in new[] { null, "key-a" })
            {
                foreach (int limit in new[] { 1, 2, 3, 7, 1_050, 5_000 })
                {
                    Assert.Equal(
                        Expected(since, key).Take(limit).Select(r => r.RequestId),
                        (await _ledger.ListAsync(since, key, limit, Ct)).Select(r => r.RequestId));
                }

                long count = Expected(since, key).Count();
                IReadOnlyList<UsageTotals> totals = await _ledger.TotalsAsync(since, key, Ct);
                Assert.Equal(count, totals.Sum(t => t.Requests));
            }

            if (since is { } from)
            {
                UsageSeries series = await _ledger.SeriesAsync(from, TimeSpan.FromMilliseconds(5), Ct);
                Assert.Equal(Expected(since, null).Count(), series.Buckets.Sum(b => b.Requests));
                Assert.Equal(series.Buckets.OrderBy(b => b.Start), series.Buckets);
            }
        }
    }

    [Fact]
    public void Sqlite_RunsInMultiThreadMode()
    {
        // Set before the first connection in the process opens; nothing in this test assembly opens one another way.
        Assert.True(GodexDatabase.MultiThreadMode);
    }
}
