using Godex.Core.Backends.Upstream;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// The send path of a backend with accounts: the pool (<see cref="AccountPool"/>) picks the account, that account's
/// <see cref="UpstreamSender{TCredential}"/> (its own login and refresh, the shared HTTP client) sends, and a refusal
/// the pool blames on the account sends the same request on the next one — before any byte reached the client, so
/// the client never sees it.
/// </summary>
/// <remarks>
/// While another account can take the request, an attempt is sent without the send path's own retries: failing over
/// at once beats waiting on a spent account. The last account tried gets them as usual, so a pool of one behaves as a
/// backend without accounts.
/// </remarks>
public sealed class PooledSender<TCredential>
    where TCredential : class
{
    private readonly UpstreamSender<TCredential>[] _senders;

    /// <param name="pool">The accounts and their state.</param>
    /// <param name="senders">One sender per account, in the pool's order (each over a profile bound to that account's login).</param>
    public PooledSender(AccountPool pool, IReadOnlyList<UpstreamSender<TCredential>> senders)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(senders);
        if (senders.Count != pool.Accounts.Count)
        {
            throw new ArgumentException("one sender per account", nameof(senders));
        }

        Pool = pool;
        _senders = [.. senders];
    }

    /// <summary>The accounts.</summary>
    public AccountPool Pool { get; }

    /// <summary>
    /// Sends the request <paramref name="build"/> makes for an account's login (a body may depend on the login's kind),
    /// failing over as the pool decides. Never throws for an upstream failure; the result names the account
    /// (<see cref="UpstreamResponse.Account"/>). <paramref name="sessionKey"/> keeps a conversation on its account.
    /// </summary>
    public async Task<UpstreamResponse> SendAsync<TState>(
        TState state, Func<TState, TCredential, UpstreamRequest> build, string? sessionKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        UpstreamResponse? last = null;
        ulong tried = 0;
        for (int attempt = 0; attempt < Pool.MaxTries; attempt++)
        {
            PoolAccount? account = Pool.Choose(sessionKey, tried);
            if (account is null)
            {
                break;
            }

            tried |= 1UL << account.Index;
            UpstreamSender<TCredential> sender = _senders[account.Index];
            (TCredential? credential, UpstreamResponse? refusal) = await sender.GetCredentialAsync(cancellationToken);
            UpstreamResponse response;
            if (credential is null)
            {
                response = refusal!;
            }
            else
            {
                UpstreamRequest request = build(state, credential);
                bool another = attempt + 1 < Pool.MaxTries && Pool.HasUntried(tried);
                response = await sender.SendAsync(another ? request with { RetryMax = 0 } : request, credential, cancellationToken);
            }

            response.Account = account.Name;
            if (response.Error is null)
            {
                last?.Dispose();
                Pool.ReportSuccess(account, response);
                return response;
            }

            bool failover = Pool.ReportRefusal(account, response);
            last?.Dispose();
            last = response;
            if (!failover)
            {
                return response;
            }

            if (attempt + 1 < Pool.MaxTries && Pool.HasUntried(tried))
            {
                (UpstreamObserver.Current ?? sender.Observer)?.FailedOver(Pool.Backend, account.Name, account.CooldownReason ?? "refused");
            }
        }

        return last ?? UpstreamResponse.Refused(Pool.ExhaustedError(), _senders[0].Profile.DisplayName);
    }
}
