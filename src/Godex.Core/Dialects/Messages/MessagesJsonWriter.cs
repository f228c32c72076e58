using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Messages;

/// <summary>The identity of one rendered message: its <c>msg_</c> id, the model named to the client, the prompt estimate.</summary>
/// <param name="Id">The message id (<c>msg_...</c>).</param>
/// <param name="Model">The model the client sees.</param>
/// <param name="EstimatedInputTokens">The prompt estimate used until (or unless) the upstream reports its count.</param>
internal sealed record AnthropicMessageHeader(string Id, string Model, long EstimatedInputTokens);

/// <summary>Messages API JSON shapes, written with <see cref="Utf8JsonWriter"/> (no reflection): the message, its usage, errors.</summary>
internal static class MessagesJsonWriter
{
    private static readonly HashSet<string> s_errorTypes = new(StringComparer.Ordinal)
    {
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "timeout_error",
        "overloaded_error",
    };

    private static readonly HashSet<string> s_stopReasons = new(StringComparer.Ordinal)
    {
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    };

    /// <summary>
    /// The Messages <c>stop_reason</c>: the upstream's own when it is already one (an Anthropic upstream), else mapped
    /// from the canonical reason (stop → end_turn, length → max_tokens, tool_calls → tool_use, content_filter → refusal).
    /// </summary>
    public static string StopReason(FinishReason finishReason, string? upstreamReason)
    {
        if (upstreamReason is not null && s_stopReasons.Contains(upstreamReason))
        {
            return upstreamReason;
        }

        return finishReason.Value switch
        {
            "length" => "max_tokens",
            "tool_calls" => "tool_use",
            "content_filter" => "refusal",
            _ => "end_turn",
        };
    }

    /// <summary>
    /// The Anthropic error type for an error: the upstream's own when it gave an Anthropic one, else by status
    /// (400 invalid_request_error, 401 authentication_error, 402 billing_error, 403 permission_error, 404
    /// not_found_error, 413 request_too_large, 429 rate_limit_error, 503/529 overloaded_error, 504 timeout_error, other
    /// api_error).
    /// </summary>
    public static string ErrorType(BackendError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Code is not null && s_errorTypes.Contains(error.Code))
        {
            return error.Code;
        }

        return error.Status switch
        {
            400 or 422 => "invalid_request_error",
            401 => "authentication_error",
            402 => "billing_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            503 or 529 => "overloaded_error",
            504 => "timeout_error",
            _ => "api_error",
        };
    }

    /// <summary><c>{"type":"error","error":{"type","message"}}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, BackendError error)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, ErrorType(error));
        writer.WriteString("message"u8, error.Message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// <c>usage</c> in the Messages convention: <c>input_tokens</c> excludes cache reads and writes (canonical
    /// <see cref="Usage.InputTokens"/> includes them). An upstream that reported no prompt count gets the estimate.
    /// </summary>
    public static void WriteUsage(Utf8JsonWriter writer, Usage usage, long estimatedInputTokens)
    {
        long cacheRead = usage.CachedInputTokens;
        long cacheCreation = usage.CacheCreationInputTokens;
        long input = usage.InputTokens == 0
            ? estimatedInputTokens
            : Math.Max(0, usage.InputTokens - cacheRead - cacheCreation);
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("input_tokens"u8, input);
        writer.WriteNumber("cache_creation_input_tokens"u8, cacheCreation);
        writer.WriteNumber("cache_read_input_tokens"u8, cacheRead);
        writer.WriteNumber("output_tokens"u8, usage.OutputTokens);
        writer.WriteEndObject();
    }

    /// <summary>The message object; <paramref name="content"/> writes the content blocks (none in <c>message_start</c>).</summary>
    public static void WriteMessage(
        Utf8JsonWriter writer,
        AnthropicMessageHeader header,
        Action<Utf8JsonWriter>? content,
        string? stopReason,
        Usage usage)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, header.Id);
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("model"u8, header.Model);
        writer.WriteStartArray("content"u8);
        content?.Invoke(writer);
        writer.WriteEndArray();
        if (stopReason is null)
        {
            writer.WriteNull("stop_reason"u8);
        }
        else
        {
            writer.WriteString("stop_reason"u8, stopReason);
        }

        writer.WriteNull("stop_sequence"u8);
        WriteUsage(writer, usage, header.EstimatedInputTokens);
        writer.WriteEndObject();
    }

    /// <summary>A whole non-streamed message: thinking blocks, then text, then tool_use blocks.</summary>
    public static void WriteMessage(Utf8JsonWriter writer, AnthropicMessageHeader header, ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        WriteMessage(writer, header, w =>
        {
            foreach (ReasoningPart reasoning in response.Reasoning)
            {
                ThinkingBlocks.Write(w, reasoning);
            }

            string text = response.Text + (response.Refusal ?? "");
            if (text.Length > 0)
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "text"u8);
                w.WriteString("text"u8, text);
                w.WriteEndObject();
            }

            foreach (ToolCallPart call in response.ToolCalls)
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "tool_use"u8);
                w.WriteString("id"u8, call.CallId);
                w.WriteString("name"u8, call.Name);
                w.WritePropertyName("input"u8);
                WriteToolInput(w, call);
                w.WriteEndObject();
            }
        }, StopReason(response.FinishReason, response.UpstreamReason), response.Usage);
    }

    /// <summary>A tool call's <c>input</c> object: the arguments when they are a JSON object, <c>{"input": text}</c> for a custom tool, else <c>{}</c>.</summary>
    public static void WriteToolInput(Utf8JsonWriter writer, ToolCallPart call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Kind == ToolCallKind.Custom)
        {
            writer.WriteStartObject();
            writer.WriteString("input"u8, call.Arguments);
            writer.WriteEndObject();
            return;
        }

        if (!string.IsNullOrWhiteSpace(call.Arguments))
        {
            try
            {
                using var document = JsonDocument.Parse(call.Arguments);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    document.RootElement.WriteTo(writer);
                    return;
                }
            }
            catch (JsonException)
            {
            }
        }

        writer.WriteStartObject();
        writer.WriteEndObject();
    }
}
