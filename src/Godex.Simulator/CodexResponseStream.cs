using System.Text;
using System.Text.Json;
using Godex.Core.Sse;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// Streams one planned turn as Responses API events, in the order and with the fields of the recorded o3 stream
/// (test/fixtures/openai-responses-real/o3-function-call.stream.sse) and the OpenAPI event schemas:
/// created, in_progress, [reasoning item], [message item | tool call item], completed | incomplete.
/// </summary>
internal sealed class CodexResponseStream
{
    private readonly HttpContext _context;
    private readonly SimulatorState _state;
    private readonly JsonElement _request;
    private readonly SimulatorPacer _pacer;
    private readonly List<Action<Utf8JsonWriter>> _output = [];
    private readonly string _responseId;
    private readonly long _createdAt;
    private SseWriter? _writer;
    private int _sequence;

    public CodexResponseStream(HttpContext context, SimulatorState state, JsonElement request, SimulatorPacer pacer)
    {
        _context = context;
        _state = state;
        _request = request;
        _pacer = pacer;
        _responseId = state.NextId("resp_", 48);
        _createdAt = state.UnixNow;
    }

    private CancellationToken Aborted => _context.RequestAborted;

    /// <summary>
    /// The backend's in-band overload: a 200 stream that says <c>response.created</c> and then fails with
    /// <c>server_is_overloaded</c> before any content (gateways.md §2.2).
    /// </summary>
    public async Task WriteOverloadedAsync()
    {
        using SseWriter writer = SimulatorHttp.StartSse(_context);
        _writer = writer;
        await EmitAsync("response.created", w => WriteResponse(w, "in_progress", plan: null));
        await EmitAsync("error", w =>
        {
            w.WriteString("code", "server_is_overloaded");
            w.WriteString("message", "Our servers are currently overloaded. Please try again later.");
            w.WriteNull("param");
        });
    }

    public async Task WriteAsync(SimulatorPlan plan, bool refusal)
    {
        using SseWriter writer = SimulatorHttp.StartSse(_context);
        _writer = writer;
        await EmitAsync("response.created", w => WriteResponse(w, "in_progress", plan: null));
        await EmitAsync("response.in_progress", w => WriteResponse(w, "in_progress", plan: null));

        bool incomplete = plan.Stop == SimulatorStop.MaxTokens;
        if (plan.ReasoningDeltas.Count > 0 && !await WriteReasoningAsync(plan))
        {
            return;
        }

        if (plan.ToolCall is { } call)
        {
            if (!await WriteToolCallAsync(call))
            {
                return;
            }
        }
        else if (!await WriteMessageAsync(plan.TextDeltas, refusal, incomplete))
        {
            return;
        }

        if (await _pacer.CutBeforeEndAsync(Aborted))
        {
            return;
        }

        await EmitAsync(incomplete ? "response.incomplete" : "response.completed", w => WriteResponse(w, incomplete ? "incomplete" : "completed", plan));
    }

    private async Task<bool> WriteReasoningAsync(SimulatorPlan plan)
    {
        string id = _state.NextId("rs_", 48);
        int index = _output.Count;
        string text = plan.Reasoning;
        bool encrypted = Includes("reasoning.encrypted_content");
        await EmitAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WriteStartObject("item");
            w.WriteString("id", id);
            w.WriteString("type", "reasoning");
            w.WriteStartArray("summary");
            w.WriteEndArray();
            w.WriteEndObject();
        });
        await EmitAsync("response.reasoning_summary_part.added", w =>
        {
            WriteItemRef(w, id, index);
            w.WriteNumber("summary_index", 0);
            WriteSummaryPart(w, string.Empty);
        });
        foreach (string delta in plan.ReasoningDeltas)
        {
            if (!await _pacer.NextDeltaAsync(Aborted))
            {
                return false;
            }

            await EmitAsync("response.reasoning_summary_text.delta", w =>
            {
                WriteItemRef(w, id, index);
                w.WriteNumber("summary_index", 0);
                w.WriteString("delta", delta);
                w.WriteString("obfuscation", SimulatorHttp.Obfuscation(delta));
            });
        }

        await EmitAsync("response.reasoning_summary_text.done", w =>
        {
            WriteItemRef(w, id, index);
            w.WriteNumber("summary_index", 0);
            w.WriteString("text", text);
        });
        await EmitAsync("response.reasoning_summary_part.done", w =>
        {
            WriteItemRef(w, id, index);
            w.WriteNumber("summary_index", 0);
            WriteSummaryPart(w, text);
        });

        // Stands in for the real opaque blob: clients only echo it back in the next turn's input.
        string blob = Convert.ToBase64String(Encoding.UTF8.GetBytes("godex-simulator-reasoning:" + id));
        void WriteItem(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("type", "reasoning");
            w.WriteStartArray("summary");
            w.WriteStartObject();
            w.WriteString("type", "summary_text");
            w.WriteString("text", text);
            w.WriteEndObject();
            w.WriteEndArray();
            if (encrypted)
            {
                w.WriteString("encrypted_content", blob);
            }

            w.WriteEndObject();
        }

        _output.Add(WriteItem);
        await EmitAsync("response.output_item.done", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            WriteItem(w);
        });
        return true;
    }

    private async Task<bool> WriteMessageAsync(IReadOnlyList<string> deltas, bool refusal, bool incomplete)
    {
        string id = _state.NextId("msg_", 48);
        int index = _output.Count;
        string text = string.Concat(deltas);
        await EmitAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WriteStartObject("item");
            w.WriteString("id", id);
            w.WriteString("type", "message");
            w.WriteString("status", "in_progress");
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteString("role", "assistant");
            w.WriteEndObject();
        });
        await EmitAsync("response.content_part.added", w =>
        {
            WriteContentRef(w, id, index);
            WriteContentPart(w, refusal, string.Empty);
        });
        foreach (string delta in deltas)
        {
            if (!await _pacer.NextDeltaAsync(Aborted))
            {
                return false;
            }

            await EmitAsync(refusal ? "response.refusal.delta" : "response.output_text.delta", w =>
            {
                WriteContentRef(w, id, index);
                w.WriteString("delta", delta);
                if (!refusal)
                {
                    w.WriteStartArray("logprobs");
                    w.WriteEndArray();
                    w.WriteString("obfuscation", SimulatorHttp.Obfuscation(delta));
                }
            });
        }

        await EmitAsync(refusal ? "response.refusal.done" : "response.output_text.done", w =>
        {
            WriteContentRef(w, id, index);
            w.WriteString(refusal ? "refusal" : "text", text);
            if (!refusal)
            {
                w.WriteStartArray("logprobs");
                w.WriteEndArray();
            }
        });
        await EmitAsync("response.content_part.done", w =>
        {
            WriteContentRef(w, id, index);
            WriteContentPart(w, refusal, text);
        });

        void WriteItem(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("type", "message");
            w.WriteString("status", incomplete ? "incomplete" : "completed");
            w.WriteStartArray("content");
            WriteContentPartValue(w, refusal, text);
            w.WriteEndArray();
            w.WriteString("role", "assistant");
            w.WriteEndObject();
        }

        _output.Add(WriteItem);
        await EmitAsync("response.output_item.done", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            WriteItem(w);
        });
        return true;
    }

    private async Task<bool> WriteToolCallAsync(SimulatorToolCall call)
    {
        string id = _state.NextId(call.IsCustom ? "ctc_" : "fc_", 48);
        string callId = _state.NextId("call_", 24);
        int index = _output.Count;
        string inputField = call.IsCustom ? "input" : "arguments";
        string eventPrefix = call.IsCustom ? "response.custom_tool_call_input" : "response.function_call_arguments";

        void WriteItem(Utf8JsonWriter w, bool done)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("type", call.IsCustom ? "custom_tool_call" : "function_call");
            w.WriteString("status", done ? "completed" : "in_progress");
            w.WriteString(inputField, done ? call.Input : string.Empty);
            w.WriteString("call_id", callId);
            w.WriteString("name", call.Name);
            w.WriteEndObject();
        }

        await EmitAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            WriteItem(w, done: false);
        });
        foreach (string delta in call.InputDeltas)
        {
            if (!await _pacer.NextDeltaAsync(Aborted))
            {
                return false;
            }

            await EmitAsync(eventPrefix + ".delta", w =>
            {
                w.WriteString("item_id", id);
                w.WriteNumber("output_index", index);
                w.WriteString("delta", delta);
                w.WriteString("obfuscation", SimulatorHttp.Obfuscation(delta));
            });
        }

        await EmitAsync(eventPrefix + ".done", w =>
        {
            w.WriteString("item_id", id);
            w.WriteNumber("output_index", index);
            if (!call.IsCustom)
            {
                w.WriteString("name", call.Name);
            }

            w.WriteString(inputField, call.Input);
        });
        _output.Add(w => WriteItem(w, done: true));
        await EmitAsync("response.output_item.done", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            WriteItem(w, done: true);
        });
        return true;
    }

    private ValueTask EmitAsync(string type, Action<Utf8JsonWriter> writeFields)
    {
        int sequence = _sequence++;
        return _writer!.WriteAsync(type, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteNumber("sequence_number", sequence);
            writeFields(w);
            w.WriteEndObject();
        }, Aborted);
    }

    private void WriteResponse(Utf8JsonWriter w, string status, SimulatorPlan? plan)
    {
        w.WriteStartObject("response");
        w.WriteString("id", _responseId);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", _createdAt);
        w.WriteString("status", status);
        w.WriteBoolean("background", false);
        w.WriteNull("content_filters");
        w.WriteNull("error");
        if (status == "incomplete")
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", "max_output_tokens");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        Echo(w, "instructions");
        w.WriteNull("max_output_tokens");
        w.WriteNull("max_tool_calls");
        Echo(w, "model");
        w.WriteStartArray("output");
        if (plan is not null)
        {
            foreach (Action<Utf8JsonWriter> item in _output)
            {
                item(w);
            }
        }

        w.WriteEndArray();
        Echo(w, "parallel_tool_calls", fallback: true);
        w.WriteNull("previous_response_id");
        Echo(w, "prompt_cache_key");
        Echo(w, "reasoning");
        w.WriteNull("safety_identifier");
        w.WriteString("service_tier", plan is null ? "auto" : "default");
        w.WriteBoolean("store", false);
        w.WriteNumber("temperature", 1.0);
        Echo(w, "text");
        Echo(w, "tool_choice");
        Echo(w, "tools");
        w.WriteNumber("top_p", 1.0);
        w.WriteString("truncation", "disabled");
        if (plan is null)
        {
            w.WriteNull("usage");
        }
        else
        {
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", plan.InputTokens);
            w.WriteStartObject("input_tokens_details");
            w.WriteNumber("cached_tokens", 0);
            w.WriteEndObject();
            w.WriteNumber("output_tokens", plan.OutputTokens);
            w.WriteStartObject("output_tokens_details");
            w.WriteNumber("reasoning_tokens", plan.ReasoningTokens);
            w.WriteEndObject();
            w.WriteNumber("total_tokens", plan.InputTokens + plan.OutputTokens);
            w.WriteEndObject();
        }

        w.WriteNull("user");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // The real backend echoes the request's settings in every response snapshot.
    private void Echo(Utf8JsonWriter w, string name, bool? fallback = null)
    {
        if (_request.TryGetProperty(name, out JsonElement value))
        {
            w.WritePropertyName(name);
            value.WriteTo(w);
        }
        else if (fallback is bool flag)
        {
            w.WriteBoolean(name, flag);
        }
        else if (name == "tools")
        {
            w.WriteStartArray(name);
            w.WriteEndArray();
        }
        else if (name == "tool_choice")
        {
            w.WriteString(name, "auto");
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private bool Includes(string value)
    {
        if (_request.TryGetProperty("include", out JsonElement include) && include.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement entry in include.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.String && entry.ValueEquals(value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void WriteItemRef(Utf8JsonWriter w, string id, int index)
    {
        w.WriteString("item_id", id);
        w.WriteNumber("output_index", index);
    }

    private static void WriteContentRef(Utf8JsonWriter w, string id, int index)
    {
        WriteItemRef(w, id, index);
        w.WriteNumber("content_index", 0);
    }

    private static void WriteSummaryPart(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject("part");
        w.WriteString("type", "summary_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    private static void WriteContentPart(Utf8JsonWriter w, bool refusal, string text)
    {
        w.WritePropertyName("part");
        WriteContentPartValue(w, refusal, text);
    }

    private static void WriteContentPartValue(Utf8JsonWriter w, bool refusal, string text)
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
}
