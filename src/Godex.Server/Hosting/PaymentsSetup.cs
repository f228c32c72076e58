using Godex.Core.Auth;
using Godex.Core.Configuration;
using Godex.Core.Payments;
using Godex.Core.Payments.L402;
using Godex.Core.Payments.Lnd;
using Godex.Core.State;
using Godex.Core.Storage;
using Godex.Server.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Hosting;

/// <summary>
/// Wires <c>proxy.payments</c>: native L402 (the macaroon key ring, the credit ledger and the LND client behind
/// <see cref="L402Gate"/>), or the original's external token-meter (<see cref="TokenMeterGate"/>). Any file or
/// setting that is missing fails startup with a message naming it.
/// </summary>
internal static class PaymentsSetup
{
    public static async Task AddAsync(IServiceCollection services, PaymentsOptions payments, GodexState? state, TimeProvider time, CancellationToken cancellationToken)
    {
        services.AddSingleton(payments);
        if (payments.TokenMeterUrl is { } tokenMeter)
        {
            if (!Uri.TryCreate(tokenMeter, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https" or "unix"))
            {
                throw new GodexStartupException($"proxy.payments.token_meter_url: expected an http(s):// or unix:///path.sock URL, got '{tokenMeter}'");
            }

            services.AddSingleton(new TokenMeterGate(url));
            return;
        }

        try
        {
            services.AddSingleton<ILightningBackend>(LndRestClient.FromOptions(payments.Lnd, time));
            MacaroonKeyRing keys = MacaroonKeyRing.Open(GodexDatabase.ExpandHome(payments.MacaroonKeyPath), time);
            services.AddSingleton(new L402Authority(keys, time));
            // The credits live with the rest of the state (shared by every instance on PostgreSQL); without a database,
            // in this process and the JSONL ledger.
            IL402CreditStore credits = state?.Credits ?? new LocalL402CreditStore(null);
            services.AddSingleton(await L402CreditLedger.OpenAsync(credits, GodexDatabase.ExpandHome(payments.RedeemedPath), time, cancellationToken));
            services.AddSingleton<L402Gate>();
        }
        catch (ConfigException ex)
        {
            throw new GodexStartupException(ex.Message, ex);
        }
        catch (CredentialException ex)
        {
            throw new GodexStartupException(ex.Message, ex);
        }
        catch (StorageException ex)
        {
            throw new GodexStartupException(ex.Message, ex);
        }
    }
}
