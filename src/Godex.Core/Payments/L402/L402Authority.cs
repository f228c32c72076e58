using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using Godex.Core.Payments.Macaroons;

namespace Godex.Core.Payments.L402;

/// <summary>
/// Mints L402 macaroons and checks L402 credentials (<c>Authorization: L402 &lt;macaroon&gt;:&lt;preimage hex&gt;</c>, or
/// the legacy <c>LSAT</c> scheme): the HMAC chain under one of the active root keys, every caveat, and that the
/// preimage hashes to the payment hash bound in the identifier — proof that the invoice was paid, with no call to
/// the Lightning node. Whether the payment's credit is left is the <see cref="L402CreditLedger"/>'s business.
/// </summary>
public sealed class L402Authority(MacaroonKeyRing keys, TimeProvider time)
{
    public const string Location = "godex";

    /// <summary>A macaroon for the invoice with <paramref name="paymentHash"/>, worth <paramref name="creditMsat"/>.</summary>
    public Macaroon Mint(byte[] paymentHash, long creditMsat, TimeSpan lifetime, IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(paymentHash);
        ArgumentNullException.ThrowIfNull(models);
        var identifier = new L402Identifier(paymentHash, RandomNumberGenerator.GetBytes(32));
        Macaroon macaroon = Macaroon.Mint(keys.Current.Key, identifier.Encode(), Location);
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.Services, L402Caveats.ServiceValue));
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.ValidUntil, time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds()));
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.CreditMsat, creditMsat));
        if (models.Count > 0)
        {
            macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.Models, string.Join(',', models)));
        }

        return macaroon;
    }

    /// <summary>Whether an <c>Authorization</c> value uses the L402 (or LSAT) scheme.</summary>
    public static bool IsL402(string? authorization) =>
        authorization is not null
        && (authorization.StartsWith("L402 ", StringComparison.OrdinalIgnoreCase) || authorization.StartsWith("LSAT ", StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks an L402 credential; on failure, <paramref name="error"/> says why in words a client can act on.</summary>
    public bool TryVerify(string authorization, [NotNullWhen(true)] out L402Identifier? identifier, [NotNullWhen(true)] out L402Grant? grant, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        identifier = null;
        grant = null;
        string token = authorization[5..].Trim();
        int colon = token.LastIndexOf(':');
        if (colon <= 0 || colon == token.Length - 1)
        {
            error = "malformed L402 credential: expected 'L402 <macaroon base64>:<preimage hex>'";
            return false;
        }

        if (!MacaroonCodec.TryDecodeBase64(token[..colon], out Macaroon? macaroon, out error))
        {
            error = "malformed L402 macaroon: " + error;
            return false;
        }

        if (!L402Identifier.TryDecode(macaroon.Identifier, out identifier))
        {
            error = "the macaroon is not an L402 token (unknown identifier format)";
            return false;
        }

        if (!keys.Active.Any(k => macaroon.HasValidSignature(k.Key)))
        {
            error = "the macaroon's signature is invalid: it was altered, or its root key was retired";
            return false;
        }

        byte[] preimage;
        try
        {
            preimage = Convert.FromHexString(token[(colon + 1)..]);
        }
        catch (FormatException)
        {
            error = "the preimage is not hex";
            return false;
        }

        if (preimage.Length != 32 || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(preimage), identifier.PaymentHash))
        {
            error = "the preimage does not match the token's payment hash: pay the invoice and send its preimage";
            return false;
        }

        return TryCheckCaveats(macaroon, out grant, out error);
    }

    private bool TryCheckCaveats(Macaroon macaroon, [NotNullWhen(true)] out L402Grant? grant, [NotNullWhen(false)] out string? error)
    {
        grant = null;
        bool service = false;
        long? credit = null;
        DateTimeOffset? validUntil = null;
        IReadOnlyList<string>? models = null;
        foreach (MacaroonCaveat caveat in macaroon.Caveats)
        {
            string predicate = caveat.Predicate;
            int equals = predicate.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? predicate : predicate[..equals].Trim();
            string value = equals < 0 ? "" : predicate[(equals + 1)..].Trim();
            switch (name)
            {
                case L402Caveats.Services:
                    if (!value.Split(',').Any(s => s.Trim().StartsWith("godex:", StringComparison.Ordinal)))
                    {
                        error = $"the token is for another service ({value})";
                        return false;
                    }

                    service = true;
                    break;
                case L402Caveats.ValidUntil when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds):
                    DateTimeOffset until = DateTimeOffset.FromUnixTimeSeconds(seconds);
                    validUntil = validUntil is { } earlier && earlier < until ? earlier : until;
                    break;
                case L402Caveats.CreditMsat when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long msat):
                    credit = credit is { } smaller ? Math.Min(smaller, msat) : msat;
                    break;
                case L402Caveats.Models when value.Length > 0:
                    string[] patterns = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    models = models is null ? patterns : [.. models.Where(m => patterns.Contains(m, StringComparer.OrdinalIgnoreCase))];
                    break;
                default:
                    error = $"unknown or malformed caveat '{predicate}'";
                    return false;
            }
        }

        if (!service || credit is null || validUntil is null)
        {
            error = "the token lacks the services, credit or expiry caveat godex mints";
            return false;
        }

        if (validUntil <= time.GetUtcNow())
        {
            error = $"the token expired at {validUntil:O}; pay a new invoice";
            return false;
        }

        grant = new L402Grant(credit.Value, validUntil.Value, models ?? []);
        error = null;
        return true;
    }
}
