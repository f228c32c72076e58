namespace Godex.Core.Metering;

/// <summary>
/// The ledger over a period in equal buckets, for the dashboard's charts (<c>GET /admin/stats</c>): what each bucket
/// served, and the errors of the whole period by status.
/// </summary>
/// <param name="Since">The start of the first bucket.</param>
/// <param name="Bucket">The width of every bucket.</param>
/// <param name="Buckets">Only buckets with at least one request, oldest first.</param>
/// <param name="Errors">Requests answered with a status of 400 or more, by status, most frequent first.</param>
public sealed record UsageSeries(DateTimeOffset Since, TimeSpan Bucket, IReadOnlyList<UsageBucket> Buckets, IReadOnlyList<StatusCount> Errors);

/// <summary>
/// One bucket of a <see cref="UsageSeries"/>. Latencies are nearest-rank percentiles of the rows' <c>latency_ms</c>
/// (arrival to end); times to first byte the same of the rows' <c>ttfb_ms</c>, over the rows that have one (null when
/// none does: rows from before the ledger recorded it, clients that left first).
/// </summary>
public sealed record UsageBucket(
    DateTimeOffset Start,
    long Requests,
    long Errors,
    long InputTokens,
    long OutputTokens,
    long CostMicros,
    long LatencyP50Ms,
    long LatencyP95Ms)
{
    /// <summary>The median time to first byte of the bucket's rows that recorded one.</summary>
    public long? TtfbP50Ms { get; init; }

    /// <summary>The 95th percentile time to first byte of the bucket's rows that recorded one.</summary>
    public long? TtfbP95Ms { get; init; }
}

/// <summary>How many requests ended with one HTTP status.</summary>
public readonly record struct StatusCount(int Status, long Count);
