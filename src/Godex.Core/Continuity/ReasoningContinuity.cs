using System.Runtime.CompilerServices;
using Godex.Core.Conversation;

namespace Godex.Core.Continuity;

/// <summary>
/// Keeps a model's signed reasoning attached to its tool calls across turns when the client's dialect lost it:
/// <see cref="RememberAsync"/> notes the reasoning of a turn that called tools, <see cref="Restore"/> puts it back in
/// front of those calls when the client sends them in a later request without it. Only opaque reasoning (an
/// Anthropic signature or redacted data, a Responses encrypted content) is kept: it is what the upstream verifies.
/// A restore needs the same scope, backend and model as the turn that made the reasoning.
/// </summary>
public static class ReasoningContinuity
{
    /// <summary>
    /// The request with reasoning restored in each assistant message that has tool calls and no opaque reasoning of
    /// its own, where the cache knows its first call; unchanged otherwise (same instance).
    /// </summary>
    public static ChatRequest Restore(ChatRequest request, string scope, string backend, ReasoningCache cache)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cache);
        List<ChatMessage>? messages = null;
        for (int i = 0; i < request.Messages.Count; i++)
        {
            ChatMessage message = request.Messages[i];
            if (message.Role != ChatRole.Assistant || message.Parts.Any(IsOpaque)
                || message.Parts.FirstOrDefault(p => p is ToolCallPart) is not ToolCallPart first
                || cache.Find(scope, first.CallId) is not { } cached
                || cached.Backend != backend || cached.Model != request.Model)
            {
                continue;
            }

            messages ??= [.. request.Messages];
            messages[i] = message with { Parts = Insert(message.Parts, cached.Reasoning, first.CallId) };
        }

        return messages is null ? request : request with { Messages = messages };
    }

    /// <summary>
    /// Passes <paramref name="events"/> through unchanged and, when the turn completes with tool calls, remembers its
    /// opaque reasoning under their ids.
    /// </summary>
    public static async IAsyncEnumerable<StreamEvent> RememberAsync(
        IAsyncEnumerable<StreamEvent> events,
        string scope,
        string backend,
        string model,
        ReasoningCache cache,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);

        // Made on first use: most turns have no opaque reasoning and call no tool.
        List<ReasoningPart>? pending = null;
        List<AnchoredReasoning>? anchored = null;
        List<string>? callIds = null;
        await foreach (StreamEvent streamEvent in events.WithCancellation(cancellationToken))
        {
            switch (streamEvent)
            {
                case ReasoningCompletedEvent { Reasoning: var reasoning } when IsOpaque(reasoning):
                    (pending ??= []).Add(reasoning);
                    break;
                case ToolCallStartedEvent started:
                    Anchor(pending, ref anchored, started.CallId);
                    (callIds ??= []).Add(started.CallId);
                    break;
                case ResponseCompletedEvent:
                    Anchor(pending, ref anchored, null);
                    if (anchored is not null && callIds is not null)
                    {
                        cache.Remember(scope, backend, model, anchored, callIds);
                    }

                    break;
            }

            yield return streamEvent;
        }
    }

    /// <summary>Moves the reasoning that came since the last call into <paramref name="anchored"/>, before <paramref name="callId"/>.</summary>
    private static void Anchor(List<ReasoningPart>? pending, ref List<AnchoredReasoning>? anchored, string? callId)
    {
        if (pending is not { Count: > 0 })
        {
            return;
        }

        anchored ??= [];
        foreach (ReasoningPart reasoning in pending)
        {
            anchored.Add(new AnchoredReasoning(reasoning, callId));
        }

        pending.Clear();
    }

    private static bool IsOpaque(ContentPart part) =>
        part is ReasoningPart r && (!string.IsNullOrEmpty(r.Signature) || !string.IsNullOrEmpty(r.RedactedData) || !string.IsNullOrEmpty(r.EncryptedContent));

    /// <summary>
    /// The blocks that came before the first call go first in the message (the API wants an assistant turn to start
    /// with its thinking); a block that came before a later call (interleaved thinking) goes right before that call.
    /// Blocks that followed every call are left out: a turn may not end with thinking.
    /// </summary>
    private static List<ContentPart> Insert(IReadOnlyList<ContentPart> parts, IReadOnlyList<AnchoredReasoning> reasoning, string firstCallId)
    {
        var result = new List<ContentPart>(parts.Count + reasoning.Count);
        result.AddRange(reasoning.Where(r => r.BeforeCallId == firstCallId).Select(r => r.Reasoning));
        foreach (ContentPart part in parts)
        {
            if (part is ToolCallPart call && call.CallId != firstCallId)
            {
                result.AddRange(reasoning.Where(r => r.BeforeCallId == call.CallId).Select(r => r.Reasoning));
            }

            result.Add(part);
        }

        return result;
    }
}
