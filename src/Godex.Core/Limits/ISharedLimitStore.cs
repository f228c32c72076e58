namespace Godex.Core.Limits;

/// <summary>
/// Limit state that several godex instances share (PostgreSQL: <see cref="PostgresSharedLimitStore"/>), so a key's
/// rate and concurrency caps hold in total, not per instance. <see cref="KeyLimiter"/> leases rate tokens from it in
/// small batches (no round trip while a lease lasts) and takes a concurrency slot per request of a capped key.
/// </summary>
public interface ISharedLimitStore
{
    /// <summary>
    /// Takes up to <paramref name="want"/> whole tokens from the key's shared bucket, refilled at
    /// <paramref name="perSecond"/> up to <paramref name="capacity"/> first; returns how many were granted and the
    /// tokens left in the bucket after.
    /// </summary>
    ValueTask<(int Granted, double Level)> TakeTokensAsync(string keyId, double perSecond, int capacity, int want, CancellationToken cancellationToken);

    /// <summary>Gives back leased tokens this instance did not use (capped at the bucket's capacity).</summary>
    ValueTask ReturnTokensAsync(string keyId, int capacity, int tokens, CancellationToken cancellationToken);

    /// <summary>Takes one of the key's <paramref name="max"/> concurrency slots across live instances; false when all are taken.</summary>
    ValueTask<bool> TryAcquireSlotAsync(string keyId, int max, CancellationToken cancellationToken);

    /// <summary>Gives back one slot this instance took.</summary>
    ValueTask ReleaseSlotAsync(string keyId, CancellationToken cancellationToken);
}
