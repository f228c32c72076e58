using System.Text.Json;
using Godex.Core.Sse;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// Writes one planned turn as an Anthropic message: whole (non-streaming) or as the event stream of the recorded
/// fixtures (anthropic-sdk-python tool_use_response.sse, thinking-signature-refusal.synthetic.sse): message_start,
/// per block content_block_start / deltas / content_block_stop with a ping after the first start, message_delta,
/// message_stop.
/// </summary>
internal sealed class AnthropicMessageWriter
{
    private readonly SimulatorPlan _plan;
    private readonly string _model;
    private readonly string _id;
    private readonly string _toolUseId;
    private readonly string _signature;

    public AnthropicMessageWriter(SimulatorState state, string model, SimulatorPlan plan)
    {
        _plan = plan;
        _model = model;
        _id = state.NextId("msg_01", 22);
        _toolUseId = state.NextId("toolu_01", 22);

        // Stands in for the real signature: it covers the thinking text, and the simulator rejects a later turn whose
        // thinking no longer matches it, as the real API does.
        _signature = SimulatorThinkingSignature.Sign(plan.Reasoning);
    }

    private bool HasText => _plan.TextDeltas.Count > 0 || (_plan.ReasoningDeltas.Count == 0 && _plan.ToolCall is null);

    private string StopReason => _plan.Stop switch
    {
        SimulatorStop.ToolUse => "tool_use",
        SimulatorStop.MaxTokens => "max_tokens",
        SimulatorStop.Refusal => "refusal",
        _ => "end_turn",
    };

    public void WriteMessage(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", _id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", _model);
        w.WriteStartArray("content");
        if (_plan.ReasoningDeltas.Count > 0)
        {
            w.WriteStartObject();
            w.WriteString("type", "thinking");
            w.WriteString("thinking", _plan.Reasoning);
            w.WriteString("signature", _signature);
            w.WriteEndObject();
        }

        if (HasText)
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", _plan.Text);
            w.WriteEndObject();
        }

        if (_plan.ToolCall is { } call)
        {
            w.WriteStartObject();
            w.WriteString("type", "tool_use");
            w.WriteString("id", _toolUseId);
            w.WriteString("name", call.Name);
            w.WritePropertyName("input");
            w.WriteRawValue(call.Input);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("stop_reason", StopReason);
        w.WriteNull("stop_sequence");
        w.WriteStartObject("usage");
        WriteUsageCounts(w, _plan.OutputTokens);
        w.WriteString("service_tier", "standard");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public async Task StreamAsync(HttpContext context, SimulatorPacer pacer)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        using SseWriter sse = SimulatorHttp.StartSse(context);
        bool pinged = false;
        int index = 0;

        ValueTask EmitAsync(string type, Action<Utf8JsonWriter> fields) => sse.WriteAsync(type, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            fields(w);
            w.WriteEndObject();
        }, cancellationToken);

        async ValueTask StartBlockAsync(int blockIndex, Action<Utf8JsonWriter> block)
        {
            await EmitAsync("content_block_start", w =>
            {
                w.WriteNumber("index", blockIndex);
                w.WriteStartObject("content_block");
                block(w);
                w.WriteEndObject();
            });
            if (!pinged)
            {
                pinged = true;
                await EmitAsync("ping", static _ => { });
            }
        }

        ValueTask DeltaAsync(int blockIndex, string deltaType, string field, string value) => EmitAsync("content_block_delta", w =>
        {
            w.WriteNumber("index", blockIndex);
            w.WriteStartObject("delta");
            w.WriteString("type", deltaType);
            w.WriteString(field, value);
            w.WriteEndObject();
        });

        ValueTask StopBlockAsync(int blockIndex) => EmitAsync("content_block_stop", w => w.WriteNumber("index", blockIndex));

        await EmitAsync("message_start", w =>
        {
            w.WriteStartObject("message");
            w.WriteString("id", _id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", _model);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            w.WriteStartObject("usage");
            WriteUsageCounts(w, outputTokens: 1);
            w.WriteString("service_tier", "standard");
            w.WriteEndObject();
            w.WriteEndObject();
        });

        if (_plan.ReasoningDeltas.Count > 0)
        {
            int block = index++;
            await StartBlockAsync(block, w =>
            {
                w.WriteString("type", "thinking");
                w.WriteString("thinking", string.Empty);
                w.WriteString("signature", string.Empty);
            });
            foreach (string delta in _plan.ReasoningDeltas)
            {
                if (!await pacer.NextDeltaAsync(cancellationToken))
                {
                    return;
                }

                await DeltaAsync(block, "thinking_delta", "thinking", delta);
            }

            await DeltaAsync(block, "signature_delta", "signature", _signature);
            await StopBlockAsync(block);
        }

        if (HasText)
        {
            int block = index++;
            await StartBlockAsync(block, static w =>
            {
                w.WriteString("type", "text");
                w.WriteString("text", string.Empty);
            });
            foreach (string delta in _plan.TextDeltas)
            {
                if (!await pacer.NextDeltaAsync(cancellationToken))
                {
                    return;
                }

                await DeltaAsync(block, "text_delta", "text", delta);
            }

            await StopBlockAsync(block);
        }

        if (_plan.ToolCall is { } call)
        {
            int block = index++;
            await StartBlockAsync(block, w =>
            {
                w.WriteString("type", "tool_use");
                w.WriteString("id", _toolUseId);
                w.WriteString("name", call.Name);
                w.WriteStartObject("caller");
                w.WriteString("type", "direct");
                w.WriteEndObject();
                w.WriteStartObject("input");
                w.WriteEndObject();
            });

            // The API opens every tool_use with an empty partial_json, as in the recording.
            await DeltaAsync(block, "input_json_delta", "partial_json", string.Empty);
            foreach (string delta in call.InputDeltas)
            {
                if (!await pacer.NextDeltaAsync(cancellationToken))
                {
                    return;
                }

                await DeltaAsync(block, "input_json_delta", "partial_json", delta);
            }

            await StopBlockAsync(block);
        }

        if (await pacer.CutBeforeEndAsync(cancellationToken))
        {
            return;
        }

        await EmitAsync("message_delta", w =>
        {
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", StopReason);
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            w.WriteStartObject("usage");
            WriteUsageCounts(w, _plan.OutputTokens);
            w.WriteEndObject();
        });
        await EmitAsync("message_stop", static _ => { });
    }

    private void WriteUsageCounts(Utf8JsonWriter w, int outputTokens)
    {
        w.WriteNumber("input_tokens", _plan.InputTokens);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", 0);
        w.WriteNumber("output_tokens", outputTokens);
    }
}
