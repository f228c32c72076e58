namespace Godex.Core.Metering;

/// <summary>
/// One ledger row: a finished request (streamed or not, successful or not, on any backend).
/// </summary>
/// <param name="Timestamp">When the request ended.</param>
/// <param name="KeyId">The client key (<c>key_...</c>), <c>static</c> for <c>--api-key</c>, <c>anonymous</c> without a key.</param>
/// <param name="Model">The model that answered (after aliases), or what the client asked for when routing failed; empty before parsing.</param>
/// <param name="Backend">The backend (<c>codex</c>, <c>anthropic</c>), empty when none was reached.</param>
/// <param name="Account">The upstream account, when known.</param>
/// <param name="InputTokens">All prompt tokens (cached included).</param>
/// <param name="OutputTokens">All output tokens (reasoning included).</param>
/// <param name="CachedTokens">Prompt tokens served from the upstream cache.</param>
/// <param name="ReasoningTokens">Output tokens spent reasoning.</param>
/// <param name="Latency">From the request's arrival to its end.</param>
/// <param name="Status">The HTTP status sent; 499 when the client went away first.</param>
/// <param name="RequestId">The request's id (the trace identifier).</param>
/// <param name="Path">The request path (<c>/v1/chat/completions</c>).</param>
public sealed record UsageRecord(
    DateTimeOffset Timestamp,
    string KeyId,
    string Model,
    string Backend,
    string? Account,
    long InputTokens,
    long OutputTokens,
    long CachedTokens,
    long ReasoningTokens,
    TimeSpan Latency,
    int Status,
    string RequestId,
    string Path)
{
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>The request's cost at list price in micro-dollars (<c>Godex.Core.Spend.PriceTable</c>); 0 when unpriced.</summary>
    public long CostMicros { get; init; }

    /// <summary>
    /// From the request's arrival to its response headers (a stream's first event); null when the client left first,
    /// and for rows written before the ledger recorded it.
    /// </summary>
    public TimeSpan? TimeToFirstByte { get; init; }
}

/// <summary>Totals of one key over a period (or, grouped otherwise, of one model, day or account: <see cref="KeyId"/> then holds that value).</summary>
public sealed record UsageTotals(
    string KeyId,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CachedTokens,
    long ReasoningTokens,
    DateTimeOffset? LastSeen)
{
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Cost at list price in micro-dollars.</summary>
    public long CostMicros { get; init; }
}

/// <summary>
/// The usage-recording hook: takes one finished request and returns at once (no I/O on the caller's thread). The
/// HTTP server's <c>ClientKeyMiddleware</c> calls it once per <c>/v1</c> request; front doors only report what they
/// learn (the server's RequestUsage). Other hosts (exec, tests) may call it directly.
/// </summary>
public interface IUsageRecorder
{
    void Record(UsageRecord record);
}

/// <summary>
/// Where usage rows are kept and summed. <see cref="SqliteUsageLedger"/> is the default; a PostgreSQL one can fill the
/// same contract. Totals honour each key's <c>usage_reset_at</c>: rows before it stay but no longer count.
/// </summary>
public interface IUsageLedger
{
    /// <summary>
    /// Writes rows in one transaction (durable on return), debiting the tokens from the balances of keys with an
    /// allowance; true when a balance changed (key caches reload then).
    /// </summary>
    ValueTask<bool> AppendAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Totals since <paramref name="since"/> (and since each key's reset), per key or grouped <paramref name="by"/>
    /// model, UTC day or account; one key's rows only when <paramref name="keyId"/> is set.
    /// </summary>
    ValueTask<IReadOnlyList<UsageTotals>> TotalsAsync(DateTimeOffset? since, string? keyId, CancellationToken cancellationToken, UsageGrouping by = UsageGrouping.Key);

    /// <summary>
    /// Every row since <paramref name="since"/> in buckets of <paramref name="bucket"/> (requests, errors, tokens,
    /// spend, latency percentiles), for the dashboard's charts. Usage resets do not apply: this is traffic, not quota.
    /// </summary>
    ValueTask<UsageSeries> SeriesAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken);

    /// <summary>Rows, newest first.</summary>
    ValueTask<IReadOnlyList<UsageRecord>> ListAsync(DateTimeOffset? since, string? keyId, int limit, CancellationToken cancellationToken);

    /// <summary>Tokens a key used since an instant (input + output), for quota counters.</summary>
    long TokensSince(string keyId, DateTimeOffset since);

    /// <summary>Micro-dollars a key spent since an instant, for budgets.</summary>
    long CostSince(string keyId, DateTimeOffset since);
}

/// <summary>How <see cref="IUsageLedger.TotalsAsync"/> groups rows (<c>godex proxy usage --by</c>).</summary>
public enum UsageGrouping
{
    Key,
    Model,
    Day,
    Account,
}
