using BenchmarkDotNet.Attributes;
using Godex.Core.Metering;
using Godex.Core.Storage;

namespace Godex.Benchmarks;

/// <summary>
/// What one usage row costs the SQLite writer (<see cref="SqliteUsageLedger.AppendAsync"/>): a batch of 50 rows, the
/// size <see cref="UsageLedgerWriter"/> gathers in its 10 ms window at ~5,000 requests/s, written in one transaction to
/// a real database file (WAL, no fsync per commit). The writer runs on the proxy's own core, so this is CPU taken from
/// serving requests; reported per row.
/// </summary>
[MemoryDiagnoser]
public class UsageLedgerBenchmarks : IDisposable
{
    private const int BatchSize = 50;

    /// <summary>A batch at bench (a)'s load: ~13k requests/s gathered for UsageLedgerWriter.CoalesceWindow (10 ms).</summary>
    private const int LoadBatchSize = 130;
    private string _dir = "";
    private GodexDatabase _database = null!;
    private SqliteUsageLedger _ledger = null!;
    private UsageRecord[] _batch = [];
    private UsageRecord[] _loadBatch = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "godex-bench-" + Guid.NewGuid().ToString("N"));
        _database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
        _ledger = new SqliteUsageLedger(_database);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        _batch = Enumerable.Range(0, BatchSize)
            .Select(i => new UsageRecord(now, "anonymous", "claude-sonnet-4-5", "anthropic", null, 120, 40, 0, 0, TimeSpan.FromMilliseconds(2), 200, $"req-{i}", "/v1/chat/completions"))
            .ToArray();
        _loadBatch = Enumerable.Range(0, LoadBatchSize)
            .Select(i => new UsageRecord(now, "anonymous", "claude-sonnet-4-5", "anthropic", null, 120, 40, 0, 0, TimeSpan.FromMilliseconds(2), 200, $"req-{i}", "/v1/chat/completions"))
            .ToArray();
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public ValueTask<bool> AppendRow() => _ledger.AppendAsync(_batch, CancellationToken.None);

    [Benchmark(OperationsPerInvoke = LoadBatchSize)]
    public ValueTask<bool> AppendRowInLoadBatch() => _ledger.AppendAsync(_loadBatch, CancellationToken.None);

    /// <summary>The same 50 rows in five transactions of 10 (a 2 ms window): what a batch's own cost is.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public async ValueTask AppendRowInBatchesOf10()
    {
        for (int i = 0; i < BatchSize; i += 10)
        {
            await _ledger.AppendAsync(new ArraySegment<UsageRecord>(_batch, i, 10), CancellationToken.None);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _ledger.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
