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

    // Counted here: ConcurrentDictionary.Count takes every lock of the table (up to 1,024 once it has grown), which
    // cost a new conversation ~26 µs in AccountPoolBenchmarks.
    private int _count;

    public TimeSpan Ttl { get; } = ttl;

    public int Count => Volatile.Read(ref _count);

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

        if (existing is not null || !_bindings.TryAdd(key, new Binding(index, nowMs)))
        {
            // Re-bound to another account (or bound by a concurrent turn): the count does not change.
            _bindings[key] = new Binding(index, nowMs);
            return;
        }

        if (Interlocked.Increment(ref _count) > MaxEntries && Interlocked.Exchange(ref _sweeping, 1) == 0)
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
                Remove(key);
            }
        }

        if (Count > MaxEntries)
        {
            long[] ages = [.. _bindings.Values.Select(b => b.LastUsedMs)];
            Array.Sort(ages);
            long cutoff = ages[ages.Length / 2];
            foreach ((string key, Binding binding) in _bindings)
            {
                if (binding.LastUsedMs <= cutoff)
                {
                    Remove(key);
                }
            }
        }
    }

    private void Remove(string key)
    {
        if (_bindings.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private sealed class Binding(int index, long lastUsedMs)
    {
        public readonly int Index = index;
        public long LastUsedMs = lastUsedMs;
    }
}
