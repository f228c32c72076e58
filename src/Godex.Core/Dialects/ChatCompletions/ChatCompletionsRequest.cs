using Godex.Core.Conversation;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// A parsed <c>POST /v1/chat/completions</c> body: the canonical request plus the chat-only settings that shape the
/// response rather than the model call.
/// </summary>
/// <param name="Request">The canonical request; <see cref="ChatRequest.Model"/> is the name the client asked for (not yet routed).</param>
/// <param name="IncludeUsage"><c>stream_options.include_usage</c>: end the stream with a <c>choices: []</c> usage chunk.</param>
internal sealed record ChatCompletionsRequest(ChatRequest Request, bool IncludeUsage);
