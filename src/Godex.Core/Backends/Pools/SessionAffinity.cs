using System.Collections.Concurrent;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// Conversation → account bindings of one pool, so that a conversation's prompt cache and its account-bound encrypted
/// reasoning stay valid. A binding lives <see cref="Ttl"/> after its last use; the table holds at most
/// <see cref="MaxEntries"/> (the stale ones go first, then the oldest half).
/// </summary>
internal sealed class SessionAffinity(TimeSpan ttl)
{
    public const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, Binding> _bindings = new(StringComparer.Ordinal);
    private int _sweeping;

    public TimeSpan Ttl { get; } = ttl;

    public int Count => _bindings.Count;

    /// <summary>The account index bound to <paramref name="key"/>, when the binding is still fresh at <paramref name="nowMs"/>.</summary>
    public bool TryGet(string key, long nowMs, out int index)
    {
        if (_bindings.TryGetValue(key, out Binding? binding) && nowMs - Volatile.Read(ref binding.LastUsedMs) <= (long)Ttl.TotalMilliseconds)
        {
            index = binding.Index;
            return true;
        }

        index = -1;
        return false;
    }

    /// <summary>Binds (or re-binds) <paramref name="key"/> to <paramref name="index"/>, refreshing its age.</summary>
    public void Bind(string key, int index, long nowMs)
    {
        if (_bindings.TryGetValue(key, out Binding? existing) && existing.Index == index)
        {
            Volatile.Write(ref existing.LastUsedMs, nowMs);
            return;
        }

        _bindings[key] = new Binding(index, nowMs);
        if (_bindings.Count > MaxEntries && Interlocked.Exchange(ref _sweeping, 1) == 0)
        {
            try
            {
                Sweep(nowMs);
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        }
    }

    private void Sweep(long nowMs)
    {
        long ttl = (long)Ttl.TotalMilliseconds;
        foreach ((string key, Binding binding) in _bindings)
        {
            if (nowMs - binding.LastUsedMs > ttl)
            {
                _bindings.TryRemove(key, out _);
            }
        }

        if (_bindings.Count > MaxEntries)
        {
            long[] ages = [.. _bindings.Values.Select(b => b.LastUsedMs)];
            Array.Sort(ages);
            long cutoff = ages[ages.Length / 2];
            foreach ((string key, Binding binding) in _bindings)
            {
                if (binding.LastUsedMs <= cutoff)
                {
                    _bindings.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed class Binding(int index, long lastUsedMs)
    {
        public readonly int Index = index;
        public long LastUsedMs = lastUsedMs;
    }
}
