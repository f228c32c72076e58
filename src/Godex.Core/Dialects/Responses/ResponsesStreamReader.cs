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
internal sealed partial class ResponsesStreamReader : IUpstreamStreamReader
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

    /// <inheritdoc />
    public bool ReadsWholeAnswers => false; // godex always asks this dialect for a stream

    /// <summary>Parses one event's JSON data, appending the canonical events it yields to <paramref name="output"/>.</summary>
    public void Feed(SseEvent sse, List<StreamEvent> output) => Feed(sse.Data, output);

    public void Feed(ReadOnlyMemory<byte> data, List<StreamEvent> output)
    {
        if (IsCompleted)
        {
            return;
        }

        var fields = default(EventFields);
        try
        {
            if (!fields.Read(data.Span, skipIgnored: true))
            {
                fields = default;
                fields.Read(data.Span, skipIgnored: false);
            }
        }
        catch (JsonException ex)
        {
            // Every path treats an event that is not JSON the same way: the answer fails (docs/proxy.md, upstream faults).
            IsCompleted = true;
            output.Add(new StreamErrorEvent(BackendError.Upstream(502, $"the upstream sent an event that is not valid JSON: {ex.Message}")));
            return;
        }

        if (fields.IsObject && fields.HasType)
        {
            Dispatch(ref fields, output);
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

    private void Dispatch(ref EventFields fields, List<StreamEvent> output)
    {
        switch (fields.Type)
        {
            case EventType.Created:
                Start(ref fields, output);
                break;
            case EventType.OutputTextDelta:
                Start(ref fields, output);
                if (fields.Delta is { Length: > 0 } text)
                {
                    output.Add(new TextDeltaEvent(text));
                }

                break;
            case EventType.RefusalDelta:
                Start(ref fields, output);
                if (fields.Delta is { Length: > 0 } refusal)
                {
                    output.Add(new RefusalDeltaEvent(refusal));
                }

                break;
            case EventType.ReasoningDelta:
                Start(ref fields, output);
                if (fields.Delta is { Length: > 0 } thinking)
                {
                    // Summary parts stay apart (summary_index); writers with one text join them with a blank line.
                    int part = (int)fields.SummaryIndex;
                    if (part != _summaryIndex && _reasoningSummary.Length > 0)
                    {
                        _summaryParts.Add(_reasoningSummary.ToString());
                        _reasoningSummary.Clear();
                    }

                    _summaryIndex = part;
                    _reasoningSummary.Append(thinking);
                    output.Add(new ReasoningDeltaEvent(thinking) { ItemId = fields.ItemId, SummaryIndex = part });
                }

                break;
            case EventType.OutputItemAdded:
                Start(ref fields, output);
                if (fields.ItemIsObject)
                {
                    OnItemAdded(ref fields, output);
                }

                break;
            case EventType.ArgumentsDelta:
                OnArgumentsDelta(fields.ItemId, fields.Delta, output);
                break;
            case EventType.ArgumentsDone:
                OnArgumentsDone(fields.ItemId, fields.Arguments, output);
                break;
            case EventType.CustomInputDone:
                OnArgumentsDone(fields.ItemId, fields.Input, output);
                break;
            case EventType.OutputItemDone:
                if (fields.ItemIsObject)
                {
                    OnItemDone(ref fields, output);
                }

                break;
            case EventType.Completed:
                OnCompleted(ref fields, output);
                break;
            case EventType.Incomplete:
                OnIncomplete(ref fields, output);
                break;
            case EventType.Failed:
                OnFailed(ref fields, output);
                break;
            case EventType.Error:
                OnError(ref fields, output);
                break;
            default:
                break;
        }
    }

    private void Start(ref EventFields fields, List<StreamEvent> output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        string id = "", model = "";
        if (fields.ResponseIsObject)
        {
            id = fields.ResponseId ?? "";
            model = fields.ResponseModel ?? "";
        }

        output.Add(new ResponseStartedEvent(id, model));
    }

    private void OnItemAdded(ref EventFields item, List<StreamEvent> output)
    {
        ToolCallKind? kind = KindOf(item.ItemType);
        if (kind is null)
        {
            return;
        }

        ToolCallState call = Register(ref item, kind.Value, output);

        // An arguments snapshot on `added` counts only when no delta came, so nothing is doubled.
        string? snapshot = kind == ToolCallKind.Custom ? item.ItemInput : item.ItemArguments;
        if (call.Arguments.Length == 0 && !string.IsNullOrEmpty(snapshot))
        {
            call.Arguments.Append(snapshot);
            output.Add(new ToolCallArgumentsDeltaEvent(call.Index, snapshot));
        }
    }

    private ToolCallState Register(ref EventFields item, ToolCallKind kind, List<StreamEvent> output)
    {
        string itemId = item.ItemIdentifier ?? item.ItemCallId ?? "";
        if (_calls.TryGetValue(itemId, out ToolCallState? existing))
        {
            return existing;
        }

        var call = new ToolCallState(_toolCallCount++, item.ItemCallId ?? itemId, item.ItemName ?? "", kind, itemId);
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

    private void OnItemDone(ref EventFields item, List<StreamEvent> output)
    {
        string? type = item.ItemType;
        if (type == "reasoning")
        {
            if (_reasoningSummary.Length > 0)
            {
                _summaryParts.Add(_reasoningSummary.ToString());
            }

            List<string> parts = item.ItemSummary is { Count: > 0 } done ? done : [.. _summaryParts];
            var reasoning = new ReasoningPart
            {
                Text = string.Join("\n\n", parts),
                SummaryParts = parts.Count > 1 ? parts : [],
                EncryptedContent = item.ItemEncryptedContent,
                ItemId = item.ItemIdentifier,
            };
            _reasoningSummary.Clear();
            _summaryParts.Clear();
            _summaryIndex = 0;
            output.Add(new ReasoningCompletedEvent(reasoning));
            return;
        }

        if (KindOf(type) is ToolCallKind kind)
        {
            ToolCallState call = Register(ref item, kind, output);
            Complete(call, kind == ToolCallKind.Custom ? item.ItemInput : item.ItemArguments, output);
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

    private void OnCompleted(ref EventFields fields, List<StreamEvent> output)
    {
        Start(ref fields, output);
        CompletePending(output);
        IsCompleted = true;
        Usage usage = fields.ResponseIsObject ? fields.Usage : Usage.Empty;
        if (usage != Usage.Empty)
        {
            output.Add(new UsageEvent(usage));
        }

        string? status = fields.ResponseIsObject ? fields.ResponseStatus : null;
        output.Add(new ResponseCompletedEvent(_toolCallCount > 0 ? FinishReason.ToolCalls : FinishReason.Stop, usage)
        {
            UpstreamReason = status ?? "completed",
        });
    }

    private void OnIncomplete(ref EventFields fields, List<StreamEvent> output)
    {
        Start(ref fields, output);
        CompletePending(output);
        IsCompleted = true;
        string? reason = fields.IncompleteReason;
        Usage usage = fields.ResponseIsObject ? fields.Usage : Usage.Empty;
        if (usage != Usage.Empty)
        {
            output.Add(new UsageEvent(usage));
        }

        output.Add(new ResponseCompletedEvent(reason == "content_filter" ? FinishReason.ContentFilter : FinishReason.Length, usage)
        {
            UpstreamReason = reason ?? "incomplete",
        });
    }

    private void OnFailed(ref EventFields fields, List<StreamEvent> output)
    {
        IsCompleted = true;
        string? message = null, code = null;
        if (fields.ResponseErrorIsObject)
        {
            message = fields.ResponseErrorMessage;
            code = fields.ResponseErrorCode ?? fields.ResponseErrorType;
        }

        output.Add(Error(code, message ?? "upstream response failed"));
    }

    private void OnError(ref EventFields fields, List<StreamEvent> output)
    {
        IsCompleted = true;
        // Either {"type":"error","code","message"} or {"type":"error","error":{"type","code","message"}}.
        string? code = fields.ErrorIsObject ? fields.ErrorCode ?? fields.ErrorType : fields.Code;
        string? message = fields.ErrorIsObject ? fields.ErrorMessage : null;
        output.Add(Error(code, message ?? fields.Message ?? "upstream stream error"));
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

    private static ToolCallKind? KindOf(string? itemType) => itemType switch
    {
        "function_call" => ToolCallKind.Function,
        "custom_tool_call" => ToolCallKind.Custom,
        _ => null,
    };

    private static bool IsEmptyObject(string text) => text.AsSpan().Trim().SequenceEqual("{}");

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
