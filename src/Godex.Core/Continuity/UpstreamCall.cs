using System.Runtime.CompilerServices;
using Godex.Core.Backends;
using Godex.Core.Conversation;

namespace Godex.Core.Continuity;

/// <summary>
/// One translated backend call with what the client's dialect cannot hold kept by godex: long tool names shortened for
/// the upstream and restored in the answer (<see cref="ToolNameMap"/>), and signed reasoning of earlier tool-calling
/// turns restored from <see cref="ReasoningCache"/> and remembered from this one (<see cref="ReasoningContinuity"/>).
/// <code>
///   request ─► shorten tool names ─► restore reasoning (scope, backend, model) ─► backend
///   client  ◄─ restore tool names ◄─ remember reasoning                         ◄─ events
/// </code>
/// </summary>
public static class UpstreamCall
{
    /// <param name="backend">The routed backend.</param>
    /// <param name="request">The request with the routed model.</param>
    /// <param name="scope">The client's identity (its key id): reasoning is never restored across scopes.</param>
    /// <param name="cache">Where reasoning is kept; null to keep none (godex exec, whose own history holds it).</param>
    /// <param name="cancellationToken">The request's token.</param>
    public static IAsyncEnumerable<StreamEvent> StreamAsync(IChatBackend backend, ChatRequest request, string scope, ReasoningCache? cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(request);
        ToolNameMap names = ToolNameMap.For(request);
        ChatRequest upstream = names.Shorten(request);
        IAsyncEnumerable<StreamEvent> events;
        if (cache is null)
        {
            events = backend.StreamAsync(upstream, cancellationToken);
        }
        else
        {
            upstream = ReasoningContinuity.Restore(upstream, scope, backend.Name, cache);
            events = backend.StreamAsync(upstream, cancellationToken);
            if (MayCallTools(request))
            {
                // Only a turn that calls tools has reasoning to remember; without tools it would be one more async
                // iterator hop for every event of the answer.
                events = ReasoningContinuity.RememberAsync(events, scope, backend.Name, request.Model, cache, cancellationToken);
            }
        }

        return names.IsEmpty ? events : RestoreNamesAsync(events, names, cancellationToken);
    }

    private static bool MayCallTools(ChatRequest request) =>
        request.Tools.Count > 0 || request.HostedTools.Count > 0 || request.ProviderOnlyTools.Count > 0;

    private static async IAsyncEnumerable<StreamEvent> RestoreNamesAsync(IAsyncEnumerable<StreamEvent> events, ToolNameMap names, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (StreamEvent streamEvent in events.WithCancellation(cancellationToken))
        {
            yield return names.Restore(streamEvent);
        }
    }
}
