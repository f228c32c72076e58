using System.Runtime.CompilerServices;
using Godex.Core.Backends.Upstream;
using Godex.Core.Conversation;
using Godex.Core.Dialects;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// A translated answer from a backend with accounts: the pooled send (<see cref="PooledSender{TCredential}"/>) read
/// through the shared <see cref="UpstreamEventStream"/>, its <see cref="ResponseStartedEvent"/> naming the account that
/// answered (one is made up front when the dialect's reader has none before its first content).
/// </summary>
internal static class PooledEventStream
{
    public static async IAsyncEnumerable<StreamEvent> ReadAsync<TCredential, TState>(
        PooledSender<TCredential> sender,
        TState state,
        Func<TState, TCredential, UpstreamRequest> build,
        string? sessionKey,
        IUpstreamStreamReader reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TCredential : class
    {
        var answered = new AnsweredBy();
        IAsyncEnumerable<StreamEvent> events = UpstreamEventStream.ReadAsync(
            static async (s, token) =>
            {
                UpstreamResponse response = await s.Sender.SendAsync(s.State, s.Build, s.SessionKey, token);
                s.Answered.Account = response.Account;
                return response;
            },
            (Sender: sender, State: state, Build: build, SessionKey: sessionKey, Answered: answered),
            reader,
            cancellationToken);
        bool started = false;
        await foreach (StreamEvent streamEvent in events)
        {
            if (!started && answered.Account is { } account && streamEvent is not StreamErrorEvent)
            {
                started = true;
                yield return streamEvent is ResponseStartedEvent upstreamStarted
                    ? upstreamStarted with { Account = account }
                    : new ResponseStartedEvent("", "") { Account = account };
                if (streamEvent is ResponseStartedEvent)
                {
                    continue;
                }
            }

            yield return streamEvent;
        }
    }

    private sealed class AnsweredBy
    {
        public string? Account { get; set; }
    }
}
