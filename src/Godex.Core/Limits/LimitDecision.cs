using Godex.Core.Keys;

namespace Godex.Core.Limits;

/// <summary>Why a request was refused, or <see cref="Allowed"/>.</summary>
public enum LimitVerdict
{
    Allowed,

    /// <summary>The key's token bucket is empty (<c>rate</c>/<c>burst</c>).</summary>
    Rate,

    /// <summary>The key has <c>max_concurrent</c> requests in flight.</summary>
    Concurrency,

    /// <summary>The key used its <c>quota_tokens</c> for the current <c>meter_window</c>.</summary>
    Quota,

    /// <summary>The key's token balance (allowance) is used up.</summary>
    Balance,
}

/// <summary>
/// The outcome of <see cref="KeyLimiter.TryAcquire"/>, with what the <c>x-ratelimit-*</c> headers report. Limits
/// that do not apply to the key are null. When <see cref="Verdict"/> is <see cref="LimitVerdict.Allowed"/> the caller
/// owns a concurrency slot and must call <see cref="KeyLimiter.Release"/> once.
/// </summary>
public readonly record struct LimitDecision(LimitVerdict Verdict, TimeSpan RetryAfter)
{
    public bool IsAllowed => Verdict == LimitVerdict.Allowed;

    /// <summary>
    /// The rate's request count (60 for <c>60/m</c>): what OpenAI's <c>x-ratelimit-limit-requests</c> reports, the
    /// requests allowed per the rate's period.
    /// </summary>
    public int? RequestLimit { get; init; }

    /// <summary>Bucket capacity (the burst): how many requests may come at once.</summary>
    public int? RequestBurst { get; init; }

    public int? RequestsRemaining { get; init; }

    /// <summary>Time until the bucket is full again.</summary>
    public TimeSpan? RequestsReset { get; init; }

    /// <summary>Tokens per window (the quota).</summary>
    public long? TokenLimit { get; init; }

    public long? TokensRemaining { get; init; }

    /// <summary>Time until the window restarts.</summary>
    public TimeSpan? TokensReset { get; init; }
}

/// <summary>Proxy-wide defaults for keys that set no limit of their own.</summary>
/// <param name="Rate">Applied to keys without a rate; null means no rate limit.</param>
/// <param name="Burst">Bucket capacity for keys without a burst.</param>
/// <param name="MeterWindow">Length of a quota window, aligned to the Unix epoch (UTC).</param>
public sealed record LimitDefaults(RateSpec? Rate, int Burst, TimeSpan MeterWindow);
