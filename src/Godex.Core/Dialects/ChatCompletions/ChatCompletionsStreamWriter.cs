using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// Renders the canonical event stream of one turn as <c>chat.completion.chunk</c> SSE frames: a role chunk first,
/// then content / refusal / tool-call deltas, a finish chunk, the optional <c>choices: []</c> usage chunk and
/// <c>data: [DONE]</c>. Reasoning is not part of the Chat Completions API; it is streamed the way other gateways
/// do, as <c>delta.reasoning_content</c> pieces and, once a block is complete, <c>delta.thinking_blocks</c> with its
/// signature (see <see cref="ChatCompletionsJsonWriter.WriteThinkingBlockChunk"/>).
/// </summary>
internal sealed class ChatCompletionsStreamWriter : IClientStreamWriter
{
    private readonly SseWriter _sse;
    private readonly ChatCompletionHeader _header;
    private readonly bool _includeUsage;
    private readonly Dictionary<int, ToolCallState> _calls = [];
    private readonly StringBuilder _reasoning = new();
    private int _summaryIndex;
    private byte[]? _contentPrefix; // a content chunk up to its text: the same for every token of the stream
    private bool _roleSent;
    private Usage _usage = Usage.Empty;

    public ChatCompletionsStreamWriter(SseWriter sse, ChatCompletionHeader header, bool includeUsage)
    {
        _sse = sse;
        _header = header;
        _includeUsage = includeUsage;
    }

    /// <summary>True once the terminal frames (<c>[DONE]</c>) were written.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Renders one event; returns true when it was terminal and the stream is finished.</summary>
    public ValueTask<bool> WriteAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        // Nearly every event of an answer is a piece of text after the role chunk: written without a state machine.
        if (streamEvent is TextDeltaEvent { Text: { Length: > 0 } text } && _roleSent)
        {
            ValueTask written = WriteContentAsync(text, cancellationToken);
            if (!written.IsCompletedSuccessfully)
            {
                return NotTerminalAsync(written);
            }

            written.GetAwaiter().GetResult();
            return ValueTask.FromResult(false);
        }

        return WriteAnyAsync(streamEvent, cancellationToken);
    }

    /// <summary>A content chunk: the stream's prefix (rendered at its first token), the token, the fixed suffix.</summary>
    private ValueTask WriteContentAsync(string text, CancellationToken cancellationToken)
    {
        _contentPrefix ??= ChatCompletionsJsonWriter.ContentChunkPrefix(_header);
        return _sse.WriteAsync(_contentPrefix, text, ChatCompletionsJsonWriter.ContentChunkSuffix, cancellationToken);
    }

    private static async ValueTask<bool> NotTerminalAsync(ValueTask written)
    {
        await written;
        return false;
    }

    private async ValueTask<bool> WriteAnyAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        switch (streamEvent)
        {
            case TextDeltaEvent text:
                await EnsureRoleAsync(RoleChunkShape.Text, cancellationToken);
                if (text.Text.Length > 0)
                {
                    await WriteContentAsync(text.Text, cancellationToken);
                }

                break;

            case RefusalDeltaEvent refusal:
                await EnsureRoleAsync(RoleChunkShape.Refusal, cancellationToken);
                if (refusal.Text.Length > 0)
                {
                    await _sse.WriteAsync(null, (Header: _header, refusal.Text), static (w, s) => ChatCompletionsJsonWriter.WriteRefusalChunk(w, s.Header, s.Text), cancellationToken);
                }

                break;

            case ReasoningDeltaEvent reasoning when reasoning.Text.Length > 0:
                // A new summary part is a new paragraph: one blank line between them, as in the joined text.
                string piece = reasoning.SummaryIndex != _summaryIndex && _reasoning.Length > 0 ? "\n\n" + reasoning.Text : reasoning.Text;
                _summaryIndex = reasoning.SummaryIndex;
                await WriteReasoningAsync(piece, cancellationToken);
                break;

            case ReasoningCompletedEvent completed:
                await CompleteReasoningAsync(completed.Reasoning, cancellationToken);
                break;

            case ToolCallStartedEvent started:
                await StartCallAsync(started.Index, started.CallId, started.Name, started.Kind, cancellationToken);
                break;

            case ToolCallArgumentsDeltaEvent delta:
                if (_calls.TryGetValue(delta.Index, out ToolCallState? state) && delta.Delta.Length > 0)
                {
                    state.Streamed.Append(delta.Delta);
                    await _sse.WriteAsync(null, (Header: _header, delta.Index, delta.Delta, state.Kind), static (w, s) => ChatCompletionsJsonWriter.WriteToolCallArgumentsChunk(w, s.Header, s.Index, s.Delta, s.Kind), cancellationToken);
                }

                break;

            case ToolCallCompletedEvent completed:
                await CompleteCallAsync(completed, cancellationToken);
                break;

            case UsageEvent usage:
                _usage = usage.Usage;
                break;

            case ResponseCompletedEvent completed:
                await CompleteAsync(completed, cancellationToken);
                return true;

            case StreamErrorEvent error:
                await WriteErrorAsync(error.Error, cancellationToken);
                return true;
        }

        return false;
    }

    /// <summary>Chat streams start with their first chunk.</summary>
    public ValueTask StartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>An SSE comment: every client's parser skips it.</summary>
    public ValueTask WriteKeepAliveAsync(CancellationToken cancellationToken) => _sse.WriteCommentAsync("keep-alive", cancellationToken);

    /// <summary>Ends the stream with an in-band error frame and <c>[DONE]</c> (the status line is long gone).</summary>
    public async ValueTask WriteErrorAsync(BackendError error, CancellationToken cancellationToken)
    {
        await _sse.WriteAsync(null, w => ChatCompletionsJsonWriter.WriteStreamError(w, error), cancellationToken);
        await _sse.WriteDoneAsync(cancellationToken);
        IsCompleted = true;
    }

    private async ValueTask WriteReasoningAsync(string text, CancellationToken cancellationToken)
    {
        await EnsureRoleAsync(RoleChunkShape.Text, cancellationToken);
        _reasoning.Append(text);
        await _sse.WriteAsync(null, (Header: _header, Text: text), static (w, s) => ChatCompletionsJsonWriter.WriteReasoningChunk(w, s.Header, s.Text), cancellationToken);
    }

    private async ValueTask CompleteReasoningAsync(ReasoningPart reasoning, CancellationToken cancellationToken)
    {
        // The block's own text is authoritative: what was not streamed yet is sent now.
        string streamed = _reasoning.ToString();
        if (reasoning.Text.Length > streamed.Length && reasoning.Text.StartsWith(streamed, StringComparison.Ordinal))
        {
            await WriteReasoningAsync(reasoning.Text[streamed.Length..], cancellationToken);
        }

        _reasoning.Clear();
        _summaryIndex = 0;
        if (ChatCompletionsJsonWriter.IsOpaque(reasoning))
        {
            await EnsureRoleAsync(RoleChunkShape.Text, cancellationToken);
            await _sse.WriteAsync(null, w => ChatCompletionsJsonWriter.WriteThinkingBlockChunk(w, _header, reasoning), cancellationToken);
        }
    }

    /// <summary>The finish chunk, the usage chunk when asked for, and <c>[DONE]</c>.</summary>
    private async ValueTask CompleteAsync(ResponseCompletedEvent completed, CancellationToken cancellationToken)
    {
        if (completed.Usage != Usage.Empty)
        {
            _usage = completed.Usage;
        }

        await EnsureRoleAsync(RoleChunkShape.Text, cancellationToken);
        await _sse.WriteAsync(null, (Header: _header, completed.FinishReason), static (w, s) => ChatCompletionsJsonWriter.WriteFinishChunk(w, s.Header, s.FinishReason), cancellationToken);
        if (_includeUsage)
        {
            await _sse.WriteAsync(null, (Header: _header, Usage: _usage), static (w, s) => ChatCompletionsJsonWriter.WriteUsageChunk(w, s.Header, s.Usage), cancellationToken);
        }

        await _sse.WriteDoneAsync(cancellationToken);
        IsCompleted = true;
    }

    /// <summary>
    /// The role chunk before the first content. Called for every delta: nothing here is captured by a lambda, so the
    /// call allocates nothing once the role is out.
    /// </summary>
    private ValueTask EnsureRoleAsync(RoleChunkShape shape, CancellationToken cancellationToken)
    {
        if (_roleSent)
        {
            return ValueTask.CompletedTask;
        }

        _roleSent = true;
        return _sse.WriteAsync(null, (Header: _header, Shape: shape), static (w, s) => ChatCompletionsJsonWriter.WriteRoleChunk(w, s.Header, s.Shape), cancellationToken);
    }

    private async ValueTask<ToolCallState> StartCallAsync(int index, string callId, string name, ToolCallKind kind, CancellationToken cancellationToken)
    {
        if (_calls.TryGetValue(index, out ToolCallState? existing))
        {
            return existing;
        }

        await EnsureRoleAsync(RoleChunkShape.ToolCall, cancellationToken);
        var state = new ToolCallState(kind);
        _calls[index] = state;
        await _sse.WriteAsync(null, w => ChatCompletionsJsonWriter.WriteToolCallStartChunk(w, _header, index, callId, name, kind), cancellationToken);
        return state;
    }

    private async ValueTask CompleteCallAsync(ToolCallCompletedEvent completed, CancellationToken cancellationToken)
    {
        ToolCallPart call = completed.Call;
        ToolCallState state = await StartCallAsync(completed.Index, call.CallId, call.Name, call.Kind, cancellationToken);

        // The done snapshot is authoritative (godex 0.8.14: Codex may stream nothing, or only "{}", and put the real
        // arguments in the snapshot). Send what the client has not seen yet; a snapshot that contradicts what was
        // streamed cannot be taken back in this dialect, so it is left as streamed.
        string streamed = state.Streamed.ToString();
        string remainder = streamed.Length == 0
            ? call.Arguments
            : call.Arguments.StartsWith(streamed, StringComparison.Ordinal) ? call.Arguments[streamed.Length..] : "";
        if (remainder.Length > 0)
        {
            state.Streamed.Append(remainder);
            await _sse.WriteAsync(null, w => ChatCompletionsJsonWriter.WriteToolCallArgumentsChunk(w, _header, completed.Index, remainder, state.Kind), cancellationToken);
        }
    }

    private sealed class ToolCallState(ToolCallKind kind)
    {
        public ToolCallKind Kind { get; } = kind;
        public StringBuilder Streamed { get; } = new();
    }
}
