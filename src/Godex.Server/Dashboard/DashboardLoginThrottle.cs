using System.Collections.Concurrent;
using System.Net;

namespace Godex.Server.Dashboard;

/// <summary>
/// Failed dashboard logins per client address: after <see cref="MaxFailures"/> wrong keys within
/// <see cref="Window"/> that address is refused (429 with <c>Retry-After</c>) until the window ends, right key or not,
/// so guessing the admin key is bounded to a few tries a minute per address. Another address is not affected, and a
/// success forgets its own address's failures. Bounded: at most <see cref="MaxAddresses"/> addresses are tracked.
/// </summary>
internal sealed class DashboardLoginThrottle(TimeProvider time)
{
    /// <summary>Wrong keys an address may send per <see cref="Window"/>.</summary>
    public const int MaxFailures = 5;

    /// <summary>The window the failures are counted in, from the first one.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>More addresses than this and the expired ones are dropped, then the oldest.</summary>
    public const int MaxAddresses = 4096;

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="address"/> must wait before it may try again; null when it may try now.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        if (!_failures.TryGetValue(Key(address), out Failures? failures))
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        lock (failures)
        {
            TimeSpan left = failures.Start + Window - now;
            return failures.Count >= MaxFailures && left > TimeSpan.Zero ? left : null;
        }
    }

    /// <summary>Counts a wrong key from <paramref name="address"/>.</summary>
    public void Failed(IPAddress? address)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (_failures.Count >= MaxAddresses)
        {
            Prune(now);
        }

        Failures failures = _failures.GetOrAdd(Key(address), static (_, start) => new Failures { Start = start }, now);
        lock (failures)
        {
            if (now - failures.Start >= Window)
            {
                failures.Start = now;
                failures.Count = 0;
            }

            failures.Count++;
        }
    }

    /// <summary>A right key from <paramref name="address"/>: its failures are forgotten.</summary>
    public void Succeeded(IPAddress? address) => _failures.TryRemove(Key(address), out _);

    /// <summary>The Unix socket has no address: its callers share one entry (the socket's mode is their access anyway).</summary>
    private static string Key(IPAddress? address) => address is null ? "local" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private void Prune(DateTimeOffset now)
    {
        foreach ((string key, Failures failures) in _failures)
        {
            if (now - failures.Start >= Window)
            {
                _failures.TryRemove(key, out _);
            }
        }

        if (_failures.Count >= MaxAddresses)
        {
            foreach (string oldest in _failures.OrderBy(p => p.Value.Start).Take(_failures.Count - MaxAddresses + 1).Select(p => p.Key))
            {
                _failures.TryRemove(oldest, out _);
            }
        }
    }

    private sealed class Failures
    {
        public DateTimeOffset Start { get; set; }

        public int Count { get; set; }
    }
}
