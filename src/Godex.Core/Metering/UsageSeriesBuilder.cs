namespace Godex.Core.Metering;

/// <summary>
/// Assembles a <see cref="UsageSeries"/> from rows streamed in bucket order, the same for every ledger: the SQL of
/// each database only buckets and orders, and the percentiles are computed here once (SQLite has no percentile
/// function, and one definition keeps both databases' answers identical).
/// </summary>
public sealed class UsageSeriesBuilder(DateTimeOffset since, TimeSpan bucket)
{
    /// <summary>Rows read at most for one series; a 30-day range of a busy proxy is sampled by its first rows of each bucket beyond that.</summary>
    public const int MaxRows = 500_000;

    private readonly List<UsageBucket> _buckets = [];
    private readonly Dictionary<int, long> _errors = [];
    private readonly List<long> _latencies = [];
    private readonly List<long> _firstBytes = [];
    private long _index = long.MinValue;
    private long _requests;
    private long _failed;
    private long _input;
    private long _output;
    private long _cost;

    /// <summary>The bucket width in milliseconds: the SQL numbers a row's bucket <c>(ts - since) / width</c>.</summary>
    public long BucketMilliseconds => (long)bucket.TotalMilliseconds;

    /// <summary>Adds one row; rows must come in ascending bucket order.</summary>
    public void Add(long bucketIndex, int status, long inputTokens, long outputTokens, long costMicros, long latencyMs, long? ttfbMs = null)
    {
        if (bucketIndex != _index)
        {
            Close();
            _index = bucketIndex;
        }

        _requests++;
        _input += inputTokens;
        _output += outputTokens;
        _cost += costMicros;
        _latencies.Add(latencyMs);
        if (ttfbMs is { } ttfb)
        {
            _firstBytes.Add(ttfb);
        }

        if (status >= 400)
        {
            _failed++;
            _errors[status] = _errors.GetValueOrDefault(status) + 1;
        }
    }

    public UsageSeries Build()
    {
        Close();
        StatusCount[] errors = [.. _errors.Select(e => new StatusCount(e.Key, e.Value)).OrderByDescending(e => e.Count).ThenBy(e => e.Status)];
        return new UsageSeries(since, bucket, _buckets, errors);
    }

    private void Close()
    {
        if (_requests == 0)
        {
            return;
        }

        _latencies.Sort();
        _firstBytes.Sort();
        _buckets.Add(new UsageBucket(
            since + (bucket * _index), _requests, _failed, _input, _output, _cost, Percentile(_latencies, 0.50), Percentile(_latencies, 0.95))
        {
            TtfbP50Ms = _firstBytes.Count == 0 ? null : Percentile(_firstBytes, 0.50),
            TtfbP95Ms = _firstBytes.Count == 0 ? null : Percentile(_firstBytes, 0.95),
        });
        _latencies.Clear();
        _firstBytes.Clear();
        _requests = _failed = _input = _output = _cost = 0;
    }

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    internal static long Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
