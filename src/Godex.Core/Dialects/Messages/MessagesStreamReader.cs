using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// Anthropic Messages SSE → canonical <see cref="StreamEvent"/>s. One instance per response: feed every SSE event (or
/// the whole JSON message of a call made without a stream, as one event of type <c>message</c>) to
/// <see cref="Feed(SseEvent, List{StreamEvent})"/>, then call <see cref="Complete"/> when the body ends. Exactly one terminal event is produced
/// (<see cref="ResponseCompletedEvent"/> on <c>message_stop</c>, or a <see cref="StreamErrorEvent"/>); later input is ignored.
/// <para>
/// Dispatch is on the data's <c>type</c> (the SSE <c>event:</c> line is the fallback). Unknown events and block types
/// are skipped, <c>ping</c> is ignored; data lines may be padded and carry fields we do not know.
/// </para>
/// </summary>
internal sealed partial class MessagesStreamReader : IUpstreamStreamReader
{
    private Dictionary<int, Block>? _blocks; // the open content blocks by index, made when the first one opens
    private string? _responseId;
    private string? _model;
    private string? _stopReason;
    private long _inputTokens;
    private long _cacheReadTokens;
    private long _cacheCreationTokens;
    private long _outputTokens;
    private int _toolCount;

    private Dictionary<int, Block> Blocks => _blocks ??= [];

    /// <summary>True once the terminal event was produced.</summary>
    public bool IsCompleted { get; private set; }

    /// <inheritdoc />
    public bool ReadsWholeAnswers => true;

    public void Feed(SseEvent sse, List<StreamEvent> output) => Feed(sse.EventType, sse.Data, output);

    public void Feed(string eventType, ReadOnlyMemory<byte> data, List<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsCompleted)
        {
            return;
        }

        var fields = default(EventFields);
        try
        {
            fields.Read(data.Span);
        }
        catch (JsonException ex)
        {
            Fail(output, new BackendError(502, BackendErrorTypes.Server, $"upstream sent an invalid stream event ({eventType}): {ex.Message}"));
            return;
        }

        if (!fields.IsObject)
        {
            return;
        }

        switch (fields.HasType ? fields.Type : Classify(eventType))
        {
            case EventType.MessageStart:
                OnMessageStart(ref fields, output);
                break;
            case EventType.ContentBlockStart:
                OnBlockStart(ref fields, data.Span, output);
                break;
            case EventType.ContentBlockDelta:
                OnBlockDelta(ref fields, output);
                break;
            case EventType.ContentBlockStop:
                OnBlockStop(ref fields, output);
                break;
            case EventType.MessageDelta:
                OnMessageDelta(ref fields);
                break;
            case EventType.MessageStop:
                OnMessageStop(output);
                break;
            case EventType.Error:
                Fail(output, MapError(fields.ErrorType, fields.ErrorMessage));
                break;
            case EventType.Message:
                OnWholeMessage(ref fields, data.Span, output);
                break;
            default:
                // ping, and event types newer than this parser.
                break;
        }
    }

    /// <summary>The upstream body ended: a stream that never reached <c>message_stop</c> is an error, never a success.</summary>
    public void Complete(List<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!IsCompleted)
        {
            Fail(output, new BackendError(502, BackendErrorTypes.Server, "upstream stream ended before message_stop"));
        }
    }

    /// <summary>Finish reason for an Anthropic <c>stop_reason</c>; unknown reasons are a plain stop.</summary>
    public static FinishReason MapStopReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => FinishReason.Length,
        "tool_use" => FinishReason.ToolCalls,
        "refusal" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    /// <summary>A <see cref="BackendError"/> for an Anthropic error type, with the status the API uses for it.</summary>
    public static BackendError MapError(string? errorType, string? message, int? status = null)
    {
        int mapped = status ?? errorType switch
        {
            "invalid_request_error" => 400,
            "authentication_error" => 401,
            "billing_error" => 402,
            "permission_error" => 403,
            "not_found_error" => 404,
            "request_too_large" => 413,
            "rate_limit_error" => 429,
            "timeout_error" => 504,
            "overloaded_error" => 529,
            _ => 500,
        };
        string text = string.IsNullOrWhiteSpace(message) ? $"upstream error {errorType ?? mapped.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : message;
        return new BackendError(mapped, BackendErrorTypes.ForStatus(mapped), text) { Code = errorType };
    }

    private void OnMessageStart(ref EventFields fields, List<StreamEvent> output)
    {
        if (!fields.MessageIsObject)
        {
            return;
        }

        _responseId ??= fields.MessageId ?? "";
        _model ??= fields.MessageModel ?? "";
        ReadUsage(ref fields.MessageUsage);
        output.Add(new ResponseStartedEvent(_responseId, _model));
    }

    private void OnBlockStart(ref EventFields fields, ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        if (fields.Index is not int index)
        {
            return;
        }

        switch (fields.BlockType)
        {
            case BlockKind.Text:
                Blocks[index] = new Block(BlockKind.Text);
                if (!string.IsNullOrEmpty(fields.BlockText))
                {
                    output.Add(new TextDeltaEvent(fields.BlockText));
                }

                break;
            case BlockKind.Thinking:
                var thinking = new Block(BlockKind.Thinking);
                thinking.Text.Append(fields.BlockThinking);
                thinking.Signature.Append(fields.BlockSignature);
                Blocks[index] = thinking;
                if (thinking.HasText)
                {
                    output.Add(new ReasoningDeltaEvent(thinking.Text.ToString()));
                }

                break;
            case BlockKind.RedactedThinking:
                var redacted = new Block(BlockKind.RedactedThinking);
                redacted.Text.Append(fields.BlockData);
                Blocks[index] = redacted;
                break;
            case BlockKind.ToolUse:
                var tool = new Block(BlockKind.ToolUse)
                {
                    ToolIndex = _toolCount++,
                    CallId = fields.BlockId ?? "",
                    Name = fields.BlockName ?? "",
                };

                // A non-streamed input arrives whole here (kept as its raw JSON text); the usual {} placeholder is
                // followed by deltas.
                if (fields.InputLength > 0)
                {
                    tool.InitialInput = Encoding.UTF8.GetString(data.Slice(fields.InputStart, fields.InputLength));
                }

                Blocks[index] = tool;
                output.Add(new ToolCallStartedEvent(tool.ToolIndex, tool.CallId, tool.Name));
                break;
            default:
                // server_tool_use, web_search_tool_result, compaction, ...: run or kept by the upstream, not the client's business.
                break;
        }
    }

    private void OnBlockDelta(ref EventFields fields, List<StreamEvent> output)
    {
        if (fields.Index is not int index || _blocks is null || !_blocks.TryGetValue(index, out Block? block))
        {
            return;
        }

        switch (fields.DeltaType)
        {
            case DeltaKind.Text when block.Kind == BlockKind.Text:
                if (!string.IsNullOrEmpty(fields.DeltaText))
                {
                    output.Add(new TextDeltaEvent(fields.DeltaText));
                }

                break;
            case DeltaKind.Thinking when block.Kind == BlockKind.Thinking:
                if (!string.IsNullOrEmpty(fields.DeltaThinking))
                {
                    block.Text.Append(fields.DeltaThinking);
                    output.Add(new ReasoningDeltaEvent(fields.DeltaThinking));
                }

                break;
            case DeltaKind.Signature when block.Kind == BlockKind.Thinking:
                block.Signature.Append(fields.DeltaSignature);
                break;
            case DeltaKind.InputJson when block.Kind == BlockKind.ToolUse:
                if (!string.IsNullOrEmpty(fields.DeltaPartialJson))
                {
                    block.Text.Append(fields.DeltaPartialJson);
                    output.Add(new ToolCallArgumentsDeltaEvent(block.ToolIndex, fields.DeltaPartialJson));
                }

                break;
            default:
                // citations_delta and future delta types.
                break;
        }
    }

    private void OnBlockStop(ref EventFields fields, List<StreamEvent> output)
    {
        if (fields.Index is not int index || _blocks is null || !_blocks.Remove(index, out Block? block))
        {
            return;
        }

        switch (block.Kind)
        {
            case BlockKind.Thinking:
                output.Add(new ReasoningCompletedEvent(new ReasoningPart
                {
                    Text = block.Text.ToString(),
                    Signature = block.HasSignature ? block.Signature.ToString() : null,
                }));
                break;
            case BlockKind.RedactedThinking:
                output.Add(new ReasoningCompletedEvent(new ReasoningPart { RedactedData = block.Text.ToString() }));
                break;
            case BlockKind.ToolUse:
                string arguments;
                if (block.HasText)
                {
                    arguments = block.Text.ToString();
                }
                else
                {
                    // No deltas: give streaming clients the whole arguments once, so deltas and snapshot agree.
                    arguments = block.InitialInput ?? "{}";
                    output.Add(new ToolCallArgumentsDeltaEvent(block.ToolIndex, arguments));
                }

                output.Add(new ToolCallCompletedEvent(block.ToolIndex, new ToolCallPart(block.CallId, block.Name, arguments)));
                break;
            default:
                break;
        }
    }

    private void OnMessageDelta(ref EventFields fields)
    {
        if (fields.DeltaStopReason is string stopReason)
        {
            _stopReason = stopReason;
        }

        ReadUsage(ref fields.Usage);
    }

    private void OnMessageStop(List<StreamEvent> output)
    {
        bool cutByLimit = MapStopReason(_stopReason) == FinishReason.Length;
        foreach (Block open in Blocks.Values)
        {
            if (open.Kind == BlockKind.ToolUse && !cutByLimit)
            {
                // A tool call whose arguments never closed, with no limit to explain it, is a broken stream.
                Fail(output, new BackendError(502, BackendErrorTypes.Server,
                    $"upstream stream ended inside tool call '{open.Name}' ({open.CallId}): arguments incomplete (stop_reason {_stopReason ?? "none"})"));
                return;
            }
        }

        // Cut by max_tokens inside a tool call (the SDKs' incomplete_partial_json case): what OpenAI does too, finish
        // "length" with the partial arguments streamed so far and no completed call; the client must not run it.

        IsCompleted = true;
        var usage = new Usage
        {
            InputTokens = _inputTokens + _cacheReadTokens + _cacheCreationTokens,
            CachedInputTokens = _cacheReadTokens,
            CacheCreationInputTokens = _cacheCreationTokens,
            OutputTokens = _outputTokens,
        };
        output.Add(new ResponseCompletedEvent(MapStopReason(_stopReason), usage) { UpstreamReason = _stopReason });
    }

    /// <summary>
    /// The answer to a call made without a stream: the whole message at once, read as the stream of the same answer
    /// would be — started, each content block opened and closed in order, then completed with its stop reason and usage.
    /// </summary>
    private void OnWholeMessage(ref EventFields fields, ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        _responseId ??= fields.WholeId ?? "";
        _model ??= fields.WholeModel ?? "";
        output.Add(new ResponseStartedEvent(_responseId, _model));
        ReadUsage(ref fields.Usage);
        _stopReason = fields.WholeStopReason;
        if (fields.ContentLength > 0)
        {
            ReadOnlySpan<byte> content = data.Slice(fields.ContentStart, fields.ContentLength);
            var reader = new Utf8JsonReader(content);
            reader.Read(); // the array's start: the first pass found it whole
            for (int index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
            {
                var block = new EventFields { Index = index };
                block.ReadBlock(ref reader);
                OnBlockStart(ref block, content, output);
                OnBlockStop(ref block, output);
            }
        }

        OnMessageStop(output);
    }

    private void Fail(List<StreamEvent> output, BackendError error)
    {
        IsCompleted = true;
        output.Add(new StreamErrorEvent(error));
    }

    // message_start carries the prompt counts; message_delta carries the final output count and, on newer models, the
    // prompt counts again. The latest value of each field wins.
    private void ReadUsage(ref UsageFields usage)
    {
        if (!usage.IsObject)
        {
            return;
        }

        _inputTokens = usage.InputTokens ?? _inputTokens;
        _cacheReadTokens = usage.CacheReadTokens ?? _cacheReadTokens;
        _cacheCreationTokens = usage.CacheCreationTokens ?? _cacheCreationTokens;
        _outputTokens = usage.OutputTokens ?? _outputTokens;
    }

    private static EventType Classify(string type) => type switch
    {
        "message_start" => EventType.MessageStart,
        "content_block_start" => EventType.ContentBlockStart,
        "content_block_delta" => EventType.ContentBlockDelta,
        "content_block_stop" => EventType.ContentBlockStop,
        "message_delta" => EventType.MessageDelta,
        "message_stop" => EventType.MessageStop,
        "error" => EventType.Error,
        _ => EventType.Other,
    };

    private enum EventType
    {
        Other,
        MessageStart,
        ContentBlockStart,
        ContentBlockDelta,
        ContentBlockStop,
        MessageDelta,
        MessageStop,
        Error,

        /// <summary>A whole message: the answer to a call made without a stream.</summary>
        Message,
    }

    private enum DeltaKind
    {
        Other,
        Text,
        Thinking,
        Signature,
        InputJson,
    }

    private enum BlockKind
    {
        Other,
        Text,
        Thinking,
        RedactedThinking,
        ToolUse,
    }

    private sealed class Block(BlockKind kind)
    {
        public BlockKind Kind { get; } = kind;

        // Made on first use: a text block needs neither.
        private StringBuilder? _text;
        private StringBuilder? _signature;

        /// <summary>Thinking text, redacted data, or tool arguments, by kind.</summary>
        public StringBuilder Text => _text ??= new();

        public StringBuilder Signature => _signature ??= new();

        public bool HasText => _text is { Length: > 0 };

        public bool HasSignature => _signature is { Length: > 0 };

        public int ToolIndex { get; init; }

        public string CallId { get; init; } = "";

        public string Name { get; init; } = "";

        public string? InitialInput { get; set; }
    }
}
