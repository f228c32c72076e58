using System.Globalization;
using Godex.Core.Conversation;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// What names a conversation, so that all its turns go to one account (its prompt cache hits, and reasoning encrypted
/// for that account stays readable): the client's session id (Codex <c>prompt_cache_key</c>, mirrored in its
/// <c>session-id</c> header), then Claude Code's <c>metadata.user_id</c> (it carries the session id), else a hash of
/// the conversation's start — its instructions and first user message, which every later turn repeats, so a
/// <c>previous_response_id</c> chain that godex expands keeps its account too.
/// </summary>
public static class SessionKeys
{
    /// <summary>The key of a translated request to <paramref name="pool"/>; null for a pool of one, which has no choice to make.</summary>
    public static string? Of(AccountPool pool, ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return pool.Accounts.Count < 2 ? null : Of(request);
    }

    /// <summary>The key of a translated request.</summary>
    public static string Of(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        // "godex-…" keys are godex's own hash of system + tools (MessagesRequestReader): the same for every conversation
        // of one client, so they do not name a conversation.
        if (!string.IsNullOrEmpty(request.PromptCacheKey) && !request.PromptCacheKey.StartsWith("godex-", StringComparison.Ordinal))
        {
            return "s:" + request.PromptCacheKey;
        }

        if (!string.IsNullOrEmpty(request.User))
        {
            return "u:" + request.User;
        }

        var hash = new HashCode();
        bool user = false;
        foreach (ChatMessage message in request.Messages)
        {
            if (message.Role.IsInstruction || !user)
            {
                hash.Add(message.Role.Value, StringComparer.Ordinal);
                hash.Add(message.Text, StringComparer.Ordinal);
            }

            user |= message.Role == ChatRole.User;
            if (user && !message.Role.IsInstruction)
            {
                break;
            }
        }

        return "h:" + hash.ToHashCode().ToString("x8", CultureInfo.InvariantCulture);
    }

    /// <summary>A key from a session id a client sent, or from the raw bytes of a conversation's start.</summary>
    public static string? Of(string? sessionId, ReadOnlySpan<byte> conversationStart)
    {
        if (!string.IsNullOrEmpty(sessionId))
        {
            return "s:" + sessionId;
        }

        if (conversationStart.IsEmpty)
        {
            return null;
        }

        var hash = new HashCode();
        hash.AddBytes(conversationStart.Length > 64 * 1024 ? conversationStart[..(64 * 1024)] : conversationStart);
        return "h:" + hash.ToHashCode().ToString("x8", CultureInfo.InvariantCulture);
    }
}
