using System.Buffers;
using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// Renders the canonical event stream of one turn as Responses API events, in the official order
/// (test/fixtures/openai-responses-real, test/fixtures/openai-openapi/responses-stream-events.json):
/// <code>
/// response.created, response.in_progress
/// per item: output_item.added
///   reasoning: reasoning_summary_part.added, reasoning_summary_text.delta*, .done, reasoning_summary_part.done
///   message:   content_part.added, output_text.delta* (or refusal.delta*), .done, content_part.done
///   function_call: function_call_arguments.delta*, .done    custom_tool_call: custom_tool_call_input.delta*, .done
/// output_item.done
/// response.completed | response.incomplete | response.failed
/// </code>
/// Every event carries <c>sequence_number</c>. With no <see cref="SseWriter"/> nothing is written, and the renderer
/// only builds the final response object (non-streaming callers get exactly what a stream would have ended with).
/// </summary>
internal sealed class ResponsesStreamWriter : IClientStreamWriter
{
    private static readonly JsonWriterOptions s_itemOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly SseWriter? _sse;
    private readonly ResponsesRequest _request;
    private readonly List<byte[]?> _output = [];
    private readonly Dictionary<int, CallState> _calls = [];
    private ReasoningState? _reasoning;
    private MessageState? _message;
    private Usage _usage = Usage.Empty;
    private int _sequence;
    private string _status = "in_progress";
    private string? _incompleteReason;
    private BackendError? _error;

    public ResponsesStreamWriter(SseWriter? sse, ResponsesRequest request, string responseId, long createdAt, string model)
    {
        _sse = sse;
        _request = request;
        ResponseId = responseId;
        CreatedAt = createdAt;
        Model = model;
    }

    public string ResponseId { get; }

    /// <summary>
    /// Runs once the response is final, before its terminal event is written (to store it first). An error it returns
    /// ends the response with <c>response.failed</c> instead: a response that was to be stored and could not be is
    /// not complete for a client that will chain on it.
    /// </summary>
    public Func<ResponsesStreamWriter, ValueTask<BackendError?>>? BeforeTerminal { get; init; }

    public long CreatedAt { get; }

    public string Model { get; }

    /// <summary><c>in_progress</c>, then <c>completed</c>, <c>incomplete</c> or <c>failed</c>.</summary>
    public string Status => _status;

    /// <summary>Why the response failed (<c>response.failed</c>), or null.</summary>
    public BackendError? Error => _error;

    /// <summary>True once a terminal event was rendered.</summary>
    public bool IsCompleted => _status != "in_progress";

    /// <summary>The finished output items as JSON, in output order.</summary>
    public IEnumerable<byte[]> OutputItems => _output.Where(item => item is not null)!;

    /// <summary>An SSE comment: every client's parser skips it.</summary>
    public ValueTask WriteKeepAliveAsync(CancellationToken cancellationToken) =>
        _sse is null ? ValueTask.CompletedTask : _sse.WriteCommentAsync("keep-alive", cancellationToken);

    /// <summary>Writes <c>response.created</c> and <c>response.in_progress</c>.</summary>
    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        await EmitAsync("response.created", w => WriteResponseProperty(w), cancellationToken);
        await EmitAsync("response.in_progress", w => WriteResponseProperty(w), cancellationToken);
    }

    /// <summary>Renders one event; returns true when it was terminal.</summary>
    public async ValueTask<bool> WriteAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        switch (streamEvent)
        {
            case ReasoningDeltaEvent delta:
                await ReasoningDeltaAsync(delta.Text, delta.ItemId, delta.SummaryIndex, cancellationToken);
                break;

            case ReasoningCompletedEvent completed:
                await ReasoningCompletedAsync(completed.Reasoning, cancellationToken);
                break;

            case TextDeltaEvent text:
                await MessageDeltaAsync(text.Text, refusal: false, cancellationToken);
                break;

            case RefusalDeltaEvent refusal:
                await MessageDeltaAsync(refusal.Text, refusal: true, cancellationToken);
                break;

            case ToolCallStartedEvent started:
                await StartCallAsync(started.Index, started.CallId, started.Name, started.Kind, started.ItemId, cancellationToken);
                break;

            case ToolCallArgumentsDeltaEvent delta:
                if (_calls.TryGetValue(delta.Index, out CallState? call) && !call.Done && delta.Delta.Length > 0)
                {
                    if (call.Unwrap)
                    {
                        // JSON around the freeform input: nothing the client could use until it is complete.
                        call.Wrapped.Append(delta.Delta);
                        break;
                    }

                    call.Streamed.Append(delta.Delta);
                    await EmitAsync(call.Custom ? "response.custom_tool_call_input.delta" : "response.function_call_arguments.delta", (call.ItemId, call.OutputIndex, delta.Delta), static (w, s) =>
                    {
                        w.WriteString("item_id"u8, s.ItemId);
                        w.WriteNumber("output_index"u8, s.OutputIndex);
                        w.WriteString("delta"u8, s.Delta);
                    }, cancellationToken);
                }

                break;

            case ToolCallCompletedEvent completed:
                await CompleteCallAsync(completed.Index, completed.Call, cancellationToken);
                break;

            case UsageEvent usage:
                _usage = usage.Usage;
                break;

            case ResponseCompletedEvent completed:
                if (completed.Usage != Usage.Empty)
                {
                    _usage = completed.Usage;
                }

                await CloseOpenItemsAsync(cancellationToken);
                if (completed.FinishReason == FinishReason.Length)
                {
                    _status = "incomplete";
                    _incompleteReason = "max_output_tokens";
                }
                else if (completed.FinishReason == FinishReason.ContentFilter)
                {
                    _status = "incomplete";
                    _incompleteReason = "content_filter";
                }
                else
                {
                    _status = "completed";
                }

                if (BeforeTerminal is { } beforeTerminal && await beforeTerminal(this) is { } failed)
                {
                    await WriteErrorAsync(failed, cancellationToken);
                    return true;
                }

                await EmitAsync(_status == "completed" ? "response.completed" : "response.incomplete", w => WriteResponseProperty(w), cancellationToken);
                return true;

            case StreamErrorEvent error:
                await WriteErrorAsync(error.Error, cancellationToken);
                return true;
        }

        return false;
    }

    /// <summary>Ends the response with <c>response.failed</c> (the status line is long gone).</summary>
    public async ValueTask WriteErrorAsync(BackendError error, CancellationToken cancellationToken)
    {
        _status = "failed";
        _error = error;
        await EmitAsync("response.failed", w => WriteResponseProperty(w), cancellationToken);
    }

    /// <summary>The response object as it stands (what <c>response.completed</c> carries).</summary>
    public void WriteResponse(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("id", ResponseId);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", CreatedAt);
        w.WriteString("status", _status);
        w.WriteBoolean("background", false);
        if (_error is { } error)
        {
            w.WriteStartObject("error");
            w.WriteString("code", ErrorCode(error));
            w.WriteString("message", error.Message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error");
        }

        if (_incompleteReason is not null)
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", _incompleteReason);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        WriteStringOrNull(w, "instructions", _request.Instructions);
        WriteNumberOrNull(w, "max_output_tokens", _request.MaxOutputTokens);
        w.WriteNull("max_tool_calls");
        w.WriteString("model", Model);
        w.WriteStartArray("output");
        foreach (byte[] item in OutputItems)
        {
            w.WriteRawValue(item, skipInputValidation: true);
        }

        w.WriteEndArray();
        w.WriteBoolean("parallel_tool_calls", _request.ParallelToolCalls ?? true);
        WriteStringOrNull(w, "previous_response_id", _request.PreviousResponseId);
        WriteStringOrNull(w, "prompt_cache_key", _request.PromptCacheKey);
        w.WriteStartObject("reasoning");
        WriteStringOrNull(w, "effort", _request.Reasoning?.Effort);
        WriteStringOrNull(w, "summary", _request.Reasoning?.Summary);
        w.WriteEndObject();
        w.WriteNull("safety_identifier");
        w.WriteString("service_tier", "default");
        w.WriteBoolean("store", _request.Store);
        w.WriteNumber("temperature", _request.Temperature ?? 1.0);
        w.WritePropertyName("text");
        if (_request.TextJson is JsonElement text && text.TryGetProperty("format", out _))
        {
            text.WriteTo(w);
        }
        else
        {
            w.WriteStartObject();
            w.WriteStartObject("format");
            w.WriteString("type", "text");
            w.WriteEndObject();
            if (_request.Verbosity is not null)
            {
                w.WriteString("verbosity", _request.Verbosity);
            }

            w.WriteEndObject();
        }

        w.WritePropertyName("tool_choice");
        if (_request.ToolChoiceJson is JsonElement choice)
        {
            choice.WriteTo(w);
        }
        else
        {
            w.WriteStringValue("auto");
        }

        w.WritePropertyName("tools");
        if (_request.ToolsJson is JsonElement tools)
        {
            tools.WriteTo(w);
        }
        else
        {
            w.WriteStartArray();
            w.WriteEndArray();
        }

        w.WriteNumber("top_p", _request.TopP ?? 1.0);
        w.WriteString("truncation", "disabled");
        if (IsCompleted && _status != "failed")
        {
            WriteUsage(w, _usage);
        }
        else
        {
            w.WriteNull("usage");
        }

        WriteStringOrNull(w, "user", _request.User);
        w.WritePropertyName("metadata");
        if (_request.Metadata is JsonElement metadata)
        {
            metadata.WriteTo(w);
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, Usage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", usage.InputTokens);
        w.WriteStartObject("input_tokens_details");
        w.WriteNumber("cached_tokens", usage.CachedInputTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", usage.OutputTokens);
        w.WriteStartObject("output_tokens_details");
        w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteEndObject();
    }

    private static string ErrorCode(BackendError error) => error.Code ?? error.Status switch
    {
        429 => "rate_limit_exceeded",
        400 or 413 or 422 => "invalid_prompt",
        _ => "server_error",
    };

    private void WriteResponseProperty(Utf8JsonWriter w)
    {
        w.WritePropertyName("response");
        WriteResponse(w);
    }

    // ---- reasoning ----

    private async ValueTask<ReasoningState> OpenReasoningAsync(string? itemId, CancellationToken cancellationToken)
    {
        if (_reasoning is { } open)
        {
            return open;
        }

        await CloseMessageAsync(cancellationToken);
        var state = new ReasoningState(_output.Count, itemId ?? NewId("rs_"));
        _output.Add(null);
        _reasoning = state;
        await EmitAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", state.OutputIndex);
            w.WriteStartObject("item");
            w.WriteString("id", state.ItemId);
            w.WriteString("type", "reasoning");
            w.WriteStartArray("summary");
            w.WriteEndArray();
            w.WriteEndObject();
        }, cancellationToken);
        return state;
    }

    private async ValueTask ReasoningDeltaAsync(string text, string? itemId, int upstreamPart, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            return;
        }

        ReasoningState state = await OpenReasoningAsync(itemId, cancellationToken);
        if (state.PartOpen && upstreamPart != state.UpstreamPart)
        {
            // The upstream's summary has several parts: each stays a part of its own, as the upstream sent them.
            await CloseSummaryPartAsync(state, cancellationToken);
        }

        state.UpstreamPart = upstreamPart;
        await OpenSummaryPartAsync(state, cancellationToken);
        state.Text.Append(text);
        await EmitAsync("response.reasoning_summary_text.delta", (state.ItemId, state.OutputIndex, SummaryIndex: state.Done.Count, Text: text), static (w, s) =>
        {
            w.WriteString("item_id"u8, s.ItemId);
            w.WriteNumber("output_index"u8, s.OutputIndex);
            w.WriteNumber("summary_index"u8, s.SummaryIndex);
            w.WriteString("delta"u8, s.Text);
        }, cancellationToken);
    }

    private async ValueTask OpenSummaryPartAsync(ReasoningState state, CancellationToken cancellationToken)
    {
        if (state.PartOpen)
        {
            return;
        }

        state.PartOpen = true;
        int index = state.Done.Count;
        await EmitAsync("response.reasoning_summary_part.added", w => WriteSummaryPart(w, state, index, ""), cancellationToken);
    }

    private async ValueTask CloseSummaryPartAsync(ReasoningState state, CancellationToken cancellationToken)
    {
        if (!state.PartOpen)
        {
            return;
        }

        state.PartOpen = false;
        int index = state.Done.Count;
        string text = state.Text.ToString();
        state.Done.Add(text);
        state.Text.Clear();
        await EmitAsync("response.reasoning_summary_text.done", w =>
        {
            w.WriteString("item_id", state.ItemId);
            w.WriteNumber("output_index", state.OutputIndex);
            w.WriteNumber("summary_index", index);
            w.WriteString("text", text);
        }, cancellationToken);
        await EmitAsync("response.reasoning_summary_part.done", w => WriteSummaryPart(w, state, index, text), cancellationToken);
    }

    private static void WriteSummaryPart(Utf8JsonWriter w, ReasoningState state, int index, string text)
    {
        w.WriteString("item_id", state.ItemId);
        w.WriteNumber("output_index", state.OutputIndex);
        w.WriteNumber("summary_index", index);
        w.WriteStartObject("part");
        w.WriteString("type", "summary_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    private async ValueTask ReasoningCompletedAsync(ReasoningPart reasoning, CancellationToken cancellationToken)
    {
        ReasoningState state = await OpenReasoningAsync(reasoning.ItemId, cancellationToken);
        if (state.Done.Count == 0 && state.Text.Length == 0)
        {
            // Nothing streamed: the block's own parts, each a part of its own.
            IReadOnlyList<string> parts = reasoning.SummaryOrText;
            for (int i = 0; i < parts.Count; i++)
            {
                await ReasoningDeltaAsync(parts[i], null, i, cancellationToken);
            }
        }
        else if (reasoning.SummaryParts.Count == 0)
        {
            // The block's text is authoritative: what was not streamed yet goes into the open part.
            string streamed = string.Join("\n\n", [.. state.Done, state.Text.ToString()]);
            if (reasoning.Text.Length > streamed.Length && reasoning.Text.StartsWith(streamed, StringComparison.Ordinal))
            {
                await ReasoningDeltaAsync(reasoning.Text[streamed.Length..], null, state.UpstreamPart, cancellationToken);
            }
        }

        await CloseReasoningAsync(reasoning, cancellationToken);
    }

    private async ValueTask CloseReasoningAsync(ReasoningPart? reasoning, CancellationToken cancellationToken)
    {
        if (_reasoning is not { } state)
        {
            return;
        }

        _reasoning = null;
        await CloseSummaryPartAsync(state, cancellationToken);

        // The item carries the upstream's own parts when it gave them (its done snapshot is authoritative), else what streamed.
        IReadOnlyList<string> parts = reasoning is { SummaryParts.Count: > 0 } ? reasoning.SummaryParts : state.Done;
        string? encrypted = reasoning is null
            ? null
            : ResponsesReasoningEnvelope.Encode(reasoning with { Text = string.Join("\n\n", parts), SummaryParts = parts.Count > 1 ? parts : [] });
        byte[] item = Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", state.ItemId);
            w.WriteString("type", "reasoning");
            w.WriteStartArray("summary");
            foreach (string text in parts)
            {
                w.WriteStartObject();
                w.WriteString("type", "summary_text");
                w.WriteString("text", text);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (encrypted is not null)
            {
                w.WriteString("encrypted_content", encrypted);
            }

            w.WriteEndObject();
        });
        await ItemDoneAsync(state.OutputIndex, item, cancellationToken);
    }

    // ---- message ----

    private async ValueTask MessageDeltaAsync(string text, bool refusal, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            return;
        }

        await CloseReasoningAsync(null, cancellationToken);
        MessageState state = _message ?? await OpenMessageAsync(cancellationToken);
        if (state.PartOpen && state.PartIsRefusal != refusal)
        {
            await ClosePartAsync(state, cancellationToken);
        }

        if (!state.PartOpen)
        {
            await OpenPartAsync(state, refusal, cancellationToken);
        }

        // Called for every token: the delta's writer is static and takes its values as state, so nothing is allocated here.
        state.Text.Append(text);
        await EmitAsync(refusal ? "response.refusal.delta" : "response.output_text.delta", (state.ItemId, state.OutputIndex, ContentIndex: state.Parts.Count, Text: text, Refusal: refusal), static (w, s) =>
        {
            w.WriteString("item_id"u8, s.ItemId);
            w.WriteNumber("output_index"u8, s.OutputIndex);
            w.WriteNumber("content_index"u8, s.ContentIndex);
            w.WriteString("delta"u8, s.Text);
            if (!s.Refusal)
            {
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
            }
        }, cancellationToken);
    }

    private async ValueTask<MessageState> OpenMessageAsync(CancellationToken cancellationToken)
    {
        var created = new MessageState(_output.Count, NewId("msg_"));
        _output.Add(null);
        _message = created;
        await EmitAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", created.OutputIndex);
            w.WriteStartObject("item");
            w.WriteString("id", created.ItemId);
            w.WriteString("type", "message");
            w.WriteString("status", "in_progress");
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteString("role", "assistant");
            w.WriteEndObject();
        }, cancellationToken);
        return created;
    }

    private async ValueTask OpenPartAsync(MessageState state, bool refusal, CancellationToken cancellationToken)
    {
        state.PartOpen = true;
        state.PartIsRefusal = refusal;
        int contentIndex = state.Parts.Count;
        await EmitAsync("response.content_part.added", w =>
        {
            w.WriteString("item_id", state.ItemId);
            w.WriteNumber("output_index", state.OutputIndex);
            w.WriteNumber("content_index", contentIndex);
            w.WritePropertyName("part");
            WritePart(w, refusal, "");
        }, cancellationToken);
    }

    private static void WritePart(Utf8JsonWriter w, bool refusal, string text)
    {
        w.WriteStartObject();
        if (refusal)
        {
            w.WriteString("type", "refusal");
            w.WriteString("refusal", text);
        }
        else
        {
            w.WriteString("type", "output_text");
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
            w.WriteString("text", text);
        }

        w.WriteEndObject();
    }

    private async ValueTask ClosePartAsync(MessageState state, CancellationToken cancellationToken)
    {
        if (!state.PartOpen)
        {
            return;
        }

        state.PartOpen = false;
        bool refusal = state.PartIsRefusal;
        string text = state.Text.ToString();
        state.Text.Clear();
        int index = state.Parts.Count;
        state.Parts.Add((refusal, text));
        await EmitAsync(refusal ? "response.refusal.done" : "response.output_text.done", w =>
        {
            w.WriteString("item_id", state.ItemId);
            w.WriteNumber("output_index", state.OutputIndex);
            w.WriteNumber("content_index", index);
            w.WriteString(refusal ? "refusal" : "text", text);
            if (!refusal)
            {
                w.WriteStartArray("logprobs");
                w.WriteEndArray();
            }
        }, cancellationToken);
        await EmitAsync("response.content_part.done", w =>
        {
            w.WriteString("item_id", state.ItemId);
            w.WriteNumber("output_index", state.OutputIndex);
            w.WriteNumber("content_index", index);
            w.WritePropertyName("part");
            WritePart(w, refusal, text);
        }, cancellationToken);
    }

    private async ValueTask CloseMessageAsync(CancellationToken cancellationToken)
    {
        if (_message is not { } state)
        {
            return;
        }

        _message = null;
        await ClosePartAsync(state, cancellationToken);
        byte[] item = Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", state.ItemId);
            w.WriteString("type", "message");
            w.WriteString("status", "completed");
            w.WriteStartArray("content");
            foreach ((bool refusal, string text) in state.Parts)
            {
                WritePart(w, refusal, text);
            }

            w.WriteEndArray();
            w.WriteString("role", "assistant");
            w.WriteEndObject();
        });
        await ItemDoneAsync(state.OutputIndex, item, cancellationToken);
    }

    // ---- tool calls ----

    private async ValueTask<CallState> StartCallAsync(int index, string callId, string name, ToolCallKind kind, string? itemId, CancellationToken cancellationToken)
    {
        if (_calls.TryGetValue(index, out CallState? existing))
        {
            return existing;
        }

        await CloseReasoningAsync(null, cancellationToken);
        await CloseMessageAsync(cancellationToken);
        // Upstreams without freeform tools (Anthropic, chat) get a custom tool as a function taking {"input": string};
        // its calls come back as function calls and are unwrapped here into custom_tool_call items.
        bool unwrap = kind == ToolCallKind.Function && IsCustomTool(name);
        bool custom = kind == ToolCallKind.Custom || unwrap;
        var state = new CallState(_output.Count, itemId ?? NewId(custom ? "ctc_" : "fc_"), callId, name, custom) { Unwrap = unwrap };
        _output.Add(null);
        _calls[index] = state;
        await EmitAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", state.OutputIndex);
            w.WritePropertyName("item");
            WriteCallItem(w, state, "in_progress", "");
        }, cancellationToken);
        return state;
    }

    private static void WriteCallItem(Utf8JsonWriter w, CallState state, string status, string arguments)
    {
        w.WriteStartObject();
        w.WriteString("id", state.ItemId);
        w.WriteString("type", state.Custom ? "custom_tool_call" : "function_call");
        w.WriteString("status", status);
        w.WriteString(state.Custom ? "input" : "arguments", arguments);
        w.WriteString("call_id", state.CallId);
        w.WriteString("name", state.Name);
        w.WriteEndObject();
    }

    private async ValueTask CompleteCallAsync(int index, ToolCallPart call, CancellationToken cancellationToken)
    {
        CallState state = await StartCallAsync(index, call.CallId, call.Name, call.Kind, call.ItemId, cancellationToken);
        if (state.Done)
        {
            return;
        }

        // The done snapshot is authoritative (godex 0.8.14: the upstream may stream nothing and put the arguments
        // in the snapshot); what the client has not seen yet is streamed first, and `.done` carries the final text.
        string streamed = state.Streamed.ToString();
        string final = state.Unwrap
            ? UnwrapCustomInput(call.Arguments.Length > 0 ? call.Arguments : state.Wrapped.ToString())
            : call.Arguments.Length > 0 ? call.Arguments : streamed;
        if (!state.Custom && final.Length == 0)
        {
            final = "{}";
        }

        string remainder = final.StartsWith(streamed, StringComparison.Ordinal) ? final[streamed.Length..] : "";
        if (remainder.Length > 0)
        {
            state.Unwrap = false;
            await WriteAsync(new ToolCallArgumentsDeltaEvent(index, remainder), cancellationToken);
        }

        await FinishCallAsync(state, final, cancellationToken);
    }

    private async ValueTask FinishCallAsync(CallState state, string final, CancellationToken cancellationToken)
    {
        state.Done = true;
        await EmitAsync(state.Custom ? "response.custom_tool_call_input.done" : "response.function_call_arguments.done", w =>
        {
            w.WriteString("item_id", state.ItemId);
            w.WriteNumber("output_index", state.OutputIndex);
            if (!state.Custom)
            {
                w.WriteString("name", state.Name);
            }

            w.WriteString(state.Custom ? "input" : "arguments", final);
        }, cancellationToken);
        await ItemDoneAsync(state.OutputIndex, Json(w => WriteCallItem(w, state, "completed", final)), cancellationToken);
    }

    private async ValueTask CloseOpenItemsAsync(CancellationToken cancellationToken)
    {
        await CloseReasoningAsync(null, cancellationToken);
        await CloseMessageAsync(cancellationToken);
        foreach ((int index, CallState call) in _calls.OrderBy(c => c.Value.OutputIndex).ToList())
        {
            if (!call.Done)
            {
                // Never completed upstream: finish with what streamed (CompleteCallAsync's fallback).
                await CompleteCallAsync(index, new ToolCallPart(call.CallId, call.Name, "") { Kind = call.Custom && !call.Unwrap ? ToolCallKind.Custom : ToolCallKind.Function }, cancellationToken);
            }
        }
    }

    private bool IsCustomTool(string name)
    {
        foreach (ChatTool tool in _request.Tools)
        {
            if (tool.Kind == ToolCallKind.Custom && string.Equals(tool.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>{"input":"..."}</c> → the string; anything else is kept as the raw text.</summary>
    private static string UnwrapCustomInput(string arguments)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(arguments);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("input", out JsonElement input)
                && input.ValueKind == JsonValueKind.String)
            {
                return input.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON: the model wrote the input itself.
        }

        return arguments;
    }

    // ---- plumbing ----

    private async ValueTask ItemDoneAsync(int outputIndex, byte[] item, CancellationToken cancellationToken)
    {
        _output[outputIndex] = item;
        await EmitAsync("response.output_item.done", w =>
        {
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            w.WriteRawValue(item, skipInputValidation: true);
        }, cancellationToken);
    }

    private ValueTask EmitAsync(string type, Action<Utf8JsonWriter> body, CancellationToken cancellationToken) =>
        EmitAsync(type, body, static (w, body) => body(w), cancellationToken);

    /// <summary>One event: its type, its sequence number, then what <paramref name="body"/> writes from <paramref name="state"/>.</summary>
    private ValueTask EmitAsync<TState>(string type, TState state, Action<Utf8JsonWriter, TState> body, CancellationToken cancellationToken)
    {
        int sequence = _sequence++;
        if (_sse is null)
        {
            return ValueTask.CompletedTask;
        }

        return _sse.WriteAsync(type, (Type: type, Sequence: sequence, State: state, Body: body), static (w, e) =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, e.Type);
            w.WriteNumber("sequence_number"u8, e.Sequence);
            e.Body(w, e.State);
            w.WriteEndObject();
        }, cancellationToken);
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_itemOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int number)
        {
            w.WriteNumber(name, number);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>An item id in the API's style: a prefix and 48 hex digits.</summary>
    internal static string NewId(string prefix) => RandomIds.Create(prefix, RandomIds.LowerHex, 48);

    private sealed class ReasoningState(int outputIndex, string itemId)
    {
        public int OutputIndex { get; } = outputIndex;
        public string ItemId { get; } = itemId;

        /// <summary>The summary parts already closed, in order.</summary>
        public List<string> Done { get; } = [];

        /// <summary>The open part's text.</summary>
        public StringBuilder Text { get; } = new();

        /// <summary>The upstream's summary_index of the open part.</summary>
        public int UpstreamPart { get; set; }

        public bool PartOpen { get; set; }
    }

    private sealed class MessageState(int outputIndex, string itemId)
    {
        public int OutputIndex { get; } = outputIndex;
        public string ItemId { get; } = itemId;
        public StringBuilder Text { get; } = new();
        public List<(bool Refusal, string Text)> Parts { get; } = [];
        public bool PartOpen { get; set; }
        public bool PartIsRefusal { get; set; }
    }

    private sealed class CallState(int outputIndex, string itemId, string callId, string name, bool custom)
    {
        public int OutputIndex { get; } = outputIndex;
        public string ItemId { get; } = itemId;
        public string CallId { get; } = callId;
        public string Name { get; } = name;
        public bool Custom { get; } = custom;
        public StringBuilder Streamed { get; } = new();
        public StringBuilder Wrapped { get; } = new();
        public bool Unwrap { get; set; }
        public bool Done { get; set; }
    }
}
