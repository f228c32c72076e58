namespace Godex.Core.Payments;

/// <summary>
/// A Lightning node as L402 needs it: issue an invoice, look one up. The real implementation speaks LND's REST API;
/// tests use an LND-REST-compatible simulator, never an in-process fake of this interface.
/// </summary>
public interface ILightningBackend
{
    /// <summary>Creates an invoice for <paramref name="amountSat"/> that expires after <paramref name="expiry"/>.</summary>
    Task<LightningInvoice> CreateInvoiceAsync(long amountSat, string memo, TimeSpan expiry, CancellationToken cancellationToken);

    /// <summary>The invoice's state, by its 32-byte payment hash; null when the node does not know it.</summary>
    Task<LightningInvoiceStatus?> LookupInvoiceAsync(ReadOnlyMemory<byte> paymentHash, CancellationToken cancellationToken);
}

/// <summary>An invoice the node issued: the BOLT11 payment request and the hash the payer's preimage must match.</summary>
public sealed record LightningInvoice(byte[] PaymentHash, string PaymentRequest, long AmountSat, DateTimeOffset ExpiresAt);

/// <summary>Where an invoice stands.</summary>
public enum LightningInvoiceState
{
    Open,
    Settled,
    Canceled,
    Accepted,
}

/// <summary>An invoice's state as the node reports it.</summary>
public sealed record LightningInvoiceStatus(LightningInvoiceState State, long AmountPaidSat, DateTimeOffset? SettledAt);

/// <summary>The Lightning node failed (unreachable, refused our macaroon, answered nonsense): no invoice this time.</summary>
public sealed class LightningException(string message, Exception? inner = null) : Exception(message, inner);
