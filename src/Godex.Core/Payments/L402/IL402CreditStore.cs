namespace Godex.Core.Payments.L402;

/// <summary>
/// Where L402 credits live: which payment hashes were redeemed, for how much, how much is spent, and which payment has
/// a request in flight. <see cref="LocalL402CreditStore"/> keeps them in this process (persisted to SQLite when there
/// is a database); <see cref="PostgresL402CreditStore"/> shares them between instances, so a payment is redeemed
/// exactly once wherever its preimage arrives first.
/// </summary>
public interface IL402CreditStore
{
    /// <summary>Records the first redemption of a payment; true only for the call that redeemed it.</summary>
    ValueTask<bool> RedeemAsync(string paymentHash, string tokenId, long creditMsat, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a paid request: <see cref="L402StartResult.Started"/> when credit is left and no other request of this
    /// payment is in flight (this one now is, until <see cref="ChargeAsync"/>), else why not. One request in flight per
    /// payment is what bounds an overdraft to the price of one request.
    /// </summary>
    ValueTask<L402Start> BeginAsync(string paymentHash, CancellationToken cancellationToken);

    /// <summary>Charges a finished request's price and ends its in-flight mark; returns the credit left.</summary>
    ValueTask<long> ChargeAsync(string paymentHash, long msat, CancellationToken cancellationToken);

    /// <summary>The credit left, or null when the payment was never redeemed.</summary>
    ValueTask<long?> RemainingAsync(string paymentHash, CancellationToken cancellationToken);

    /// <summary>Records a payment known only to the JSONL ledger as redeemed and spent (unless the store knows it).</summary>
    ValueTask ImportSpentAsync(string paymentHash, long creditMsat, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>Whether a paid request may start.</summary>
public enum L402StartResult
{
    Started,

    /// <summary>The credit is spent: answer with a new 402 challenge.</summary>
    UsedUp,

    /// <summary>Another request paid by the same payment is in flight (on this or another instance).</summary>
    Busy,
}

/// <summary>The outcome of <see cref="IL402CreditStore.BeginAsync"/>.</summary>
public readonly record struct L402Start(L402StartResult Result, long RemainingMsat);
