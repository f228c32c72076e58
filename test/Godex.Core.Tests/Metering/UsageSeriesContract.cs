using Godex.Core.Metering;

namespace Godex.Core.Tests.Metering;

/// <summary>
/// What every <see cref="IUsageLedger"/> answers for <see cref="IUsageLedger.SeriesAsync"/> (SQLite and PostgreSQL
/// run the same rows and expect the same buckets).
/// </summary>
internal static class UsageSeriesContract
{
    private static readonly DateTimeOffset Since = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static UsageRecord Row(TimeSpan at, int status, long input, long output, long latencyMs, long cost, string id, long? ttfbMs = null) =>
        new(Since + at, "key_a", "gpt-5", "codex", null, input, output, 0, 0, TimeSpan.FromMilliseconds(latencyMs), status, id, "/v1/chat/completions")
        {
            CostMicros = cost,
            TimeToFirstByte = ttfbMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        };

    public static async Task RunAsync(IUsageLedger ledger, CancellationToken ct)
    {
        // Before the period (never counted), three buckets of one minute: the first with 20 rows of latency 1..20 ms,
        // the third with two errors; the second is empty and so absent. Half the first bucket's rows recorded a time to
        // first byte (2..20 ms), the others are like rows from before the ledger had it; the third bucket has none.
        var rows = new List<UsageRecord> { Row(TimeSpan.FromSeconds(-1), 200, 999, 999, 999, 999, "before") };
        for (int i = 1; i <= 20; i++)
        {
            rows.Add(Row(TimeSpan.FromSeconds(i), 200, 10, 5, i, 100, "a" + i, i <= 10 ? i * 2 : null));
        }

        rows.Add(Row(TimeSpan.FromMinutes(2), 429, 0, 0, 3, 0, "b1"));
        rows.Add(Row(TimeSpan.FromMinutes(2.5), 502, 7, 0, 900, 0, "b2"));
        rows.Add(Row(TimeSpan.FromMinutes(2.9), 429, 0, 0, 4, 0, "b3"));
        await ledger.AppendAsync(rows, ct);

        UsageSeries series = await ledger.SeriesAsync(Since, TimeSpan.FromMinutes(1), ct);

        Assert.Equal(Since, series.Since);
        Assert.Equal(2, series.Buckets.Count);
        UsageBucket first = series.Buckets[0];
        Assert.Equal(new UsageBucket(Since, 20, 0, 200, 100, 2000, 10, 19) { TtfbP50Ms = 10, TtfbP95Ms = 20 }, first);
        UsageBucket third = series.Buckets[1];
        Assert.Equal(new UsageBucket(Since + TimeSpan.FromMinutes(2), 3, 3, 7, 0, 0, 4, 900), third);
        Assert.Null(third.TtfbP50Ms);
        Assert.Equal([new StatusCount(429, 2), new StatusCount(502, 1)], series.Errors);

        UsageSeries later = await ledger.SeriesAsync(Since + TimeSpan.FromHours(1), TimeSpan.FromMinutes(1), ct);
        Assert.Empty(later.Buckets);
        Assert.Empty(later.Errors);
    }
}
