using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// The fields every chunk of one chat completion repeats; the strings are JSON-encoded once for all of them (with the
/// writers' relaxed encoder, so the bytes are those a plain write would give). Get-only, so that no <c>with</c> can
/// change a field and leave its encoded form behind.
/// </summary>
internal readonly record struct ChatCompletionHeader
{
    public ChatCompletionHeader(string id, long created, string model)
    {
        Id = id;
        Created = created;
        Model = model;
        EncodedId = JsonEncodedText.Encode(id, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        EncodedModel = JsonEncodedText.Encode(model, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
    }

    public string Id { get; }

    public long Created { get; }

    public string Model { get; }

    public JsonEncodedText EncodedId { get; }

    public JsonEncodedText EncodedModel { get; }
}

/// <summary>How the first (role) chunk looks; it depends on what the model says first, as in the recorded streams.</summary>
internal enum RoleChunkShape
{
    /// <summary><c>{"role":"assistant","content":"","refusal":null}</c> (text follows).</summary>
    Text,

    /// <summary><c>{"role":"assistant","content":null}</c> (a tool call follows).</summary>
    ToolCall,

    /// <summary><c>{"role":"assistant","content":null,"refusal":""}</c> (a refusal follows).</summary>
    Refusal,
}

/// <summary>
/// Writes OpenAI Chat Completions JSON (chunks, completions, usage, errors) with a <see cref="Utf8JsonWriter"/>. The
/// shapes copy the recorded gpt-4o streams in <c>test/fixtures/openai-python-chat-recorded</c> key for key.
/// </summary>
internal static class ChatCompletionsJsonWriter
{
    public static void WriteRoleChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, RoleChunkShape shape)
    {
        WriteChunkStart(writer, header);
        writer.WriteString(ChunkNames.Role, ChunkNames.Assistant);
        switch (shape)
        {
            case RoleChunkShape.Text:
                writer.WriteString(ChunkNames.Content, ""u8);
                writer.WriteNull(ChunkNames.Refusal);
                break;
            case RoleChunkShape.ToolCall:
                writer.WriteNull(ChunkNames.Content);
                break;
            case RoleChunkShape.Refusal:
                writer.WriteNull(ChunkNames.Content);
                writer.WriteString(ChunkNames.Refusal, ""u8);
                break;
        }

        WriteChunkEnd(writer, finishReason: null);
    }

    /// <summary>
    /// A content chunk's bytes before its text (<c>{"id":…,"choices":[{"index":0,"delta":{"content":</c>), written once
    /// per stream by the calls every chunk is written with: the text goes between it and <see cref="ContentChunkSuffix"/>
    /// (<see cref="Sse.SseWriter.WriteAsync(ReadOnlySpan{byte}, string, ReadOnlySpan{byte}, CancellationToken)"/>), for
    /// the chunk a property-by-property write gives, byte for byte, at a fraction of the cost per token.
    /// </summary>
    public static byte[] ContentChunkPrefix(in ChatCompletionHeader header)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(buffer, s_fragmentOptions);
        WriteChunkStart(writer, header);
        writer.WritePropertyName(ChunkNames.Content);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A content chunk's bytes after its text (<c>},"logprobs":null,"finish_reason":null}]}</c>): <see cref="ContentChunkPrefix"/>.</summary>
    public static ReadOnlySpan<byte> ContentChunkSuffix => s_contentChunkSuffix;

    private static readonly JsonWriterOptions s_fragmentOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly byte[] s_contentChunkSuffix = RenderContentChunkSuffix();

    /// <summary>What <see cref="WriteChunkEnd"/> writes after a delta's last string property, rendered by it.</summary>
    private static byte[] RenderContentChunkSuffix()
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using var writer = new Utf8JsonWriter(buffer, s_fragmentOptions);
        writer.WriteStartObject();
        writer.WriteStartArray(ChunkNames.Choices);
        writer.WriteStartObject();
        writer.WriteStartObject(ChunkNames.Delta);
        writer.WriteString(ChunkNames.Content, ""u8);
        writer.Flush();
        int before = buffer.WrittenCount;
        WriteChunkEnd(writer, finishReason: null);
        writer.Flush();
        return buffer.WrittenSpan[before..].ToArray();
    }

    public static void WriteRefusalChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, string text) =>
        WriteStringDeltaChunk(writer, header, ChunkNames.Refusal, text);

    /// <summary>A piece of reasoning: <c>{"reasoning_content":"…"}</c>, as DeepSeek and the gateways that expose reasoning stream it.</summary>
    public static void WriteReasoningChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, string text) =>
        WriteStringDeltaChunk(writer, header, ChunkNames.ReasoningContent, text);

    private static void WriteStringDeltaChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, JsonEncodedText field, string text)
    {
        WriteChunkStart(writer, header);
        writer.WriteString(field, text);
        WriteChunkEnd(writer, finishReason: null);
    }

    /// <summary>A finished reasoning block with what makes it verifiable: <c>{"thinking_blocks":[{type, thinking, signature}]}</c>.</summary>
    public static void WriteThinkingBlockChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, ReasoningPart reasoning)
    {
        WriteChunkStart(writer, header);
        writer.WriteStartArray("thinking_blocks"u8);
        ThinkingBlocks.Write(writer, reasoning);
        writer.WriteEndArray();
        WriteChunkEnd(writer, finishReason: null);
    }

    /// <summary>
    /// True when the block carries something an upstream can verify (an Anthropic signature or redacted data, or a
    /// Responses encrypted content): the part a client must send back for the next turn.
    /// </summary>
    public static bool IsOpaque(ReasoningPart reasoning) =>
        !string.IsNullOrEmpty(reasoning.Signature) || !string.IsNullOrEmpty(reasoning.RedactedData) || !string.IsNullOrEmpty(reasoning.EncryptedContent);

    /// <summary>The first delta of a call: <c>{"index":i,"id":"call_…","type":"function","function":{"name":"…","arguments":""}}</c>.</summary>
    public static void WriteToolCallStartChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, int index, string callId, string name, ToolCallKind kind)
    {
        WriteChunkStart(writer, header);
        writer.WriteStartArray("tool_calls"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        writer.WriteString("id"u8, callId);
        if (kind == ToolCallKind.Custom)
        {
            writer.WriteString("type"u8, "custom"u8);
            writer.WriteStartObject("custom"u8);
            writer.WriteString("name"u8, name);
            writer.WriteString("input"u8, ""u8);
        }
        else
        {
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, name);
            writer.WriteString("arguments"u8, ""u8);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteChunkEnd(writer, finishReason: null);
    }

    /// <summary>A later delta of a call: <c>{"index":i,"function":{"arguments":"…"}}</c>.</summary>
    public static void WriteToolCallArgumentsChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, int index, string delta, ToolCallKind kind)
    {
        WriteChunkStart(writer, header);
        writer.WriteStartArray("tool_calls"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        if (kind == ToolCallKind.Custom)
        {
            writer.WriteStartObject("custom"u8);
            writer.WriteString("input"u8, delta);
        }
        else
        {
            writer.WriteStartObject("function"u8);
            writer.WriteString("arguments"u8, delta);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteChunkEnd(writer, finishReason: null);
    }

    public static void WriteFinishChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, FinishReason finishReason)
    {
        WriteChunkStart(writer, header);
        WriteChunkEnd(writer, finishReason.Value);
    }

    /// <summary>The <c>stream_options.include_usage</c> chunk: <c>choices: []</c> and the usage object.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter writer, in ChatCompletionHeader header, Usage usage)
    {
        WriteHeader(writer, header, ChunkNames.ChunkObject);
        writer.WriteStartArray(ChunkNames.Choices);
        writer.WriteEndArray();
        WriteUsage(writer, usage);
        writer.WriteEndObject();
    }

    /// <summary>A whole non-streaming <c>chat.completion</c>.</summary>
    public static void WriteCompletion(Utf8JsonWriter writer, in ChatCompletionHeader header, ChatResponse response)
    {
        WriteHeader(writer, header, ChunkNames.CompletionObject);
        writer.WriteStartArray(ChunkNames.Choices);
        writer.WriteStartObject();
        writer.WriteNumber(ChunkNames.Index, 0);
        writer.WriteStartObject(ChunkNames.Message);
        writer.WriteString(ChunkNames.Role, ChunkNames.Assistant);
        if (response.Text.Length > 0 || (response.ToolCalls.Count == 0 && response.Refusal is null))
        {
            writer.WriteString(ChunkNames.Content, response.Text);
        }
        else
        {
            writer.WriteNull(ChunkNames.Content);
        }

        if (response.Refusal is null)
        {
            writer.WriteNull(ChunkNames.Refusal);
        }
        else
        {
            writer.WriteString(ChunkNames.Refusal, response.Refusal);
        }

        WriteReasoning(writer, response.Reasoning);
        if (response.ToolCalls.Count > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            foreach (ToolCallPart call in response.ToolCalls)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, call.CallId);
                if (call.Kind == ToolCallKind.Custom)
                {
                    writer.WriteString("type"u8, "custom"u8);
                    writer.WriteStartObject("custom"u8);
                    writer.WriteString("name"u8, call.Name);
                    writer.WriteString("input"u8, call.Arguments);
                }
                else
                {
                    writer.WriteString("type"u8, "function"u8);
                    writer.WriteStartObject("function"u8);
                    writer.WriteString("name"u8, call.Name);
                    writer.WriteString("arguments"u8, call.Arguments);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteStartArray(ChunkNames.Annotations);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteNull(ChunkNames.Logprobs);
        writer.WriteString(ChunkNames.FinishReason, response.FinishReason.Value);
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, response.Usage);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Reasoning is not part of the Chat Completions API; godex returns it the way other gateways do (LiteLLM's shape):
    /// <c>reasoning_content</c>, the text, and <c>thinking_blocks</c>, the signed blocks a client sends back in the
    /// assistant message so that the next turn keeps the model's reasoning (and Anthropic accepts a tool loop with
    /// thinking on). Nothing is written when there was no reasoning.
    /// </summary>
    private static void WriteReasoning(Utf8JsonWriter writer, IReadOnlyList<ReasoningPart> reasoning)
    {
        string text = string.Join("\n\n", reasoning.Where(r => r.Text.Length > 0).Select(r => r.Text));
        if (text.Length > 0)
        {
            writer.WriteString("reasoning_content"u8, text);
        }

        if (reasoning.Any(IsOpaque))
        {
            writer.WriteStartArray("thinking_blocks"u8);
            foreach (ReasoningPart part in reasoning.Where(IsOpaque))
            {
                ThinkingBlocks.Write(writer, part);
            }

            writer.WriteEndArray();
        }
    }

    /// <summary><c>"usage": {...}</c> with the detail objects the current API returns.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, Usage usage)
    {
        writer.WriteStartObject(UsageNames.Usage);
        writer.WriteNumber(UsageNames.PromptTokens, usage.InputTokens);
        writer.WriteNumber(UsageNames.CompletionTokens, usage.OutputTokens);
        writer.WriteNumber(UsageNames.TotalTokens, usage.TotalTokens);
        writer.WriteStartObject(UsageNames.PromptTokensDetails);
        writer.WriteNumber(UsageNames.CachedTokens, usage.CachedInputTokens);
        writer.WriteNumber(UsageNames.AudioTokens, 0);
        writer.WriteEndObject();
        writer.WriteStartObject(UsageNames.CompletionTokensDetails);
        writer.WriteNumber(UsageNames.ReasoningTokens, usage.ReasoningTokens);
        writer.WriteNumber(UsageNames.AudioTokens, 0);
        writer.WriteNumber(UsageNames.AcceptedPredictionTokens, 0);
        writer.WriteNumber(UsageNames.RejectedPredictionTokens, 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The OpenAI error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, BackendError error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type);
        WriteStringOrNull(writer, "param"u8, error.Param);
        WriteStringOrNull(writer, "code"u8, error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The in-band error sent once the stream has started: <c>{"error":{"message","type","code"}}</c>.</summary>
    public static void WriteStreamError(Utf8JsonWriter writer, BackendError error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type);
        WriteStringOrNull(writer, "code"u8, error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteHeader(Utf8JsonWriter writer, in ChatCompletionHeader header, JsonEncodedText objectType)
    {
        writer.WriteStartObject();
        writer.WriteString(ChunkNames.Id, header.EncodedId);
        writer.WriteString(ChunkNames.Object, objectType);
        writer.WriteNumber(ChunkNames.Created, header.Created);
        writer.WriteString(ChunkNames.Model, header.EncodedModel);
        writer.WriteNull(ChunkNames.SystemFingerprint);
    }

    private static void WriteChunkStart(Utf8JsonWriter writer, in ChatCompletionHeader header)
    {
        WriteHeader(writer, header, ChunkNames.ChunkObject);
        writer.WriteStartArray(ChunkNames.Choices);
        writer.WriteStartObject();
        writer.WriteNumber(ChunkNames.Index, 0);
        writer.WriteStartObject(ChunkNames.Delta);
    }

    private static void WriteChunkEnd(Utf8JsonWriter writer, string? finishReason)
    {
        writer.WriteEndObject();
        writer.WriteNull(ChunkNames.Logprobs);
        if (finishReason is null)
        {
            writer.WriteNull(ChunkNames.FinishReason);
        }
        else
        {
            writer.WriteString(ChunkNames.FinishReason, finishReason);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// The names (and constant values) every chunk writes, encoded once: a name given as bytes is checked for characters
    /// to escape on every write, ~15 checks a chunk (callgrind, paced chat streams: ~1 k instructions a chunk).
    /// </summary>
    private static class ChunkNames
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id"u8);
        public static readonly JsonEncodedText Object = JsonEncodedText.Encode("object"u8);
        public static readonly JsonEncodedText Created = JsonEncodedText.Encode("created"u8);
        public static readonly JsonEncodedText Model = JsonEncodedText.Encode("model"u8);
        public static readonly JsonEncodedText SystemFingerprint = JsonEncodedText.Encode("system_fingerprint"u8);
        public static readonly JsonEncodedText Choices = JsonEncodedText.Encode("choices"u8);
        public static readonly JsonEncodedText Index = JsonEncodedText.Encode("index"u8);
        public static readonly JsonEncodedText Delta = JsonEncodedText.Encode("delta"u8);
        public static readonly JsonEncodedText Logprobs = JsonEncodedText.Encode("logprobs"u8);
        public static readonly JsonEncodedText FinishReason = JsonEncodedText.Encode("finish_reason"u8);
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role"u8);
        public static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant"u8);
        public static readonly JsonEncodedText Content = JsonEncodedText.Encode("content"u8);
        public static readonly JsonEncodedText Refusal = JsonEncodedText.Encode("refusal"u8);
        public static readonly JsonEncodedText ReasoningContent = JsonEncodedText.Encode("reasoning_content"u8);
        public static readonly JsonEncodedText ChunkObject = JsonEncodedText.Encode("chat.completion.chunk"u8);
        public static readonly JsonEncodedText CompletionObject = JsonEncodedText.Encode("chat.completion"u8);
        public static readonly JsonEncodedText Message = JsonEncodedText.Encode("message"u8);
        public static readonly JsonEncodedText Annotations = JsonEncodedText.Encode("annotations"u8);
    }

    /// <summary>The usage object's names, encoded once (a <c>u8</c> name is checked for characters to escape on every write).</summary>
    private static class UsageNames
    {
        public static readonly JsonEncodedText Usage = JsonEncodedText.Encode("usage"u8);
        public static readonly JsonEncodedText PromptTokens = JsonEncodedText.Encode("prompt_tokens"u8);
        public static readonly JsonEncodedText CompletionTokens = JsonEncodedText.Encode("completion_tokens"u8);
        public static readonly JsonEncodedText TotalTokens = JsonEncodedText.Encode("total_tokens"u8);
        public static readonly JsonEncodedText PromptTokensDetails = JsonEncodedText.Encode("prompt_tokens_details"u8);
        public static readonly JsonEncodedText CachedTokens = JsonEncodedText.Encode("cached_tokens"u8);
        public static readonly JsonEncodedText AudioTokens = JsonEncodedText.Encode("audio_tokens"u8);
        public static readonly JsonEncodedText CompletionTokensDetails = JsonEncodedText.Encode("completion_tokens_details"u8);
        public static readonly JsonEncodedText ReasoningTokens = JsonEncodedText.Encode("reasoning_tokens"u8);
        public static readonly JsonEncodedText AcceptedPredictionTokens = JsonEncodedText.Encode("accepted_prediction_tokens"u8);
        public static readonly JsonEncodedText RejectedPredictionTokens = JsonEncodedText.Encode("rejected_prediction_tokens"u8);
    }
}
