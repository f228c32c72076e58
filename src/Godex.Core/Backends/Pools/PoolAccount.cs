using Godex.Core.Storage;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// One account of a pool as the pool sees it: its cooldown, the usage its upstream last reported, its last error and
/// how many requests it served. Read on every routing decision without a lock (one volatile read per field); changed
/// under the account's lock by the pool.
/// </summary>
public sealed class PoolAccount
{
    private readonly Lock _gate = new();
    private long _cooldownUntilMs;
    private volatile string? _cooldownReason;
    private volatile string? _lastError;
    private volatile UsageWindow? _primary;
    private volatile UsageWindow? _secondary;
    private long _requests;

    internal PoolAccount(string backend, string name, int index)
    {
        Backend = backend;
        Name = name;
        Index = index;
    }

    /// <summary>The backend it belongs to.</summary>
    public string Backend { get; }

    /// <summary>Its name within the backend (<c>default</c> for the backend's own login).</summary>
    public string Name { get; }

    /// <summary>Its position in the pool (config order).</summary>
    public int Index { get; }

    /// <summary>When it may serve again; null when it is not cooling down.</summary>
    public DateTimeOffset? CooldownUntil
    {
        get
        {
            long until = Volatile.Read(ref _cooldownUntilMs);
            return until == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(until);
        }
    }

    /// <summary>Why it cools down.</summary>
    public string? CooldownReason => _cooldownReason;

    /// <summary>The last refusal it got, in words (never a secret).</summary>
    public string? LastError => _lastError;

    /// <summary>The shorter usage window its upstream last reported.</summary>
    public UsageWindow? Primary => _primary;

    /// <summary>The longer usage window its upstream last reported.</summary>
    public UsageWindow? Secondary => _secondary;

    /// <summary>Requests it served since the process started.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>
    /// True when it can take a request at <paramref name="nowMs"/>: no cooldown, and no reported window spent (100 %)
    /// until a reset still ahead.
    /// </summary>
    public bool CanServeAt(long nowMs)
    {
        if (Volatile.Read(ref _cooldownUntilMs) > nowMs)
        {
            return false;
        }

        return !IsSpent(_primary, nowMs) && !IsSpent(_secondary, nowMs);
    }

    /// <summary>The higher of the two windows' used percentage at <paramref name="nowMs"/> (a window past its reset counts 0).</summary>
    public double UsedPercentAt(long nowMs) => Math.Max(Used(_primary, nowMs), Used(_secondary, nowMs));

    /// <summary>When it can serve again, when it cannot now.</summary>
    public DateTimeOffset? ReturnsAt(long nowMs)
    {
        long until = Volatile.Read(ref _cooldownUntilMs);
        long best = until > nowMs ? until : 0;
        foreach (UsageWindow? window in (ReadOnlySpan<UsageWindow?>)[_primary, _secondary])
        {
            if (IsSpent(window, nowMs) && window!.ResetsAt!.Value.ToUnixTimeMilliseconds() is long reset && reset > best)
            {
                best = reset;
            }
        }

        return best == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(best);
    }

    /// <summary>Its key in the shared cooldown store (<c>codex:work</c>): names the account, never a credential.</summary>
    public string Key => Backend + ":" + Name;

    /// <summary>The state to persist beside the cooldown.</summary>
    public AccountState Snapshot(DateTimeOffset now) => new(Backend, Name, _lastError, _primary, _secondary, now);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    /// <summary>Starts (or extends) a cooldown; true when the state changed.</summary>
    internal bool CoolDown(DateTimeOffset until, string reason, string? error)
    {
        lock (_gate)
        {
            long ms = until.ToUnixTimeMilliseconds();
            bool changed = ms > _cooldownUntilMs || !string.Equals(reason, _cooldownReason, StringComparison.Ordinal);
            if (ms > _cooldownUntilMs)
            {
                Volatile.Write(ref _cooldownUntilMs, ms);
            }

            _cooldownReason = reason;
            _lastError = error ?? _lastError;
            return changed;
        }
    }

    /// <summary>Ends a cooldown (the account just served); true when there was one.</summary>
    internal bool ClearCooldown()
    {
        lock (_gate)
        {
            if (_cooldownUntilMs == 0)
            {
                return false;
            }

            Volatile.Write(ref _cooldownUntilMs, 0);
            _cooldownReason = null;
            return true;
        }
    }

    /// <summary>Takes the usage the upstream reported; true when it differs from what was known.</summary>
    internal bool Observe(UsageReading reading)
    {
        bool changed = false;
        if (reading.Primary is { } primary && primary != _primary)
        {
            _primary = primary;
            changed = true;
        }

        if (reading.Secondary is { } secondary && secondary != _secondary)
        {
            _secondary = secondary;
            changed = true;
        }

        return changed;
    }

    /// <summary>Restores the usage and last error a previous process saved.</summary>
    internal void Restore(AccountState state)
    {
        lock (_gate)
        {
            _lastError = state.LastError;
            _primary = state.Primary;
            _secondary = state.Secondary;
        }
    }

    /// <summary>Restores a cooldown a previous process (or another instance) saved.</summary>
    internal void Restore(DateTimeOffset until, string reason, long nowMs)
    {
        lock (_gate)
        {
            long ms = until.ToUnixTimeMilliseconds();
            if (ms > nowMs && ms > _cooldownUntilMs)
            {
                Volatile.Write(ref _cooldownUntilMs, ms);
                _cooldownReason = reason;
            }
        }
    }

    private static bool IsSpent(UsageWindow? window, long nowMs) =>
        window is { UsedPercent: >= 100, ResetsAt: { } reset } && reset.ToUnixTimeMilliseconds() > nowMs;

    private static double Used(UsageWindow? window, long nowMs) =>
        window is null || (window.ResetsAt is { } reset && reset.ToUnixTimeMilliseconds() <= nowMs) ? 0 : window.UsedPercent;
}
