namespace Godex.Core.Keys;

/// <summary>
/// Where client keys live. <see cref="SqliteKeyStore"/> is the default; a PostgreSQL one can implement the same
/// contract for several godex instances. Every write is durable when the call returns and bumps
/// <see cref="GetVersionAsync"/>, which running proxies poll to pick the change up without a restart.
/// Arguments named <c>idOrSecret</c> accept a key id (<c>key_...</c>) or the secret itself.
/// </summary>
public interface IKeyStore
{
    /// <summary>Hashes a presented secret the way this store stores it (never returns the secret).</summary>
    string Hash(string secret);

    ValueTask<IssuedClientKey> CreateAsync(NewClientKey key, CancellationToken cancellationToken);

    /// <summary>Adds a key whose hash is already known (import); false when the id or hash exists already.</summary>
    ValueTask<bool> ImportAsync(ClientKey key, CancellationToken cancellationToken);

    ValueTask<ClientKey?> FindAsync(string idOrSecret, CancellationToken cancellationToken);

    /// <summary>Every key, revoked and expired ones included, oldest first.</summary>
    ValueTask<IReadOnlyList<ClientKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Applies only the properties <paramref name="update"/> sets; null when the key does not exist.</summary>
    ValueTask<ClientKey?> UpdateAsync(string idOrSecret, ClientKeyUpdate update, CancellationToken cancellationToken);

    ValueTask<ClientKey?> RevokeAsync(string idOrSecret, CancellationToken cancellationToken);

    /// <summary>A new secret for the same id (its limits and usage history stay); the old secret stops working.</summary>
    ValueTask<IssuedClientKey?> RotateAsync(string idOrSecret, CancellationToken cancellationToken);

    /// <summary>Sets the allowance (balance topped up to it every <paramref name="duration"/>) and the balance to it.</summary>
    ValueTask<ClientKey?> SetAllowanceAsync(string idOrSecret, long allowance, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Adds (or with a negative number removes) tokens from the balance.</summary>
    ValueTask<ClientKey?> AddTokensAsync(string idOrSecret, long tokens, CancellationToken cancellationToken);

    /// <summary>Usage before now stops counting for this key only (quota and totals); the ledger rows stay.</summary>
    ValueTask<ClientKey?> ResetUsageAsync(string idOrSecret, CancellationToken cancellationToken);

    /// <summary>Tops up balances whose allowance window has ended (balance = max(balance, allowance)); returns how many.</summary>
    ValueTask<int> RefillAllowancesAsync(CancellationToken cancellationToken);

    /// <summary>A number that changes whenever any key changes.</summary>
    ValueTask<long> GetVersionAsync(CancellationToken cancellationToken);
}
