using System.Globalization;
using System.Text.Json;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Limits;
using Godex.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// The accounts of one backend and every decision about them: which account a request goes to, what an upstream's
/// answer means for the account, and when the pool as a whole cannot serve.
/// </summary>
/// <remarks>
/// <code>
/// choose:  bound conversation whose account can serve ──► that account (it moves only when its account cannot serve)
///          else the accounts that can serve (no cooldown, no window spent until a reset ahead, not tried yet)
///            ── proactive: those below quota_threshold % when there are any
///            ── strategy: round-robin │ fill-first │ least-used (reported usage, then requests served)
/// answer:  2xx      ──► usage headers read, cooldown ended, conversation bound
///          429      ──► cooled until the reset the upstream gave (resets_at, resets_in_seconds, unified reset,
///                       Retry-After), else rate_limit_cooldown; next account
///          401/none ──► (the send path refreshed once) suspended login_suspend; next account
///          5xx, 529, unreachable, in-band overload before content ──► transient_cooldown; next account
///          other 4xx ──► the client's problem: answered as is, the account is not blamed
/// </code>
/// State changes are saved (coalesced, off the request path) and restored at start, so a spent account stays avoided
/// across a restart: cooldowns to <see cref="IAccountCooldownStore"/> (SQLite, or PostgreSQL shared by several
/// instances; key <c>backend:account</c>), reported usage and the last error to <see cref="IAccountStateStore"/>.
/// </remarks>
public sealed partial class AccountPool : IDisposable
{
    private static readonly TimeSpan s_saveDelay = TimeSpan.FromMilliseconds(200);

    private readonly PoolAccount[] _accounts;
    private readonly PoolOptions _options;
    private readonly TimeProvider _time;
    private readonly IAccountCooldownStore? _cooldowns;
    private readonly IAccountStateStore? _store;
    private readonly ILogger _logger;
    private readonly SessionAffinity _affinity;
    private readonly Lock _saveGate = new();
    private readonly HashSet<PoolAccount> _dirty = [];
    private Task? _saving;
    private int _next;

    public AccountPool(string backend, IReadOnlyList<string> accountNames, PoolStrategy strategy, PoolOptions options, TimeProvider time, IAccountCooldownStore? cooldowns, IAccountStateStore? store, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(accountNames);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        if (accountNames.Count is 0 or > 64)
        {
            throw new ArgumentException("a pool holds 1 to 64 accounts", nameof(accountNames));
        }

        Backend = backend;
        Strategy = strategy;
        _options = options;
        _time = time;
        _cooldowns = cooldowns;
        _store = store;
        _logger = logger;
        _affinity = new SessionAffinity(options.AffinityTtl);
        _accounts = [.. accountNames.Select((name, index) => new PoolAccount(backend, name, index))];
        Restore();
    }

    /// <summary>A pool of one account, <c>default</c>, with nothing saved: a backend built without accounts (tests, tools).</summary>
    public static AccountPool OfOne(string backend, TimeProvider time, ILogger logger) =>
        new(backend, ["default"], PoolStrategy.RoundRobin, new PoolOptions(), time, null, null, logger);

    /// <summary>The backend whose accounts these are.</summary>
    public string Backend { get; }

    /// <summary>How new conversations are spread.</summary>
    public PoolStrategy Strategy { get; }

    /// <summary>The accounts, in config order.</summary>
    public IReadOnlyList<PoolAccount> Accounts => _accounts;

    /// <summary>Conversations currently bound to an account.</summary>
    public int BoundConversations => _affinity.Count;

    /// <summary>Most accounts one request is tried on.</summary>
    public int MaxTries => Math.Min(_accounts.Length, Math.Max(1, _options.MaxFailover));

    /// <summary>
    /// The account for a request. <paramref name="sessionKey"/> names its conversation (null: none, e.g. a model list);
    /// <paramref name="tried"/> is a bit set of the account indexes already tried for it. Null when no account that
    /// was not tried can serve — except a pool of one, whose account is always tried once: the upstream decides.
    /// </summary>
    public PoolAccount? Choose(string? sessionKey, ulong tried = 0)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_accounts.Length == 1)
        {
            return tried == 0 ? _accounts[0] : null;
        }

        if (sessionKey is not null && _affinity.TryGet(sessionKey, now, out int bound)
            && (tried & (1UL << bound)) == 0 && _accounts[bound].CanServeAt(now))
        {
            return _accounts[bound];
        }

        bool advance = sessionKey is not null;
        PoolAccount? chosen = Pick(now, tried, belowThreshold: true, advance) ?? Pick(now, tried, belowThreshold: false, advance);
        if (chosen is not null && sessionKey is not null)
        {
            // Bound now, not after the answer: a conversation's next turn may start before this one ends.
            _affinity.Bind(sessionKey, chosen.Index, now);
        }

        return chosen;
    }

    /// <summary>True when no account can serve now (a pool of one included): the time for <c>routing.fallbacks</c>.</summary>
    public bool IsExhausted()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (PoolAccount account in _accounts)
        {
            if (account.CanServeAt(now))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>When the first cooling account can serve again; null when one can serve now.</summary>
    public DateTimeOffset? EarliestReturn()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        DateTimeOffset? earliest = null;
        foreach (PoolAccount account in _accounts)
        {
            DateTimeOffset? back = account.ReturnsAt(now);
            if (back is null)
            {
                return null;
            }

            earliest = earliest is null || back < earliest ? back : earliest;
        }

        return earliest;
    }

    /// <summary>True when an account outside <paramref name="tried"/> can serve now.</summary>
    public bool HasUntried(ulong tried)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (PoolAccount account in _accounts)
        {
            if ((tried & (1UL << account.Index)) == 0 && account.CanServeAt(now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The account answered 2xx: its usage headers are read and any cooldown ends.</summary>
    public void ReportSuccess(PoolAccount account, UpstreamResponse response)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(response);
        account.CountRequest();
        DateTimeOffset now = _time.GetUtcNow();
        UsageReading reading = UsageReading.Read(response.Headers, now);
        bool changed = account.Observe(reading);
        if (reading.RejectedUntil is { } until && until > now)
        {
            // Allowed this time, but the upstream says the window is now closed.
            changed |= account.CoolDown(until, "usage_limit_reached", null);
        }
        else
        {
            changed |= account.ClearCooldown();
        }

        if (changed)
        {
            MarkDirty(account);
        }
    }

    /// <summary>
    /// The account refused (before the first byte): what that means for the account. True when the request should go
    /// to another account; false when the refusal is the client's to hear (a bad request is bad on every account).
    /// </summary>
    public bool ReportRefusal(PoolAccount account, UpstreamResponse response)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(response);
        BackendError error = response.Error ?? BackendError.Upstream(502, "refused");
        DateTimeOffset now = _time.GetUtcNow();
        UsageReading reading = UsageReading.Read(response.Headers, now);
        bool changed = account.Observe(reading);
        (TimeSpan? wait, string? reason) = Classify(error, response, reading, now);
        if (wait is not { } cooldown)
        {
            if (changed)
            {
                MarkDirty(account);
            }

            return false;
        }

        account.CoolDown(now + cooldown, reason!, error.Message);
        MarkDirty(account);
        Log.CoolingDown(_logger, Backend, account.Name, reason!, (long)Math.Ceiling(cooldown.TotalSeconds), error.Status);
        return true;
    }

    /// <summary>The refusal for a request no account can take: a 429 with the earliest return as Retry-After.</summary>
    public BackendError ExhaustedError()
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset? back = EarliestReturn();
        TimeSpan wait = back is { } at && at > now ? at - now : TimeSpan.FromSeconds(1);
        return new BackendError(429, BackendErrorTypes.RateLimit, string.Create(CultureInfo.InvariantCulture,
            $"every account of the {Backend} backend is cooling down (usage limits or upstream errors); the first is back in {Math.Ceiling(wait.TotalSeconds):0} s"))
        {
            Code = "accounts_exhausted",
            RetryAfter = wait,
        };
    }

    /// <summary>Writes what is not saved yet (at shutdown).</summary>
    public void Dispose() => SaveNow();

    private PoolAccount? Pick(long now, ulong tried, bool belowThreshold, bool advance)
    {
        PoolAccount? best = null;
        int count = _accounts.Length;
        int start = Strategy == PoolStrategy.RoundRobin ? (int)((uint)Volatile.Read(ref _next) % (uint)count) : 0;
        for (int i = 0; i < count; i++)
        {
            PoolAccount account = _accounts[(start + i) % count];
            if ((tried & (1UL << account.Index)) != 0 || !account.CanServeAt(now)
                || (belowThreshold && account.UsedPercentAt(now) >= _options.QuotaThreshold))
            {
                continue;
            }

            if (Strategy != PoolStrategy.LeastUsed)
            {
                best = account;
                break;
            }

            if (best is null || account.UsedPercentAt(now) < best.UsedPercentAt(now)
                || (account.UsedPercentAt(now) == best.UsedPercentAt(now) && account.Requests < best.Requests))
            {
                best = account;
            }
        }

        if (best is not null && advance && Strategy == PoolStrategy.RoundRobin)
        {
            // The next new conversation starts looking after this one (a model list does not count as one).
            Interlocked.Exchange(ref _next, best.Index + 1);
        }

        return best;
    }

    private (TimeSpan? Wait, string? Reason) Classify(BackendError error, UpstreamResponse response, UsageReading reading, DateTimeOffset now)
    {
        if (error.Code is "upstream_login_unavailable" or "upstream_login_rejected" || error.Status == 402)
        {
            return (_options.LoginSuspend, error.Status == 402 ? "payment_required" : "login_rejected");
        }

        if (error.Status == 429)
        {
            DateTimeOffset? reset = ResetFromBody(response.ErrorBody.Span, now) ?? reading.RejectedUntil;
            TimeSpan wait = reset is { } at && at > now ? at - now : error.RetryAfter ?? _options.RateLimitCooldown;
            string reason = error.Code is "usage_limit_reached" || reading.RejectedUntil is not null ? "usage_limit_reached" : "rate_limited";
            return (wait > TimeSpan.Zero ? wait : _options.RateLimitCooldown, reason);
        }

        if (error.Status >= 500 || error.Status == 408)
        {
            return (_options.TransientCooldown, "upstream_error");
        }

        return (null, null);
    }

    /// <summary>Codex's <c>{"error":{"resets_at":UNIX,"resets_in_seconds":N}}</c>, when the refusal body has it.</summary>
    private static DateTimeOffset? ResetFromBody(ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (body.IsEmpty || body.IndexOf("resets_"u8) < 0)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error"u8, out JsonElement error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (error.TryGetProperty("resets_at"u8, out JsonElement at) && at.TryGetInt64(out long unix) && unix > 0)
            {
                return DateTimeOffset.FromUnixTimeSeconds(unix);
            }

            if (error.TryGetProperty("resets_in_seconds"u8, out JsonElement seconds) && seconds.TryGetDouble(out double inSeconds))
            {
                return now.AddSeconds(Math.Clamp(inSeconds, 0, TimeSpan.FromDays(30).TotalSeconds));
            }
        }
        catch (JsonException)
        {
            // Not JSON: the status and headers speak for it.
        }

        return null;
    }

    private void Restore()
    {
        try
        {
            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (AccountState state in _store?.Load(Backend) ?? [])
            {
                Find(state.Account)?.Restore(state);
            }

            if (_cooldowns is not null)
            {
                // At start only (the backends are built once, synchronously); the SQLite store completes at once.
                foreach (AccountCooldown cooldown in Wait(_cooldowns.ListActiveAsync(CancellationToken.None)))
                {
                    if (cooldown.AccountKey.StartsWith(Backend + ":", StringComparison.Ordinal))
                    {
                        Find(cooldown.AccountKey[(Backend.Length + 1)..])?.Restore(cooldown.Until, cooldown.Reason, now);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or TimeoutException or IOException)
        {
            Log.StateFailed(_logger, Backend, ex.Message);
        }
    }

    private PoolAccount? Find(string name) => Array.Find(_accounts, a => string.Equals(a.Name, name, StringComparison.Ordinal));

    private void MarkDirty(PoolAccount account)
    {
        if (_store is null && _cooldowns is null)
        {
            return;
        }

        lock (_saveGate)
        {
            _dirty.Add(account);
            if (_saving is not null)
            {
                return;
            }

            // Coalesced: one write for the changes of the next 200 ms, on the thread pool.
            _saving = SaveLaterAsync();
        }
    }

    private async Task SaveLaterAsync()
    {
        await Task.Delay(s_saveDelay, _time);
        SaveNow();
    }

    private void SaveNow()
    {
        PoolAccount[] dirty;
        lock (_saveGate)
        {
            dirty = [.. _dirty];
            _dirty.Clear();
            _saving = null;
        }

        if (dirty.Length == 0)
        {
            return;
        }

        try
        {
            // The SQLite stores complete synchronously; PostgreSQL does not (this runs on the thread pool or at shutdown).
            DateTimeOffset now = _time.GetUtcNow();
            if (_store is not null)
            {
                Wait(_store.SaveAsync([.. dirty.Select(a => a.Snapshot(now))], CancellationToken.None));
            }

            foreach (PoolAccount account in _cooldowns is null ? [] : dirty)
            {
                if (account.CooldownUntil is { } until && until > now)
                {
                    Wait(_cooldowns!.SetAsync(new AccountCooldown(account.Key, until, account.CooldownReason ?? "cooling_down"), CancellationToken.None));
                }
                else
                {
                    Wait(_cooldowns!.ClearAsync(account.Key, CancellationToken.None));
                }
            }
        }
        catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or TimeoutException or IOException)
        {
            Log.StateFailed(_logger, Backend, ex.Message);
        }
    }

    private static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }

    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    // Event ids 1900-1901; next free: 1902.
    private static partial class Log
    {
        [LoggerMessage(1900, LogLevel.Warning, "{Backend} account {Account} cools down for {Seconds} s ({Reason}, upstream status {Status})", EventName = "AccountCoolingDown")]
        public static partial void CoolingDown(ILogger logger, string backend, string account, string reason, long seconds, int status);

        [LoggerMessage(1901, LogLevel.Warning, "Could not read or save the {Backend} accounts' state: {Reason}", EventName = "AccountStateFailed")]
        public static partial void StateFailed(ILogger logger, string backend, string reason);
    }
}
