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
/// <remarks>
/// With an <see cref="ISharedLimitStore"/> (several instances on one PostgreSQL database) <see cref="TryAcquireAsync"/>
/// makes the caps hold in total:
/// <list type="bullet">
/// <item>Rate: the bucket lives in the database. An instance leases <see cref="LeaseSize"/> tokens at a time
/// (burst / 10, at least 1) and spends them without a round trip; leased tokens are taken from the shared bucket, so
/// the rate never overshoots. What a lease costs is the other way: up to LeaseSize − 1 tokens an instance holds unused
/// can make another instance refuse early, until <see cref="MaintainAsync"/> gives them back (after
/// <see cref="LeaseIdle"/>). Keys with a burst under 20 lease one token at a time: exact, one round trip a request.</item>
/// <item>Concurrency: one slot per request in flight, taken in the database before the request (one round trip)
/// and given back after it; a killed instance's slots stop counting after <c>PostgresDatabase.InstanceTimeout</c>.</item>
/// <item>Token quota and balance: each instance adds its own usage at once and re-reads every instance's flushed usage
/// every <see cref="MaintainAsync"/> tick (1 s). A quota can therefore be overshot by what the requests in flight when it
/// is crossed use (as on one instance) plus what the other instances recorded in the last tick and ledger flush:
/// about one second of the key's usage on the other instances.</item>
/// </list>
/// </remarks>
public sealed class KeyLimiter
{
    /// <summary>Unused leased tokens go back to the shared bucket after this long.</summary>
    public static readonly TimeSpan LeaseIdle = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, KeyState> _states = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Func<string, DateTimeOffset, long> _usedSince;
    private readonly ISharedLimitStore? _shared;

    /// <param name="time">The clock.</param>
    /// <param name="defaults">Limits for keys that set none.</param>
    /// <param name="usedSince">Tokens the ledger holds for a key since an instant (seeds the quota counter).</param>
    /// <param name="shared">Limit state shared with other instances; null keeps every limit in this process.</param>
    public KeyLimiter(TimeProvider time, LimitDefaults defaults, Func<string, DateTimeOffset, long>? usedSince = null, ISharedLimitStore? shared = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        if (defaults.MeterWindow <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(defaults), "the meter window must be positive");
        }

        _time = time;
        Defaults = defaults;
        _usedSince = usedSince ?? ((_, _) => 0);
        _shared = shared;
    }

    public LimitDefaults Defaults { get; }

    /// <summary>Whether limits are shared with other instances (<see cref="TryAcquireAsync"/> may go to the database).</summary>
    public bool IsShared => _shared is not null;

    /// <summary>Tokens an instance leases from the shared bucket at once: burst / 10, at least 1.</summary>
    public static int LeaseSize(int burst) => Math.Max(1, burst / 10);

    /// <summary>Checks every limit and, when all pass, takes one token from the bucket and one concurrency slot.</summary>
    public LimitDecision TryAcquire(ClientKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        DateTimeOffset now = _time.GetUtcNow();
        KeyState state = _states.GetOrAdd(key.Id, static _ => new KeyState());
        lock (state)
        {
            TimeSpan windowLeft = UpdateWindow(key, state, now);

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
                RequestLimit = rate?.Requests,
                RequestBurst = rate is null ? null : burst,
                RequestsRemaining = rate is null ? null : (int)Math.Floor(state.Tokens),
                RequestsReset = rate is { } rr ? Seconds((burst - state.Tokens) / rr.PerSecond) : null,
                TokenLimit = key.QuotaTokens > 0 ? key.QuotaTokens : null,
                TokensRemaining = key.QuotaTokens > 0 ? Math.Max(0, key.QuotaTokens - state.WindowTokens) : null,
                TokensReset = key.QuotaTokens > 0 ? windowLeft : null,
            };

            if (key.QuotaTokens > 0 && state.WindowTokens >= key.QuotaTokens)
            {
                return Decide(LimitVerdict.Quota, windowLeft);
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

    /// <summary>Moves the key's quota window to <paramref name="now"/> (seeding it from the ledger once); returns the time it has left.</summary>
    private TimeSpan UpdateWindow(ClientKey key, KeyState state, DateTimeOffset now)
    {
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

        state.HasQuota = key.QuotaTokens > 0;
        return TimeSpan.FromMilliseconds(windowStart + windowMs - nowMs);
    }

    /// <summary>
    /// <see cref="TryAcquire"/> across instances when limits are shared (see the remarks); the same as it otherwise.
    /// Completes without a database round trip while the key's rate lease lasts and it has no concurrency cap.
    /// </summary>
    public async ValueTask<LimitDecision> TryAcquireAsync(ClientKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_shared is null)
        {
            return TryAcquire(key);
        }

        DateTimeOffset now = _time.GetUtcNow();
        KeyState state = _states.GetOrAdd(key.Id, static _ => new KeyState());
        RateSpec? rate = RateOf(key);
        int burst = Math.Max(1, key.Burst ?? Defaults.Burst);
        TimeSpan windowLeft;
        LimitDecision Decide(LimitVerdict verdict, TimeSpan retryAfter)
        {
            lock (state)
            {
                return new(verdict, retryAfter)
                {
                    RequestLimit = rate is null ? null : burst,
                    RequestsRemaining = rate is null ? null : (int)Math.Floor(Math.Min(burst, state.SharedLevel + state.Leased)),
                    RequestsReset = rate is { } rr ? Seconds((burst - state.SharedLevel - state.Leased) / rr.PerSecond) : null,
                    TokenLimit = key.QuotaTokens > 0 ? key.QuotaTokens : null,
                    TokensRemaining = key.QuotaTokens > 0 ? Math.Max(0, key.QuotaTokens - state.WindowTokens) : null,
                    TokensReset = key.QuotaTokens > 0 ? windowLeft : null,
                };
            }
        }

        LimitVerdict local;
        TimeSpan localRetry = TimeSpan.Zero;
        lock (state)
        {
            windowLeft = UpdateWindow(key, state, now);
            local = LimitVerdict.Allowed;
            if (key.QuotaTokens > 0 && state.WindowTokens >= key.QuotaTokens)
            {
                local = LimitVerdict.Quota;
                localRetry = windowLeft;
            }
            else if (key.TokenAllowance > 0 && key.TokenBalance - state.UnflushedTokens <= 0)
            {
                local = LimitVerdict.Balance;
                localRetry = key.AllowanceWindowStart is { } start && key.AllowanceDuration > TimeSpan.Zero
                    ? Max(start + key.AllowanceDuration - now, TimeSpan.FromSeconds(1))
                    : Defaults.MeterWindow;
            }
        }

        if (local != LimitVerdict.Allowed)
        {
            return Decide(local, localRetry);
        }

        bool tookToken = false;
        if (rate is { } r)
        {
            lock (state)
            {
                state.Capacity = burst;
                if (state.Leased >= 1)
                {
                    state.Leased--;
                    state.LeaseUsedAt = now;
                    tookToken = true;
                }
            }

            if (!tookToken)
            {
                (int granted, double level) = await _shared.TakeTokensAsync(key.Id, r.PerSecond, burst, LeaseSize(burst), cancellationToken);
                lock (state)
                {
                    state.Leased += granted;
                    state.SharedLevel = level;
                    state.LeaseUsedAt = now;
                    if (state.Leased >= 1)
                    {
                        state.Leased--;
                        tookToken = true;
                    }
                }

                if (!tookToken)
                {
                    return Decide(LimitVerdict.Rate, Seconds((1 - level) / r.PerSecond));
                }
            }
        }

        if (key.MaxConcurrent > 0)
        {
            if (!await _shared.TryAcquireSlotAsync(key.Id, key.MaxConcurrent, cancellationToken))
            {
                if (tookToken)
                {
                    lock (state)
                    {
                        state.Leased++; // not spent: the next request of this key on this instance uses it
                    }
                }

                return Decide(LimitVerdict.Concurrency, TimeSpan.FromSeconds(1));
            }

            lock (state)
            {
                state.SharedSlots++;
            }
        }

        lock (state)
        {
            state.InFlight++;
        }

        return Decide(LimitVerdict.Allowed, TimeSpan.Zero);
    }

    /// <summary>
    /// The shared-limits housekeeping, every second: gives back leased tokens unused for <see cref="LeaseIdle"/>, retries
    /// slot releases that failed, and re-reads each quota key's usage in the current window from the shared ledger
    /// (every instance's flushed rows) plus this instance's rows not flushed yet.
    /// </summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        if (_shared is null)
        {
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        foreach ((string keyId, KeyState state) in _states)
        {
            int unused = 0;
            int capacity;
            int releases;
            long from;
            long unflushed;
            long addedBefore;
            bool refreshQuota;
            lock (state)
            {
                if (state.Leased >= 1 && now - state.LeaseUsedAt >= LeaseIdle)
                {
                    unused = (int)Math.Floor(state.Leased);
                    state.Leased -= unused;
                }

                capacity = state.Capacity;
                releases = state.PendingReleases;
                state.PendingReleases = 0;
                refreshQuota = state.Seeded && state.HasQuota;
                from = state.From;
                // Read before the ledger: a row flushed meanwhile counts twice (until the next tick), never zero times.
                unflushed = state.UnflushedTokens;
                addedBefore = state.AddedTokens;
            }

            if (unused > 0)
            {
                await _shared.ReturnTokensAsync(keyId, Math.Max(1, capacity), unused, cancellationToken);
            }

            for (int i = 0; i < releases; i++)
            {
                await ReleaseSharedSlotAsync(keyId, state);
            }

            if (refreshQuota)
            {
                long used = _usedSince(keyId, DateTimeOffset.FromUnixTimeMilliseconds(from));
                lock (state)
                {
                    if (state.From == from)
                    {
                        state.WindowTokens = used + unflushed + (state.AddedTokens - addedBefore);
                    }
                }
            }
        }
    }

    private async Task ReleaseSharedSlotAsync(string keyId, KeyState state)
    {
        try
        {
            await _shared!.ReleaseSlotAsync(keyId, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Retried by the next MaintainAsync; meanwhile the slot counts (at worst until the instance stops).
            lock (state)
            {
                state.PendingReleases++;
            }
        }
    }

    /// <summary>Gives back the concurrency slot of an allowed request.</summary>
    public void Release(string keyId)
    {
        if (_states.TryGetValue(keyId, out KeyState? state))
        {
            bool shared;
            lock (state)
            {
                state.InFlight = Math.Max(0, state.InFlight - 1);
                shared = state.SharedSlots > 0;
                if (shared)
                {
                    state.SharedSlots--;
                }
            }

            if (shared)
            {
                // After the response: the round trip is not on the request's path.
                _ = ReleaseSharedSlotAsync(keyId, state);
            }
        }
    }

    /// <summary>Counts tokens a finished request used (called when its usage is recorded, before it reaches disk).</summary>
    public void AddUsage(string keyId, DateTimeOffset at, long tokens)
    {
        if (tokens <= 0 || !_states.TryGetValue(keyId, out KeyState? state))
        {
            return;
        }

        lock (state)
        {
            if (at.ToUnixTimeMilliseconds() >= state.From)
            {
                state.WindowTokens += tokens;
            }

            state.UnflushedTokens += tokens;
            state.AddedTokens += tokens;
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
        public bool HasQuota;
        public long AddedTokens;

        // Shared limits (TryAcquireAsync with a store).
        public double Leased;
        public double SharedLevel;
        public DateTimeOffset LeaseUsedAt;
        public int SharedSlots;
        public int PendingReleases;
    }
}
