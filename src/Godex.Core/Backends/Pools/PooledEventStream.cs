using Godex.Core.Backends.Upstream;
using Godex.Core.Conversation;
using Godex.Core.Dialects;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// A translated answer from a backend with accounts: the pooled send (<see cref="PooledSender{TCredential}"/>) read
/// through the shared <see cref="UpstreamEventStream"/>, which names the account that answered in its
/// <see cref="ResponseStartedEvent"/>.
/// </summary>
internal static class PooledEventStream
{
    public static IAsyncEnumerable<StreamEvent> ReadAsync<TCredential, TState>(
        PooledSender<TCredential> sender,
        TState state,
        Func<TState, TCredential, UpstreamRequest> build,
        ChatRequest conversation,
        IUpstreamStreamReader reader,
        CancellationToken cancellationToken)
        where TCredential : class =>
        UpstreamEventStream.ReadAsync(
            static (s, token) => s.Sender.SendAsync(s.State, s.Build, s.SessionKey, token),
            (Sender: sender, State: state, Build: build, SessionKey: SessionKeys.Of(sender.Pool, conversation)),
            reader,
            cancellationToken);
}
