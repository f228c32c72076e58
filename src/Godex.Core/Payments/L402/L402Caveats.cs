using System.Globalization;

namespace Godex.Core.Payments.L402;

/// <summary>
/// The first-party caveats godex mints and understands, in aperture's <c>name=value</c> style. A macaroon is valid
/// only if every caveat is known and satisfied; a holder can add caveats to narrow a token (a shorter expiry, fewer
/// models, a smaller credit) and the narrowest one wins, but never widen it.
/// <list type="table">
/// <item><term><c>services=godex:0</c></term><description>the service (and tier) the token is for</description></item>
/// <item><term><c>godex_valid_until=&lt;unix seconds&gt;</c></term><description>expiry</description></item>
/// <item><term><c>godex_credit_msat=&lt;n&gt;</c></term><description>what the payment bought, in millisatoshis</description></item>
/// <item><term><c>godex_models=&lt;pattern,...&gt;</c></term><description>the models it may use (<c>*</c> wildcards)</description></item>
/// </list>
/// </summary>
public static class L402Caveats
{
    public const string Services = "services";
    public const string ServiceValue = "godex:0";
    public const string ValidUntil = "godex_valid_until";
    public const string CreditMsat = "godex_credit_msat";
    public const string Models = "godex_models";

    public static string Caveat(string name, string value) => name + "=" + value;

    public static string Caveat(string name, long value) => name + "=" + value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a token's caveats grant, once all of them are satisfied.</summary>
public sealed record L402Grant(long CreditMsat, DateTimeOffset ValidUntil, IReadOnlyList<string> Models);
