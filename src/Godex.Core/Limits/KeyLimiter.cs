using System.Collections.Concurrent;
using Godex.Core.Keys;

namespace Godex.Core.Limits;

/// <summary>
/// Per-key limits in memory, read from the key on every call (so a changed limit applies at once, no restart):
/// a token bucket whose capacity is exactly the burst and that refills at the rate; a concurrent-request cap; a token
/// quota per <see cref="LimitDefaults.MeterWindow"/>; and the allowance balance. Refusals carry the real time until a
/// retry can succeed. Thread-safe; a short lock per key, no I/O except seeding a key's quota counter from the ledger
/// once per process.
/// </summary>
public sealed class KeyLimiter
{
    private readonly ConcurrentDictionary<string, KeyState> _states = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Func<string, DateTimeOffset, long> _usedSince;
    private readonly Func<string, DateTimeOffset, long> _spentSince;

    /// <param name="time">The clock.</param>
    /// <param name="defaults">Limits for keys that set none.</param>
    /// <param name="usedSince">Tokens the ledger holds for a key since an instant (seeds the quota counter).</param>
    /// <param name="spentSince">Micro-dollars the ledger holds for a key since an instant (seeds the budget counter).</param>
    public KeyLimiter(TimeProvider time, LimitDefaults defaults, Func<string, DateTimeOffset, long>? usedSince = null, Func<string, DateTimeOffset, long>? spentSince = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        if (defaults.MeterWindow <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(defaults), "the meter window must be positive");
        }

        _time = time;
        Defaults = defaults;
        _usedSince = usedSince ?? ((_, _) => 0);
        _spentSince = spentSince ?? ((_, _) => 0);
    }

    public LimitDefaults Defaults { get; }

    /// <summary>Checks every limit and, when all pass, takes one token from the bucket and one concurrency slot.</summary>
    public LimitDecision TryAcquire(ClientKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        DateTimeOffset now = _time.GetUtcNow();
        KeyState state = _states.GetOrAdd(key.Id, static _ => new KeyState());
        lock (state)
        {
            // Quota window.
            long windowMs = (long)Defaults.MeterWindow.TotalMilliseconds;
            long nowMs = now.ToUnixTimeMilliseconds();
            long windowStart = nowMs - (((nowMs % windowMs) + windowMs) % windowMs);
            long from = Math.Max(windowStart, key.UsageResetAt?.ToUnixTimeMilliseconds() ?? long.MinValue);
            if (!state.Seeded)
            {
                state.Seeded = true;
                state.From = from;
                state.WindowTokens = _usedSince(key.Id, DateTimeOffset.FromUnixTimeMilliseconds(from));
            }
            else if (state.From != from)
            {
                state.From = from;
                state.WindowTokens = 0;
            }

            TimeSpan windowLeft = TimeSpan.FromMilliseconds(windowStart + windowMs - nowMs);

            // Budget window (its own length, or the meter window), seeded from the ledger once per process.
            TimeSpan budgetLeft = TimeSpan.Zero;
            if (key.BudgetMicros > 0)
            {
                long budgetMs = (long)(key.BudgetWindow > TimeSpan.Zero ? key.BudgetWindow : Defaults.MeterWindow).TotalMilliseconds;
                long budgetStart = nowMs - (((nowMs % budgetMs) + budgetMs) % budgetMs);
                long budgetFrom = Math.Max(budgetStart, key.UsageResetAt?.ToUnixTimeMilliseconds() ?? long.MinValue);
                if (!state.BudgetSeeded || state.BudgetFrom != budgetFrom)
                {
                    state.SpentMicros = state.BudgetSeeded ? 0 : _spentSince(key.Id, DateTimeOffset.FromUnixTimeMilliseconds(budgetFrom));
                    state.BudgetSeeded = true;
                    state.BudgetFrom = budgetFrom;
                }

                budgetLeft = TimeSpan.FromMilliseconds(budgetStart + budgetMs - nowMs);
            }

            // Bucket (refill first, so headers are current).
            RateSpec? rate = RateOf(key);
            int burst = Math.Max(1, key.Burst ?? Defaults.Burst);
            if (rate is { } r)
            {
                if (state.Rate != r || state.Capacity != burst)
                {
                    state.Rate = r;
                    // A new key starts full; a raised burst grants the extra capacity at once, a lowered one caps it.
                    state.Tokens = state.Initialized ? Math.Min(burst, state.Tokens + Math.Max(0, burst - state.Capacity)) : burst;
                    state.Capacity = burst;
                    state.Initialized = true;
                    state.LastRefill = now;
                }

                double elapsed = (now - state.LastRefill).TotalSeconds;
                if (elapsed > 0)
                {
                    state.Tokens = Math.Min(burst, state.Tokens + (elapsed * r.PerSecond));
                    state.LastRefill = now;
                }
            }

            LimitDecision Decide(LimitVerdict verdict, TimeSpan retryAfter) => new(verdict, retryAfter)
            {
                RequestLimit = rate is null ? null : burst,
                RequestsRemaining = rate is null ? null : (int)Math.Floor(state.Tokens),
                RequestsReset = rate is { } rr ? Seconds((burst - state.Tokens) / rr.PerSecond) : null,
                TokenLimit = key.QuotaTokens > 0 ? key.QuotaTokens : null,
                TokensRemaining = key.QuotaTokens > 0 ? Math.Max(0, key.QuotaTokens - state.WindowTokens) : null,
                TokensReset = key.QuotaTokens > 0 ? windowLeft : null,
                BudgetMicros = key.BudgetMicros > 0 ? key.BudgetMicros : null,
                BudgetRemainingMicros = key.BudgetMicros > 0 ? Math.Max(0, key.BudgetMicros - state.SpentMicros) : null,
                BudgetReset = key.BudgetMicros > 0 ? budgetLeft : null,
            };

            if (key.QuotaTokens > 0 && state.WindowTokens >= key.QuotaTokens)
            {
                return Decide(LimitVerdict.Quota, windowLeft);
            }

            if (key.BudgetMicros > 0 && state.SpentMicros >= key.BudgetMicros)
            {
                return Decide(LimitVerdict.Budget, budgetLeft);
            }

            if (key.TokenAllowance > 0 && key.TokenBalance - state.UnflushedTokens <= 0)
            {
                TimeSpan refill = key.AllowanceWindowStart is { } start && key.AllowanceDuration > TimeSpan.Zero
                    ? Max(start + key.AllowanceDuration - now, TimeSpan.FromSeconds(1))
                    : Defaults.MeterWindow;
                return Decide(LimitVerdict.Balance, refill);
            }

            if (key.MaxConcurrent > 0 && state.InFlight >= key.MaxConcurrent)
            {
                return Decide(LimitVerdict.Concurrency, TimeSpan.FromSeconds(1));
            }

            if (rate is { } rateSpec)
            {
                if (state.Tokens < 1)
                {
                    return Decide(LimitVerdict.Rate, Seconds((1 - state.Tokens) / rateSpec.PerSecond));
                }

                state.Tokens -= 1;
            }

            state.InFlight++;
            return Decide(LimitVerdict.Allowed, TimeSpan.Zero);
        }
    }

    /// <summary>Gives back the concurrency slot of an allowed request.</summary>
    public void Release(string keyId)
    {
        if (_states.TryGetValue(keyId, out KeyState? state))
        {
            lock (state)
            {
                state.InFlight = Math.Max(0, state.InFlight - 1);
            }
        }
    }

    /// <summary>Counts tokens (and micro-dollars) a finished request used (called when its usage is recorded, before it reaches disk).</summary>
    public void AddUsage(string keyId, DateTimeOffset at, long tokens, long costMicros = 0)
    {
        if ((tokens <= 0 && costMicros <= 0) || !_states.TryGetValue(keyId, out KeyState? state))
        {
            return;
        }

        lock (state)
        {
            long atMs = at.ToUnixTimeMilliseconds();
            if (atMs >= state.From)
            {
                state.WindowTokens += tokens;
            }

            if (state.BudgetSeeded && atMs >= state.BudgetFrom)
            {
                state.SpentMicros += Math.Max(0, costMicros);
            }

            state.UnflushedTokens += Math.Max(0, tokens);
        }
    }

    /// <summary>The ledger wrote (and debited from the stored balance) <paramref name="tokens"/> of this key's usage.</summary>
    public void Flushed(string keyId, long tokens)
    {
        if (tokens > 0 && _states.TryGetValue(keyId, out KeyState? state))
        {
            lock (state)
            {
                state.UnflushedTokens = Math.Max(0, state.UnflushedTokens - tokens);
            }
        }
    }

    private RateSpec? RateOf(ClientKey key) =>
        key.Rate is { } text && RateSpec.TryParse(text, out RateSpec parsed, out _) ? parsed : Defaults.Rate;

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(Math.Max(0, seconds));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class KeyState
    {
        public bool Initialized;
        public RateSpec Rate;
        public int Capacity;
        public double Tokens;
        public DateTimeOffset LastRefill;
        public int InFlight;
        public bool Seeded;
        public long From;
        public long WindowTokens;
        public long UnflushedTokens;
        public bool BudgetSeeded;
        public long BudgetFrom;
        public long SpentMicros;
    }
}
