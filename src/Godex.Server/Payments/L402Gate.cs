using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Keys;
using Godex.Core.Payments;
using Godex.Core.Payments.L402;
using Godex.Core.Payments.Macaroons;
using Godex.Core.Storage;
using Godex.Server.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Payments;

/// <summary>
/// Native L402 for <c>Access.ClientKeyMiddleware</c> (<c>proxy.payments.enabled</c> without a token-meter URL): a
/// request without credentials, or whose paid credit is used up, gets <c>402 Payment Required</c> with a fresh
/// invoice from the Lightning node and a macaroon bound to its payment hash; a request with
/// <c>Authorization: L402 &lt;macaroon&gt;:&lt;preimage&gt;</c> is checked (<see cref="L402Authority"/>), redeemed once
/// (<see cref="L402CreditLedger"/>), served, and charged its price (<see cref="PaymentsOptions.Prices"/>).
/// </summary>
public sealed partial class L402Gate(
    PaymentsOptions options,
    L402Authority authority,
    L402CreditLedger ledger,
    ILightningBackend lightning,
    ILogger<L402Gate> logger)
{
    /// <summary>A verified, funded L402 request.</summary>
    public sealed record Session(L402Identifier Identifier, L402Grant Grant);

    /// <summary>
    /// Checks an L402 <c>Authorization</c> value, redeems its payment the first time and starts a request on its
    /// credit. A session: serve, then <see cref="ChargeAsync"/>. No session and no error: the credit is used up (answer
    /// with a new challenge). An error: a 401 naming the reason, or a 429 while another request of the same payment is
    /// in flight (one at a time per payment, on every instance: what keeps an overdraft to one request's price).
    /// </summary>
    public async ValueTask<(Session? Session, BackendError? Error)> AuthenticateAsync(string authorization, CancellationToken cancellationToken)
    {
        if (!authority.TryVerify(authorization, out L402Identifier? identifier, out L402Grant? grant, out string? reason))
        {
            Log.Rejected(logger, reason);
            return (null, new BackendError(StatusCodes.Status401Unauthorized, BackendErrorTypes.Authentication, "L402: " + reason) { Code = "invalid_l402_token" });
        }

        L402Redemption redemption = await ledger.RedeemAsync(identifier, grant.CreditMsat, cancellationToken);
        if (redemption.Redeemed)
        {
            Log.Redeemed(logger, identifier.KeyId, grant.CreditMsat);
        }

        return redemption.Start.Result switch
        {
            L402StartResult.Started => (new Session(identifier, grant), null),
            L402StartResult.Busy => (null, new BackendError(StatusCodes.Status429TooManyRequests, BackendErrorTypes.RateLimit, "L402: another request paid with this token is in flight; send one at a time per token. Retry after 1 s.") { Code = "l402_request_in_flight" }),
            _ => (null, null),
        };
    }

    /// <summary>The synthetic key an L402 request runs as: its ledger id and the models its caveats allow.</summary>
    public static ClientKey KeyOf(Session session) => new()
    {
        Id = session.Identifier.KeyId,
        Label = "l402",
        Hash = "",
        Models = session.Grant.Models,
        ExpiresAt = session.Grant.ValidUntil,
    };

    /// <summary>Charges a served request's price against its payment's credit (and ends the request's in-flight mark).</summary>
    public async Task ChargeAsync(Session session, RequestUsage usage)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(usage);
        Usage tokens = usage.Final;
        long cost = PriceOf(usage.Model).CostMsat(tokens.InputTokens, tokens.OutputTokens);
        try
        {
            // Not the request's token: a client that went away is still charged.
            long remaining = await ledger.ChargeAsync(session.Identifier, cost, CancellationToken.None);
            Log.Charged(logger, session.Identifier.KeyId, cost, remaining);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or StorageException or IOException or TimeoutException)
        {
            // With SQLite the in-memory balance is already charged and only its copy on disk is behind; with PostgreSQL
            // the charge is lost (in the payer's favour) and the in-flight mark ends when this instance stops.
            Log.ChargeNotSaved(logger, session.Identifier.KeyId, cost, ex);
        }
    }

    /// <summary>The price of <paramref name="model"/>: the first matching pattern, else the default.</summary>
    public L402Price PriceOf(string model)
    {
        foreach ((string pattern, L402Price price) in options.Prices)
        {
            if (ModelPattern.Matches(pattern, model))
            {
                return price;
            }
        }

        return options.DefaultPrice;
    }

    /// <summary>Answers 402 with a new invoice and macaroon (or 503 when the Lightning node cannot issue one).</summary>
    public async Task ChallengeAsync(HttpContext context, string why)
    {
        ArgumentNullException.ThrowIfNull(context);
        LightningInvoice invoice;
        try
        {
            invoice = await lightning.CreateInvoiceAsync(options.InvoiceSat, "godex API credit", options.InvoiceExpiry, context.RequestAborted);
        }
        catch (LightningException ex)
        {
            Log.InvoiceFailed(logger, ex.Message);
            var unavailable = new BackendError(StatusCodes.Status503ServiceUnavailable, BackendErrorTypes.Overloaded, "Payments are unavailable: the Lightning node could not issue an invoice. Retry later.");
            context.Response.Headers.RetryAfter = "5";
            await ErrorResponses.WriteForPathAsync(context, unavailable);
            return;
        }

        Macaroon macaroon = authority.Mint(invoice.PaymentHash, options.InvoiceSat * 1000, options.TokenLifetime, []);
        string encoded = MacaroonCodec.EncodeBase64(macaroon);
        context.Response.Headers.WWWAuthenticate = new Microsoft.Extensions.Primitives.StringValues(
        [
            $"L402 macaroon=\"{encoded}\", invoice=\"{invoice.PaymentRequest}\"",
            $"LSAT macaroon=\"{encoded}\", invoice=\"{invoice.PaymentRequest}\"",
        ]);
        Log.Challenged(logger, context.Request.Path, options.InvoiceSat);
        var error = new BackendError(
            StatusCodes.Status402PaymentRequired,
            BackendErrorTypes.Billing,
            $"Payment required: {why}. Pay the Lightning invoice in the WWW-Authenticate header ({options.InvoiceSat} sat buys {options.InvoiceSat * 1000} msat of credit, prices at GET /v1/pricing), then retry with 'Authorization: L402 <macaroon>:<preimage hex>'.")
        {
            Code = "payment_required",
        };
        await ErrorResponses.WriteForPathAsync(context, error);
    }

    // Next event id: 1806.
    private static partial class Log
    {
        [LoggerMessage(1800, LogLevel.Information, "L402 credential rejected: {Reason}", EventName = "L402Rejected")]
        public static partial void Rejected(ILogger logger, string reason);

        [LoggerMessage(1801, LogLevel.Information, "L402 payment redeemed by {KeyId}: {CreditMsat} msat of credit", EventName = "L402Redeemed")]
        public static partial void Redeemed(ILogger logger, string keyId, long creditMsat);

        [LoggerMessage(1802, LogLevel.Debug, "L402 {KeyId} charged {CostMsat} msat, {RemainingMsat} msat left", EventName = "L402Charged")]
        public static partial void Charged(ILogger logger, string keyId, long costMsat, long remainingMsat);

        [LoggerMessage(1803, LogLevel.Information, "402 challenge for {Path}: invoice of {Sat} sat", EventName = "L402Challenged")]
        public static partial void Challenged(ILogger logger, PathString path, long sat);

        [LoggerMessage(1804, LogLevel.Warning, "The Lightning node could not issue an invoice: {Message}", EventName = "L402InvoiceFailed")]
        public static partial void InvoiceFailed(ILogger logger, string message);

        [LoggerMessage(1805, LogLevel.Error, "L402 {KeyId}: a charge of {CostMsat} msat could not be saved", EventName = "L402ChargeNotSaved")]
        public static partial void ChargeNotSaved(ILogger logger, string keyId, long costMsat, Exception exception);
    }
}
