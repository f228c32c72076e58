using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// Anthropic Messages SSE → canonical <see cref="StreamEvent"/>s. One instance per response: feed every SSE event to
/// <see cref="Feed(SseEvent, List{StreamEvent})"/>, then call <see cref="Complete"/> when the body ends. Exactly one terminal event is produced
/// (<see cref="ResponseCompletedEvent"/> on <c>message_stop</c>, or a <see cref="StreamErrorEvent"/>); later input is ignored.
/// <para>
/// Dispatch is on the data's <c>type</c> (the SSE <c>event:</c> line is the fallback). Unknown events and block types
/// are skipped, <c>ping</c> is ignored; data lines may be padded and carry fields we do not know.
/// </para>
/// </summary>
internal sealed class MessagesStreamReader : IUpstreamStreamReader
{
    private readonly Dictionary<int, Block> _blocks = [];
    private string? _responseId;
    private string? _model;
    private string? _stopReason;
    private long _inputTokens;
    private long _cacheReadTokens;
    private long _cacheCreationTokens;
    private long _outputTokens;
    private int _toolCount;

    /// <summary>True once the terminal event was produced.</summary>
    public bool IsCompleted { get; private set; }

    public void Feed(SseEvent sse, List<StreamEvent> output) => Feed(sse.EventType, sse.Data, output);

    public void Feed(string eventType, ReadOnlyMemory<byte> data, List<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsCompleted)
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException ex)
        {
            Fail(output, new BackendError(502, BackendErrorTypes.Server, $"upstream sent an invalid stream event ({eventType}): {ex.Message}"));
            return;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            string type = GetString(root, "type") ?? eventType;
            switch (type)
            {
                case "message_start":
                    OnMessageStart(root, output);
                    break;
                case "content_block_start":
                    OnBlockStart(root, output);
                    break;
                case "content_block_delta":
                    OnBlockDelta(root, output);
                    break;
                case "content_block_stop":
                    OnBlockStop(root, output);
                    break;
                case "message_delta":
                    OnMessageDelta(root);
                    break;
                case "message_stop":
                    OnMessageStop(output);
                    break;
                case "error":
                    OnError(root, output);
                    break;
                default:
                    // ping, and event types newer than this parser.
                    break;
            }
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

    private void OnMessageStart(JsonElement root, List<StreamEvent> output)
    {
        if (!root.TryGetProperty("message"u8, out JsonElement message) || message.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        _responseId ??= GetString(message, "id") ?? "";
        _model ??= GetString(message, "model") ?? "";
        if (message.TryGetProperty("usage"u8, out JsonElement usage))
        {
            ReadUsage(usage);
        }

        output.Add(new ResponseStartedEvent(_responseId, _model));
    }

    private void OnBlockStart(JsonElement root, List<StreamEvent> output)
    {
        if (!TryGetIndex(root, out int index) || !root.TryGetProperty("content_block"u8, out JsonElement block))
        {
            return;
        }

        switch (GetString(block, "type"))
        {
            case "text":
                _blocks[index] = new Block(BlockKind.Text);
                string? initialText = GetString(block, "text");
                if (!string.IsNullOrEmpty(initialText))
                {
                    output.Add(new TextDeltaEvent(initialText));
                }

                break;
            case "thinking":
                var thinking = new Block(BlockKind.Thinking);
                thinking.Text.Append(GetString(block, "thinking"));
                thinking.Signature.Append(GetString(block, "signature"));
                _blocks[index] = thinking;
                if (thinking.Text.Length > 0)
                {
                    output.Add(new ReasoningDeltaEvent(thinking.Text.ToString()));
                }

                break;
            case "redacted_thinking":
                var redacted = new Block(BlockKind.RedactedThinking);
                redacted.Text.Append(GetString(block, "data"));
                _blocks[index] = redacted;
                break;
            case "tool_use":
                var tool = new Block(BlockKind.ToolUse)
                {
                    ToolIndex = _toolCount++,
                    CallId = GetString(block, "id") ?? "",
                    Name = GetString(block, "name") ?? "",
                };

                // A non-streamed input arrives whole here; the usual {} placeholder is followed by deltas.
                if (block.TryGetProperty("input"u8, out JsonElement input) && input.ValueKind == JsonValueKind.Object
                    && input.EnumerateObject().Any())
                {
                    tool.InitialInput = input.GetRawText();
                }

                _blocks[index] = tool;
                output.Add(new ToolCallStartedEvent(tool.ToolIndex, tool.CallId, tool.Name));
                break;
            default:
                // server_tool_use, web_search_tool_result, compaction, ...: run or kept by the upstream, not the client's business.
                break;
        }
    }

    private void OnBlockDelta(JsonElement root, List<StreamEvent> output)
    {
        if (!TryGetIndex(root, out int index) || !_blocks.TryGetValue(index, out Block? block)
            || !root.TryGetProperty("delta"u8, out JsonElement delta))
        {
            return;
        }

        switch (GetString(delta, "type"))
        {
            case "text_delta" when block.Kind == BlockKind.Text:
                string? text = GetString(delta, "text");
                if (!string.IsNullOrEmpty(text))
                {
                    output.Add(new TextDeltaEvent(text));
                }

                break;
            case "thinking_delta" when block.Kind == BlockKind.Thinking:
                string? thinking = GetString(delta, "thinking");
                if (!string.IsNullOrEmpty(thinking))
                {
                    block.Text.Append(thinking);
                    output.Add(new ReasoningDeltaEvent(thinking));
                }

                break;
            case "signature_delta" when block.Kind == BlockKind.Thinking:
                block.Signature.Append(GetString(delta, "signature"));
                break;
            case "input_json_delta" when block.Kind == BlockKind.ToolUse:
                string? partial = GetString(delta, "partial_json");
                if (!string.IsNullOrEmpty(partial))
                {
                    block.Text.Append(partial);
                    output.Add(new ToolCallArgumentsDeltaEvent(block.ToolIndex, partial));
                }

                break;
            default:
                // citations_delta and future delta types.
                break;
        }
    }

    private void OnBlockStop(JsonElement root, List<StreamEvent> output)
    {
        if (!TryGetIndex(root, out int index) || !_blocks.Remove(index, out Block? block))
        {
            return;
        }

        switch (block.Kind)
        {
            case BlockKind.Thinking:
                output.Add(new ReasoningCompletedEvent(new ReasoningPart
                {
                    Text = block.Text.ToString(),
                    Signature = block.Signature.Length > 0 ? block.Signature.ToString() : null,
                }));
                break;
            case BlockKind.RedactedThinking:
                output.Add(new ReasoningCompletedEvent(new ReasoningPart { RedactedData = block.Text.ToString() }));
                break;
            case BlockKind.ToolUse:
                string arguments;
                if (block.Text.Length > 0)
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

    private void OnMessageDelta(JsonElement root)
    {
        if (root.TryGetProperty("delta"u8, out JsonElement delta) && GetString(delta, "stop_reason") is string stopReason)
        {
            _stopReason = stopReason;
        }

        if (root.TryGetProperty("usage"u8, out JsonElement usage))
        {
            ReadUsage(usage);
        }
    }

    private void OnMessageStop(List<StreamEvent> output)
    {
        bool cutByLimit = MapStopReason(_stopReason) == FinishReason.Length;
        foreach (Block open in _blocks.Values)
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

    private void OnError(JsonElement root, List<StreamEvent> output)
    {
        string? errorType = null;
        string? message = null;
        if (root.TryGetProperty("error"u8, out JsonElement error) && error.ValueKind == JsonValueKind.Object)
        {
            errorType = GetString(error, "type");
            message = GetString(error, "message");
        }

        Fail(output, MapError(errorType, message));
    }

    private void Fail(List<StreamEvent> output, BackendError error)
    {
        IsCompleted = true;
        output.Add(new StreamErrorEvent(error));
    }

    // message_start carries the prompt counts; message_delta carries the final output count and, on newer models, the
    // prompt counts again. The latest value of each field wins.
    private void ReadUsage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        _inputTokens = GetInt64(usage, "input_tokens") ?? _inputTokens;
        _cacheReadTokens = GetInt64(usage, "cache_read_input_tokens") ?? _cacheReadTokens;
        _cacheCreationTokens = GetInt64(usage, "cache_creation_input_tokens") ?? _cacheCreationTokens;
        _outputTokens = GetInt64(usage, "output_tokens") ?? _outputTokens;
    }

    private static bool TryGetIndex(JsonElement root, out int index)
    {
        index = 0;
        return root.TryGetProperty("index"u8, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out index);
    }

    private static string? GetString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static long? GetInt64(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number)
            ? number
            : null;

    private enum BlockKind
    {
        Text,
        Thinking,
        RedactedThinking,
        ToolUse,
    }

    private sealed class Block(BlockKind kind)
    {
        public BlockKind Kind { get; } = kind;

        /// <summary>Thinking text, redacted data, or tool arguments, by kind.</summary>
        public StringBuilder Text { get; } = new();

        public StringBuilder Signature { get; } = new();

        public int ToolIndex { get; init; }

        public string CallId { get; init; } = "";

        public string Name { get; init; } = "";

        public string? InitialInput { get; set; }
    }
}
