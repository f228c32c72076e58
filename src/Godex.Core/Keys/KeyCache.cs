using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Keys;

/// <summary>What <see cref="KeyCache.Authenticate"/> found.</summary>
public enum KeyStatus
{
    Valid,
    Unknown,
    Revoked,
    Expired,
}

/// <summary>
/// The proxy's in-memory view of the key store, so authentication never touches the disk. It reloads right after
/// a change made through this process (<see cref="ReloadAsync"/>) and polls the store's version every
/// <see cref="RefreshInterval"/> for changes made elsewhere (the CLI, another instance): a limit change applies
/// within that interval, without a restart. The same poll tops up allowances whose window ended. A store that can
/// say when it changed (PostgreSQL's <c>NOTIFY godex_keys</c>) calls <see cref="NotifyChanged"/>, and the reload
/// starts at once: a key revoked on one instance is refused by every instance within milliseconds.
/// </summary>
public sealed partial class KeyCache : IAsyncDisposable
{
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly IKeyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _reload = new(1, 1);
    private Task? _poll;
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private int _dirty;

    public KeyCache(IKeyStore store, TimeProvider time, ILogger? logger = null, TimeSpan? refreshInterval = null)
    {
        _store = store;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        RefreshInterval = refreshInterval ?? DefaultRefreshInterval;
    }

    public TimeSpan RefreshInterval { get; }

    public IKeyStore Store => _store;

    /// <summary>Loads the keys and starts polling for changes.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        _poll = Task.Run(PollAsync, CancellationToken.None);
    }

    /// <summary>
    /// Hashes <paramref name="secret"/> (whatever it looks like: a stored hash is not a credential) and looks it up.
    /// The hash comparison is constant-time. With no key in the store nothing is hashed: every secret is unknown, and
    /// clients that always send one (Claude Code's <c>x-api-key</c>, the SDKs' bearer) pay nothing for it.
    /// </summary>
    public KeyStatus Authenticate(string secret, out ClientKey? key)
    {
        Snapshot snapshot = _snapshot;
        if (snapshot.ByHash.Count == 0)
        {
            key = null;
            return KeyStatus.Unknown;
        }

        string hash = _store.Hash(secret);
        if (!snapshot.ByHash.TryGetValue(hash, out key) && snapshot.HasLegacy)
        {
            hash = KeySecrets.LegacyHash(secret);
            snapshot.ByHash.TryGetValue(hash, out key);
        }

        if (key is null || !KeySecrets.HashEquals(hash, key.Hash))
        {
            key = null;
            return KeyStatus.Unknown;
        }

        if (key.IsRevoked)
        {
            return KeyStatus.Revoked;
        }

        return key.IsExpired(_time.GetUtcNow()) ? KeyStatus.Expired : KeyStatus.Valid;
    }

    /// <summary>Whether the store holds a key that is not revoked (then the proxy requires a key).</summary>
    public bool HasUsableKeys => _snapshot.HasUsable;

    /// <summary>The current record of a key (limits may have changed since it authenticated).</summary>
    public ClientKey? Get(string id) => _snapshot.ById.GetValueOrDefault(id);

    /// <summary>Re-reads every key now (after a change through this process).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            long version = await _store.GetVersionAsync(cancellationToken);
            IReadOnlyList<ClientKey> keys = await _store.ListAsync(cancellationToken);
            _snapshot = new Snapshot(
                version,
                keys.ToFrozenDictionary(k => k.Hash, StringComparer.Ordinal),
                keys.ToFrozenDictionary(k => k.Id, StringComparer.Ordinal),
                keys.Any(k => k.Hash.StartsWith(KeySecrets.LegacyPrefix, StringComparison.Ordinal)),
                keys.Any(k => !k.IsRevoked));
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>
    /// The store says it changed: reload now, in the background. Notifications that arrive during a reload coalesce
    /// into one more reload after it.
    /// </summary>
    public void NotifyChanged()
    {
        if (Interlocked.Exchange(ref _dirty, 1) == 0)
        {
            _ = Task.Run(ReloadWhileDirtyAsync, CancellationToken.None);
        }
    }

    private async Task ReloadWhileDirtyAsync()
    {
        while (Interlocked.Exchange(ref _dirty, 0) == 1)
        {
            try
            {
                await ReloadAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.PollFailed(_logger, ex); // the next poll tries again
            }
        }
    }

    /// <summary>Reloads when the store changed (after a ledger flush debited balances); for background threads.</summary>
    public void RefreshIfChanged()
    {
        if (_store.GetVersionAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() != _snapshot.Version)
        {
            ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(RefreshInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await _store.RefillAllowancesAsync(_stop.Token);
                    if (await _store.GetVersionAsync(_stop.Token) != _snapshot.Version)
                    {
                        await ReloadAsync(_stop.Token);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.PollFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_poll is not null)
        {
            await _poll;
        }

        _stop.Dispose();
        _reload.Dispose();
    }

    private sealed record Snapshot(long Version, FrozenDictionary<string, ClientKey> ByHash, FrozenDictionary<string, ClientKey> ById, bool HasLegacy, bool HasUsable)
    {
        public static readonly Snapshot Empty = new(-1, FrozenDictionary<string, ClientKey>.Empty, FrozenDictionary<string, ClientKey>.Empty, false, false);
    }

    // Next event id: 1501.
    private static partial class Log
    {
        [LoggerMessage(1500, LogLevel.Warning, "Checking the key store for changes failed; keeping the keys loaded", EventName = "KeyPollFailed")]
        public static partial void PollFailed(ILogger logger, Exception exception);
    }
}
