using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// Renders the canonical event stream of one turn as the Messages SSE stream, in the order the API uses:
/// <c>message_start</c> (usage with the prompt estimate), then content blocks with consecutive indexes —
/// <c>thinking</c> (<c>thinking_delta</c>…, <c>signature_delta</c>), <c>redacted_thinking</c>, <c>text</c>
/// (<c>text_delta</c>…), <c>tool_use</c> (<c>input_json_delta</c>…) — each opened by <c>content_block_start</c> and
/// closed by <c>content_block_stop</c>, a <c>ping</c> after the first block start, then <c>message_delta</c> (stop
/// reason and usage) and <c>message_stop</c>. An error after the start is an <c>error</c> event, then the end.
/// </summary>
internal sealed class MessagesStreamWriter : IClientStreamWriter
{
    private static readonly byte[] s_pingJson = "{\"type\": \"ping\"}"u8.ToArray();

    private readonly SseWriter _sse;
    private readonly AnthropicMessageHeader _header;
    private readonly Dictionary<int, ToolBlock> _tools = [];
    private Block? _open;
    private int _nextIndex;
    private int _summaryIndex;
    private bool _started;
    private bool _pinged;
    private Usage _usage = Usage.Empty;

    public MessagesStreamWriter(SseWriter sse, AnthropicMessageHeader header)
    {
        _sse = sse;
        _header = header;
    }

    /// <summary>True once <c>message_stop</c> or an <c>error</c> event was written.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Renders one event; returns true when it was terminal and the stream is finished.</summary>
    public async ValueTask<bool> WriteAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken);
        switch (streamEvent)
        {
            case TextDeltaEvent text:
                await WriteTextAsync(text.Text, cancellationToken);
                break;

            case RefusalDeltaEvent refusal:
                await WriteTextAsync(refusal.Text, cancellationToken);
                break;

            case ReasoningDeltaEvent reasoning when reasoning.Text.Length > 0:
                await OpenAsync(BlockKind.Thinking, cancellationToken);
                // A new part of a Responses summary is a new paragraph of the one thinking text.
                string thought = reasoning.SummaryIndex != _summaryIndex && _open!.Streamed.Length > 0 ? "\n\n" + reasoning.Text : reasoning.Text;
                _summaryIndex = reasoning.SummaryIndex;
                _open!.Streamed.Append(thought);
                await DeltaAsync(_open.Index, DeltaNames.ThinkingDelta, DeltaNames.Thinking, thought, cancellationToken);
                break;

            case ReasoningCompletedEvent completed:
                await CompleteReasoningAsync(completed.Reasoning, cancellationToken);
                break;

            case ToolCallStartedEvent started:
                await StartToolAsync(started.Index, started.CallId, started.Name, started.Kind, cancellationToken);
                break;

            case ToolCallArgumentsDeltaEvent delta:
                if (_tools.TryGetValue(delta.Index, out ToolBlock? tool) && ReferenceEquals(_open, tool)
                    && tool.ToolKind == ToolCallKind.Function && delta.Delta.Length > 0)
                {
                    tool.Streamed.Append(delta.Delta);
                    await DeltaAsync(tool.Index, DeltaNames.InputJsonDelta, DeltaNames.PartialJson, delta.Delta, cancellationToken);
                }

                break;

            case ToolCallCompletedEvent completed:
                await CompleteToolAsync(completed, cancellationToken);
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

    /// <summary>
    /// <c>message_delta</c> with the stop reason and usage, then <c>message_stop</c>. A method of its own: a local of a
    /// switch section that a lambda captures is allocated on entry to the whole switch, that is for every event.
    /// </summary>
    private async ValueTask CompleteAsync(ResponseCompletedEvent completed, CancellationToken cancellationToken)
    {
        if (completed.Usage != Usage.Empty)
        {
            _usage = completed.Usage;
        }

        await CloseAsync(cancellationToken);
        string stopReason = MessagesJsonWriter.StopReason(completed.FinishReason, completed.UpstreamReason);
        await _sse.WriteAsync("message_delta", w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "message_delta"u8);
            w.WriteStartObject("delta"u8);
            w.WriteString("stop_reason"u8, stopReason);
            w.WriteNull("stop_sequence"u8);
            w.WriteEndObject();
            MessagesJsonWriter.WriteUsage(w, _usage, _header.EstimatedInputTokens);
            w.WriteEndObject();
        }, cancellationToken);
        await _sse.WriteAsync("message_stop", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "message_stop"u8);
            w.WriteEndObject();
        }, cancellationToken);
        IsCompleted = true;
    }

    /// <summary>Messages streams start with <c>message_start</c>, written with the first event.</summary>
    public ValueTask StartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>The dialect's own keep-alive: a <c>ping</c> event.</summary>
    public ValueTask WriteKeepAliveAsync(CancellationToken cancellationToken) => WritePingAsync(cancellationToken);

    /// <summary>A keep-alive <c>ping</c> event (only after <c>message_start</c>; before it, nothing is written).</summary>
    public async ValueTask WritePingAsync(CancellationToken cancellationToken)
    {
        if (_started && !IsCompleted)
        {
            await _sse.WriteAsync("ping", s_pingJson, cancellationToken);
        }
    }

    /// <summary>Ends the stream with an in-band <c>error</c> event (the status line is long gone).</summary>
    public async ValueTask WriteErrorAsync(BackendError error, CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken);
        await _sse.WriteAsync("error", w => MessagesJsonWriter.WriteError(w, error), cancellationToken);
        IsCompleted = true;
    }

    private async ValueTask EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        await _sse.WriteAsync("message_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "message_start"u8);
            w.WritePropertyName("message"u8);
            MessagesJsonWriter.WriteMessage(w, _header, null, null, Usage.Empty);
            w.WriteEndObject();
        }, cancellationToken);
    }

    private async ValueTask WriteTextAsync(string text, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            return;
        }

        await OpenAsync(BlockKind.Text, cancellationToken);
        await DeltaAsync(_open!.Index, DeltaNames.TextDelta, DeltaNames.Text, text, cancellationToken);
    }

    private async ValueTask CompleteReasoningAsync(ReasoningPart reasoning, CancellationToken cancellationToken)
    {
        string? signature = ThinkingBlocks.Signature(reasoning);
        if (signature is null && !string.IsNullOrEmpty(reasoning.RedactedData) && _open?.Kind != BlockKind.Thinking)
        {
            await CloseAsync(cancellationToken);
            int index = _nextIndex++;
            await BlockStartAsync(index, w =>
            {
                w.WriteString("type"u8, "redacted_thinking"u8);
                w.WriteString("data"u8, reasoning.RedactedData);
            }, cancellationToken);
            await BlockStopAsync(index, cancellationToken);
            return;
        }

        await OpenAsync(BlockKind.Thinking, cancellationToken);
        Block block = _open!;
        if (block.Streamed.Length == 0 && reasoning.Text.Length > 0)
        {
            block.Streamed.Append(reasoning.Text);
            await DeltaAsync(block.Index, DeltaNames.ThinkingDelta, DeltaNames.Thinking, reasoning.Text, cancellationToken);
        }

        if (signature is not null)
        {
            await DeltaAsync(block.Index, DeltaNames.SignatureDelta, DeltaNames.Signature, signature, cancellationToken);
        }

        await CloseAsync(cancellationToken);
    }

    private async ValueTask<ToolBlock> StartToolAsync(int toolIndex, string callId, string name, ToolCallKind kind, CancellationToken cancellationToken)
    {
        if (_tools.TryGetValue(toolIndex, out ToolBlock? existing))
        {
            return existing;
        }

        await CloseAsync(cancellationToken);
        var tool = new ToolBlock(_nextIndex++, kind);
        _tools[toolIndex] = tool;
        _open = tool;
        await BlockStartAsync(tool.Index, w =>
        {
            w.WriteString("type"u8, "tool_use"u8);
            w.WriteString("id"u8, callId);
            w.WriteString("name"u8, name);
            w.WriteStartObject("input"u8);
            w.WriteEndObject();
        }, cancellationToken);
        return tool;
    }

    private async ValueTask CompleteToolAsync(ToolCallCompletedEvent completed, CancellationToken cancellationToken)
    {
        ToolCallPart call = completed.Call;
        ToolBlock tool = await StartToolAsync(completed.Index, call.CallId, call.Name, call.Kind, cancellationToken);
        if (!ReferenceEquals(_open, tool))
        {
            // Closed by an interleaved block: Messages cannot reopen it.
            return;
        }

        string remainder;
        if (tool.ToolKind == ToolCallKind.Custom)
        {
            // A freeform tool's raw input, as the {"input": "..."} object the Messages dialect requires.
            remainder = JsonSerializerFreeInput(call.Arguments);
        }
        else
        {
            // The done snapshot is authoritative: send what the client has not seen yet (as the chat renderer does).
            string streamed = tool.Streamed.ToString();
            remainder = streamed.Length == 0
                ? call.Arguments
                : call.Arguments.StartsWith(streamed, StringComparison.Ordinal) ? call.Arguments[streamed.Length..] : "";
        }

        if (remainder.Length > 0)
        {
            tool.Streamed.Append(remainder);
            await DeltaAsync(tool.Index, DeltaNames.InputJsonDelta, DeltaNames.PartialJson, remainder, cancellationToken);
        }

        await CloseAsync(cancellationToken);
    }

    private static string JsonSerializerFreeInput(string input)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("input"u8, input);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async ValueTask OpenAsync(BlockKind kind, CancellationToken cancellationToken)
    {
        if (_open is not null && _open.Kind == kind)
        {
            return;
        }

        await CloseAsync(cancellationToken);
        var block = new Block(_nextIndex++, kind);
        _open = block;
        await BlockStartAsync(block.Index, w =>
        {
            if (kind == BlockKind.Thinking)
            {
                w.WriteString("type"u8, "thinking"u8);
                w.WriteString("thinking"u8, ""u8);
                w.WriteString("signature"u8, ""u8);
            }
            else
            {
                w.WriteString("type"u8, "text"u8);
                w.WriteString("text"u8, ""u8);
            }
        }, cancellationToken);
    }

    private async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        if (_open is null)
        {
            return;
        }

        int index = _open.Index;
        _open = null;
        await BlockStopAsync(index, cancellationToken);
    }

    private async ValueTask BlockStartAsync(int index, Action<Utf8JsonWriter> writeBlock, CancellationToken cancellationToken)
    {
        await _sse.WriteAsync("content_block_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_start"u8);
            w.WriteNumber("index"u8, index);
            w.WriteStartObject("content_block"u8);
            writeBlock(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }, cancellationToken);

        if (!_pinged)
        {
            // The API pings once right after the first block starts.
            _pinged = true;
            await _sse.WriteAsync("ping", s_pingJson, cancellationToken);
        }
    }

    private ValueTask BlockStopAsync(int index, CancellationToken cancellationToken) =>
        _sse.WriteAsync("content_block_stop", w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_stop"u8);
            w.WriteNumber("index"u8, index);
            w.WriteEndObject();
        }, cancellationToken);

    /// <summary>One <c>content_block_delta</c>: the event of every token, so it allocates nothing and escapes only the value.</summary>
    private ValueTask DeltaAsync(int index, JsonEncodedText deltaType, JsonEncodedText field, string value, CancellationToken cancellationToken) =>
        _sse.WriteAsync("content_block_delta", (index, deltaType, field, value), static (w, delta) =>
        {
            w.WriteStartObject();
            w.WriteString(DeltaNames.Type, DeltaNames.ContentBlockDelta);
            w.WriteNumber(DeltaNames.Index, delta.index);
            w.WriteStartObject(DeltaNames.Delta);
            w.WriteString(DeltaNames.Type, delta.deltaType);
            w.WriteString(delta.field, delta.value);
            w.WriteEndObject();
            w.WriteEndObject();
        }, cancellationToken);

    /// <summary>The names and types of <c>content_block_delta</c>, encoded once.</summary>
    private static class DeltaNames
    {
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type"u8);
        public static readonly JsonEncodedText Index = JsonEncodedText.Encode("index"u8);
        public static readonly JsonEncodedText Delta = JsonEncodedText.Encode("delta"u8);
        public static readonly JsonEncodedText ContentBlockDelta = JsonEncodedText.Encode("content_block_delta"u8);
        public static readonly JsonEncodedText TextDelta = JsonEncodedText.Encode("text_delta"u8);
        public static readonly JsonEncodedText Text = JsonEncodedText.Encode("text"u8);
        public static readonly JsonEncodedText ThinkingDelta = JsonEncodedText.Encode("thinking_delta"u8);
        public static readonly JsonEncodedText Thinking = JsonEncodedText.Encode("thinking"u8);
        public static readonly JsonEncodedText SignatureDelta = JsonEncodedText.Encode("signature_delta"u8);
        public static readonly JsonEncodedText Signature = JsonEncodedText.Encode("signature"u8);
        public static readonly JsonEncodedText InputJsonDelta = JsonEncodedText.Encode("input_json_delta"u8);
        public static readonly JsonEncodedText PartialJson = JsonEncodedText.Encode("partial_json"u8);
    }

    private enum BlockKind
    {
        Text,
        Thinking,
        ToolUse,
    }

    private class Block(int index, BlockKind kind)
    {
        public int Index { get; } = index;

        public BlockKind Kind { get; } = kind;

        /// <summary>Thinking text or tool arguments sent so far.</summary>
        public StringBuilder Streamed { get; } = new();
    }

    private sealed class ToolBlock(int index, ToolCallKind toolKind) : Block(index, BlockKind.ToolUse)
    {
        public ToolCallKind ToolKind { get; } = toolKind;
    }
}
