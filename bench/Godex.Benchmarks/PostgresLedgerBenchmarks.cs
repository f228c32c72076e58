using BenchmarkDotNet.Attributes;
using Godex.Core.Metering;
using Godex.Core.State;

namespace Godex.Benchmarks;

/// <summary>
/// What the PostgreSQL usage ledger writes (<see cref="PostgresUsageLedger.AppendAsync"/>: binary COPY plus the
/// balance debits in one transaction) into a real server: <c>bench/pg-ledger.sh</c> starts a throwaway one
/// (scripts/pg-temp.sh, fsync on) and passes its URL in <c>GODEX_BENCH_POSTGRES</c>. Reported per row, for batches of
/// 50 rows (what the writer gathers in its 10 ms window at ~5,000 requests/s) and of 2,000 (its largest batch).
/// </summary>
[MemoryDiagnoser]
public class PostgresLedgerBenchmarks : IAsyncDisposable
{
    private GodexState _state = null!;
    private UsageRecord[] _small = [];
    private UsageRecord[] _large = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        string url = Environment.GetEnvironmentVariable("GODEX_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("GODEX_BENCH_POSTGRES is not set: run bench/pg-ledger.sh");
        _state = await GodexState.OpenAsync(url, TimeProvider.System, CancellationToken.None);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        UsageRecord Row(int i) => new(now, "key_0123456789ab", "claude-sonnet-4-5", "anthropic", null, 120, 40, 0, 0, TimeSpan.FromMilliseconds(2), 200, $"0HN8Q{i:D6}:00000001", "/v1/chat/completions");
        _small = [.. Enumerable.Range(0, 50).Select(Row)];
        _large = [.. Enumerable.Range(0, 2000).Select(Row)];
    }

    [Benchmark(OperationsPerInvoke = 50)]
    public ValueTask<bool> AppendRowInBatchesOf50() => _state.Usage.AppendAsync(_small, CancellationToken.None);

    [Benchmark(OperationsPerInvoke = 2000)]
    public ValueTask<bool> AppendRowInBatchesOf2000() => _state.Usage.AppendAsync(_large, CancellationToken.None);

    [GlobalCleanup]
    public async Task CleanupAsync() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_state is not null)
        {
            await _state.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
