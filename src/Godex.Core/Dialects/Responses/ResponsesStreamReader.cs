using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// Turns Responses-API stream events (the Codex backend's SSE) into canonical <see cref="StreamEvent"/>s. One
/// instance per response. Feed each SSE event's data to <see cref="Feed(ReadOnlyMemory{byte}, List{StreamEvent})"/>, then call <see cref="Complete(List{StreamEvent})"/> when the
/// upstream body ends. Unknown events are skipped; no field order or field set is assumed.
/// </summary>
internal sealed class ResponsesStreamReader : IUpstreamStreamReader
{
    private readonly Dictionary<string, ToolCallState> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StringBuilder> _earlyDeltas = new(StringComparer.Ordinal);
    private readonly StringBuilder _reasoningSummary = new();
    private readonly List<string> _summaryParts = [];
    private int _summaryIndex;
    private int _toolCallCount;
    private bool _started;

    /// <summary>True once a terminal event (completed, incomplete, failed, error) was emitted.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Parses one event's JSON data, appending the canonical events it yields to <paramref name="output"/>.</summary>
    public void Feed(SseEvent sse, List<StreamEvent> output) => Feed(sse.Data, output);

    public void Feed(ReadOnlyMemory<byte> data, List<StreamEvent> output)
    {
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
            // Every path treats an event that is not JSON the same way: the answer fails (docs/proxy.md, upstream faults).
            IsCompleted = true;
            output.Add(new StreamErrorEvent(BackendError.Upstream(502, $"the upstream sent an event that is not valid JSON: {ex.Message}")));
            return;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "type") is not string type)
            {
                return;
            }

            Dispatch(type, root, output);
        }
    }

    /// <summary>The upstream body ended: without a terminal event that is an error, never a silent empty turn.</summary>
    public void Complete(List<StreamEvent> output)
    {
        if (!IsCompleted)
        {
            IsCompleted = true;
            output.Add(new StreamErrorEvent(BackendError.Upstream(502, "upstream stream ended before response.completed")));
        }
    }

    private void Dispatch(string type, JsonElement root, List<StreamEvent> output)
    {
        switch (type)
        {
            case "response.created":
            case "response.in_progress":
                Start(root, output);
                break;
            case "response.output_text.delta":
                Start(root, output);
                if (String(root, "delta") is { Length: > 0 } text)
                {
                    output.Add(new TextDeltaEvent(text));
                }

                break;
            case "response.refusal.delta":
                Start(root, output);
                if (String(root, "delta") is { Length: > 0 } refusal)
                {
                    output.Add(new RefusalDeltaEvent(refusal));
                }

                break;
            case "response.reasoning_summary_text.delta":
            case "response.reasoning_text.delta":
                Start(root, output);
                if (String(root, "delta") is { Length: > 0 } thinking)
                {
                    // Summary parts stay apart (summary_index); writers with one text join them with a blank line.
                    int part = (int)Number(root, "summary_index");
                    if (part != _summaryIndex && _reasoningSummary.Length > 0)
                    {
                        _summaryParts.Add(_reasoningSummary.ToString());
                        _reasoningSummary.Clear();
                    }

                    _summaryIndex = part;
                    _reasoningSummary.Append(thinking);
                    output.Add(new ReasoningDeltaEvent(thinking) { ItemId = String(root, "item_id"), SummaryIndex = part });
                }

                break;
            case "response.output_item.added":
                Start(root, output);
                if (root.TryGetProperty("item", out JsonElement added) && added.ValueKind == JsonValueKind.Object)
                {
                    OnItemAdded(added, output);
                }

                break;
            case "response.function_call_arguments.delta":
            case "response.custom_tool_call_input.delta":
                OnArgumentsDelta(String(root, "item_id"), String(root, "delta"), output);
                break;
            case "response.function_call_arguments.done":
                OnArgumentsDone(String(root, "item_id"), String(root, "arguments"), output);
                break;
            case "response.custom_tool_call_input.done":
                OnArgumentsDone(String(root, "item_id"), String(root, "input"), output);
                break;
            case "response.output_item.done":
                if (root.TryGetProperty("item", out JsonElement done) && done.ValueKind == JsonValueKind.Object)
                {
                    OnItemDone(done, output);
                }

                break;
            case "response.completed":
            case "response.done":
                OnCompleted(root, output);
                break;
            case "response.incomplete":
                OnIncomplete(root, output);
                break;
            case "response.failed":
                OnFailed(root, output);
                break;
            case "error":
                OnError(root, output);
                break;
            default:
                break;
        }
    }

    private void Start(JsonElement root, List<StreamEvent> output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        string id = "", model = "";
        if (root.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.Object)
        {
            id = String(response, "id") ?? "";
            model = String(response, "model") ?? "";
        }

        output.Add(new ResponseStartedEvent(id, model));
    }

    private void OnItemAdded(JsonElement item, List<StreamEvent> output)
    {
        ToolCallKind? kind = KindOf(String(item, "type"));
        if (kind is null)
        {
            return;
        }

        ToolCallState call = Register(item, kind.Value, output);

        // An arguments snapshot on `added` counts only when no delta came, so nothing is doubled.
        string? snapshot = String(item, kind == ToolCallKind.Custom ? "input" : "arguments");
        if (call.Arguments.Length == 0 && !string.IsNullOrEmpty(snapshot))
        {
            call.Arguments.Append(snapshot);
            output.Add(new ToolCallArgumentsDeltaEvent(call.Index, snapshot));
        }
    }

    private ToolCallState Register(JsonElement item, ToolCallKind kind, List<StreamEvent> output)
    {
        string itemId = String(item, "id") ?? String(item, "call_id") ?? "";
        if (_calls.TryGetValue(itemId, out ToolCallState? existing))
        {
            return existing;
        }

        var call = new ToolCallState(_toolCallCount++, String(item, "call_id") ?? itemId, String(item, "name") ?? "", kind, itemId);
        _calls[itemId] = call;
        output.Add(new ToolCallStartedEvent(call.Index, call.CallId, call.Name) { Kind = kind, ItemId = itemId.Length > 0 ? itemId : null });

        // Deltas that outran `output_item.added` were kept by item id.
        if (_earlyDeltas.Remove(itemId, out StringBuilder? early) && early.Length > 0)
        {
            string text = early.ToString();
            call.Arguments.Append(text);
            output.Add(new ToolCallArgumentsDeltaEvent(call.Index, text));
        }

        return call;
    }

    private void OnArgumentsDelta(string? itemId, string? delta, List<StreamEvent> output)
    {
        if (itemId is null || string.IsNullOrEmpty(delta))
        {
            return;
        }

        if (_calls.TryGetValue(itemId, out ToolCallState? call))
        {
            if (!call.Completed)
            {
                call.Arguments.Append(delta);
                output.Add(new ToolCallArgumentsDeltaEvent(call.Index, delta));
            }

            return;
        }

        if (!_earlyDeltas.TryGetValue(itemId, out StringBuilder? buffer))
        {
            buffer = new StringBuilder();
            _earlyDeltas[itemId] = buffer;
        }

        buffer.Append(delta);
    }

    private void OnArgumentsDone(string? itemId, string? snapshot, List<StreamEvent> output)
    {
        if (itemId is not null && _calls.TryGetValue(itemId, out ToolCallState? call))
        {
            Complete(call, snapshot, output);
        }
    }

    private void OnItemDone(JsonElement item, List<StreamEvent> output)
    {
        string? type = String(item, "type");
        if (type == "reasoning")
        {
            if (_reasoningSummary.Length > 0)
            {
                _summaryParts.Add(_reasoningSummary.ToString());
            }

            List<string> parts = SummaryParts(item) is { Count: > 0 } done ? done : [.. _summaryParts];
            var reasoning = new ReasoningPart
            {
                Text = string.Join("\n\n", parts),
                SummaryParts = parts.Count > 1 ? parts : [],
                EncryptedContent = String(item, "encrypted_content"),
                ItemId = String(item, "id"),
            };
            _reasoningSummary.Clear();
            _summaryParts.Clear();
            _summaryIndex = 0;
            output.Add(new ReasoningCompletedEvent(reasoning));
            return;
        }

        if (KindOf(type) is ToolCallKind kind)
        {
            ToolCallState call = Register(item, kind, output);
            Complete(call, String(item, kind == ToolCallKind.Custom ? "input" : "arguments"), output);
        }
    }

    private static void Complete(ToolCallState call, string? snapshot, List<StreamEvent> output)
    {
        if (call.Completed)
        {
            return;
        }

        call.Completed = true;
        string streamed = call.Arguments.ToString();

        // The done snapshot is the upstream's own final text: prefer it, unless it is empty where deltas are not.
        string arguments = !string.IsNullOrEmpty(snapshot) && !(IsEmptyObject(snapshot) && streamed.Length > 0 && !IsEmptyObject(streamed))
            ? snapshot
            : streamed;
        if (call.Kind == ToolCallKind.Function)
        {
            arguments = ToolArguments.Normalize(arguments);
        }

        output.Add(new ToolCallCompletedEvent(call.Index, new ToolCallPart(call.CallId, call.Name, arguments)
        {
            Kind = call.Kind,
            ItemId = call.ItemId.Length > 0 && call.ItemId != call.CallId ? call.ItemId : null,
        }));
    }

    private void OnCompleted(JsonElement root, List<StreamEvent> output)
    {
        Start(root, output);
        CompletePending(output);
        IsCompleted = true;
        Usage usage = ReadUsage(root);
        if (usage != Usage.Empty)
        {
            output.Add(new UsageEvent(usage));
        }

        string? status = root.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.Object
            ? String(response, "status")
            : null;
        output.Add(new ResponseCompletedEvent(_toolCallCount > 0 ? FinishReason.ToolCalls : FinishReason.Stop, usage)
        {
            UpstreamReason = status ?? "completed",
        });
    }

    private void OnIncomplete(JsonElement root, List<StreamEvent> output)
    {
        Start(root, output);
        CompletePending(output);
        IsCompleted = true;
        string? reason = null;
        if (root.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.Object
            && response.TryGetProperty("incomplete_details", out JsonElement details) && details.ValueKind == JsonValueKind.Object)
        {
            reason = String(details, "reason");
        }

        Usage usage = ReadUsage(root);
        if (usage != Usage.Empty)
        {
            output.Add(new UsageEvent(usage));
        }

        output.Add(new ResponseCompletedEvent(reason == "content_filter" ? FinishReason.ContentFilter : FinishReason.Length, usage)
        {
            UpstreamReason = reason ?? "incomplete",
        });
    }

    private void OnFailed(JsonElement root, List<StreamEvent> output)
    {
        IsCompleted = true;
        string? message = null, code = null;
        if (root.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.Object
            && response.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
        {
            message = String(error, "message");
            code = String(error, "code") ?? String(error, "type");
        }

        output.Add(Error(code, message ?? "upstream response failed"));
    }

    private void OnError(JsonElement root, List<StreamEvent> output)
    {
        IsCompleted = true;
        // Either {"type":"error","code","message"} or {"type":"error","error":{"type","code","message"}}.
        bool isNested = root.TryGetProperty("error", out JsonElement nested) && nested.ValueKind == JsonValueKind.Object;
        JsonElement source = isNested ? nested : root;
        string? code = String(source, "code") ?? (isNested ? String(source, "type") : null);
        output.Add(Error(code, String(source, "message") ?? String(root, "message") ?? "upstream stream error"));
    }

    private static StreamErrorEvent Error(string? code, string message)
    {
        int status = code switch
        {
            "rate_limit_exceeded" or "rate_limit" or "rate_limit_error" or "usage_limit_reached" or "insufficient_quota" => 429,
            "server_is_overloaded" or "slow_down" or "overloaded" => 503,
            "context_length_exceeded" or "invalid_prompt" or "invalid_request_error" or "string_above_max_length" => 400,
            "timeout" => 504,
            _ => 502,
        };
        return new StreamErrorEvent(BackendError.Upstream(status, message) with { Code = code });
    }

    /// <summary>Calls the upstream started but never finished are completed with what streamed, before the terminal event.</summary>
    private void CompletePending(List<StreamEvent> output)
    {
        foreach (ToolCallState call in _calls.Values)
        {
            Complete(call, null, output);
        }
    }

    private static Usage ReadUsage(JsonElement root) =>
        root.TryGetProperty("response", out JsonElement response) ? ReadResponseUsage(response) : Usage.Empty;

    /// <summary>The usage of a Responses <c>response</c> object (input, cached, output, reasoning tokens); empty when absent.</summary>
    internal static Usage ReadResponseUsage(JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object
            || !response.TryGetProperty("usage", out JsonElement usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return Usage.Empty;
        }

        return new Usage
        {
            InputTokens = Number(usage, "input_tokens"),
            OutputTokens = Number(usage, "output_tokens"),
            CachedInputTokens = usage.TryGetProperty("input_tokens_details", out JsonElement input) && input.ValueKind == JsonValueKind.Object
                ? Number(input, "cached_tokens")
                : 0,
            ReasoningTokens = usage.TryGetProperty("output_tokens_details", out JsonElement outputDetails) && outputDetails.ValueKind == JsonValueKind.Object
                ? Number(outputDetails, "reasoning_tokens")
                : 0,
        };
    }

    private static List<string> SummaryParts(JsonElement item)
    {
        var parts = new List<string>();
        if (item.TryGetProperty("summary", out JsonElement summary) && summary.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement part in summary.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && String(part, "text") is { Length: > 0 } text)
                {
                    parts.Add(text);
                }
            }
        }

        return parts;
    }

    private static ToolCallKind? KindOf(string? itemType) => itemType switch
    {
        "function_call" => ToolCallKind.Function,
        "custom_tool_call" => ToolCallKind.Custom,
        _ => null,
    };

    private static bool IsEmptyObject(string text) => text.AsSpan().Trim().SequenceEqual("{}");

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : 0;

    private sealed class ToolCallState(int index, string callId, string name, ToolCallKind kind, string itemId)
    {
        public int Index { get; } = index;
        public string CallId { get; } = callId;
        public string Name { get; } = name;
        public ToolCallKind Kind { get; } = kind;
        public string ItemId { get; } = itemId;
        public StringBuilder Arguments { get; } = new();
        public bool Completed { get; set; }
    }
}
