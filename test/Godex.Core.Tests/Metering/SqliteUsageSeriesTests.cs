using Godex.Core.Metering;
using Godex.Core.Storage;

namespace Godex.Core.Tests.Metering;

/// <summary>The ledger's time buckets for the dashboard on SQLite (the PostgreSQL run is in PostgresStoreTests).</summary>
public sealed class SqliteUsageSeriesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("godex-series-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Series_BucketsRowsAndRanksLatencies()
    {
        using var ledger = new SqliteUsageLedger(GodexDatabase.Open(Path.Combine(_directory, "godex.db"), TimeProvider.System));
        await UsageSeriesContract.RunAsync(ledger, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(new long[] { 5 }, 5, 5)]
    [InlineData(new long[] { 1, 2 }, 1, 2)]
    [InlineData(new long[] { 1, 2, 3, 4 }, 2, 4)]
    [InlineData(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 5, 10)]
    public void Percentile_IsTheNearestRank(long[] sorted, long p50, long p95)
    {
        Assert.Equal(p50, UsageSeriesBuilder.Percentile([.. sorted], 0.50));
        Assert.Equal(p95, UsageSeriesBuilder.Percentile([.. sorted], 0.95));
    }
}
