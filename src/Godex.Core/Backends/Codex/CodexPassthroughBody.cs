using System.Text;
using System.Text.Json;
using Godex.Core.Buffers;
using Godex.Core.Json;

namespace Godex.Core.Backends.Codex;

/// <summary>
/// The Codex backend's body policy for a Responses client's own body (same-dialect passthrough): forwarded nearly
/// verbatim (<see cref="TryRewrite"/>), so that fields godex does not model (client_metadata, encrypted reasoning, custom
/// tools, namespaces...) survive. One <see cref="Utf8JsonReader"/> pass over the client's bytes: every kept value is
/// copied as it came, never parsed into a document.
/// </summary>
internal static class CodexPassthroughBody
{
    /// <summary>Client headers that identify a Codex CLI session; forwarded (validated) as they came.</summary>
    public static IReadOnlyList<string> ForwardedHeaders { get; } =
        ["session-id", "thread-id", "x-client-request-id", "x-codex-turn-metadata", "x-codex-window-id", "x-codex-beta-features"];

    // Fields the backend rejects ("Unsupported parameter") or that godex itself has handled.
    private static readonly byte[][] s_dropped =
    [
        "max_output_tokens"u8.ToArray(), "max_completion_tokens"u8.ToArray(), "temperature"u8.ToArray(), "top_p"u8.ToArray(),
        "previous_response_id"u8.ToArray(), "truncation"u8.ToArray(), "user"u8.ToArray(), "metadata"u8.ToArray(),
        "prompt_cache_retention"u8.ToArray(), "prompt_cache_options"u8.ToArray(), "safety_identifier"u8.ToArray(),
        "stream_options"u8.ToArray(), "generate"u8.ToArray(), "background"u8.ToArray(), "conversation"u8.ToArray(),
        "model"u8.ToArray(), "store"u8.ToArray(), "stream"u8.ToArray(), // written by godex at the end
    ];

    // The same names by their length: a property costs a comparison or two, not a walk through the whole list.
    private static readonly byte[][][] s_droppedByLength = [.. Enumerable.Range(0, s_dropped.Max(d => d.Length) + 1)
        .Select(length => s_dropped.Where(d => d.Length == length).ToArray())];

    /// <summary>
    /// The body the Codex backend accepts, from a Responses API body: every field kept byte for byte except
    /// <c>model</c> (the routed id), <c>store</c> (false), <c>stream</c> (true), <c>include</c> (gains
    /// <c>reasoning.encrypted_content</c>), <c>instructions</c> (required: "" when developer or system messages carry
    /// them, else <paramref name="defaultInstructions"/>), a string <c>input</c> (becomes one user message), and the
    /// fields the backend rejects, which are dropped (<c>service_tier</c> survives only as <c>priority</c>). False when
    /// the body is not a JSON object; throws <see cref="JsonException"/> when it is not JSON.
    /// </summary>
    /// <param name="body">The client's body.</param>
    /// <param name="model">The routed model id.</param>
    /// <param name="defaultInstructions">The instructions of a request that has none.</param>
    /// <param name="withConversationStart">Also collect <see cref="CodexForwardBody.ConversationStart"/> (a pool of several accounts keys conversations by it).</param>
    /// <param name="result">The rewritten body and what the session key needs.</param>
    public static bool TryRewrite(ReadOnlySpan<byte> body, string model, string defaultInstructions, bool withConversationStart, out CodexForwardBody result)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        result = default;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = JsonBodyValidator.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        using var buffer = new PooledBufferWriter(body.Length + 256);
        var state = new RewriteState();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // An escaped name (rare) is compared and written unescaped, as any other.
                ReadOnlySpan<byte> name = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
                reader.Read();
                CopyProperty(ref reader, body, name, writer, withConversationStart, ref state);
            }

            writer.WriteString("model"u8, model);
            writer.WriteBoolean("store"u8, false);
            writer.WriteBoolean("stream"u8, true);
            if (!state.HasInclude)
            {
                writer.WriteStartArray("include"u8);
                writer.WriteStringValue(EncryptedReasoning);
                writer.WriteEndArray();
            }

            if (!state.HasInstructions)
            {
                writer.WriteString("instructions"u8, state.HasSystemMessage ? string.Empty : defaultInstructions);
            }

            writer.WriteEndObject();
        }

        byte[]? start = null;
        if (withConversationStart)
        {
            // What starts a conversation (its instructions and its input up to the first user message): every later
            // turn repeats it, byte for byte.
            ReadOnlySpan<byte> instructions = state.Instructions.Length > 0 ? body.Slice(state.Instructions.Start, state.Instructions.Length) : default;
            ReadOnlySpan<byte> input = state.InputStart.Length > 0 ? body.Slice(state.InputStart.Start, state.InputStart.Length) : default;
            start = [.. instructions, .. input];
        }

        result = new CodexForwardBody(buffer.ToArray(), state.PromptCacheKey, start);
        return true;
    }

    private const string EncryptedReasoning = "reasoning.encrypted_content";

    /// <summary>One top-level property, the reader on its value: dropped, rewritten or copied; the reader ends on the value's last token.</summary>
    private static void CopyProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ReadOnlySpan<byte> name, Utf8JsonWriter writer, bool withConversationStart, ref RewriteState state)
    {
        JsonTokenType type = reader.TokenType;
        int start = (int)reader.TokenStartIndex;
        if (IsDropped(name))
        {
            reader.Skip();
            return;
        }

        if (name.SequenceEqual("service_tier"u8))
        {
            if (type == JsonTokenType.String && reader.ValueTextEquals("priority"u8))
            {
                WriteVerbatim(writer, name, body, start, ref reader);
            }

            reader.Skip();
            return;
        }

        if (name.SequenceEqual("instructions"u8))
        {
            if (type == JsonTokenType.String)
            {
                state.HasInstructions = true;
                WriteVerbatim(writer, name, body, start, ref reader);
                state.Instructions = new Range32(start, (int)reader.BytesConsumed - start);
            }
            else
            {
                reader.Skip();
            }

            return;
        }

        if (name.SequenceEqual("include"u8))
        {
            state.HasInclude = true;
            WriteInclude(ref reader, body, writer);
            return;
        }

        if (name.SequenceEqual("input"u8))
        {
            WriteInput(ref reader, body, writer, withConversationStart, ref state);
            return;
        }

        if (name.SequenceEqual("prompt_cache_key"u8) && type == JsonTokenType.String)
        {
            state.PromptCacheKey = reader.GetString();
        }

        WriteVerbatim(writer, name, body, start, ref reader);
    }

    private static bool IsDropped(ReadOnlySpan<byte> name)
    {
        if (name.Length >= s_droppedByLength.Length)
        {
            return false;
        }

        foreach (byte[] dropped in s_droppedByLength[name.Length])
        {
            if (name.SequenceEqual(dropped))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The property with its value's bytes as they came; the reader ends on the value's last token.</summary>
    private static void WriteVerbatim(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> body, int start, ref Utf8JsonReader reader)
    {
        reader.Skip();
        writer.WritePropertyName(name);
        writer.WriteRawValue(body[start..(int)reader.BytesConsumed], skipInputValidation: true);
    }

    /// <summary>The client's include list (entries as they came) with <c>reasoning.encrypted_content</c> added when missing.</summary>
    private static void WriteInclude(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer)
    {
        writer.WriteStartArray("include"u8);
        bool present = false;
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int start = (int)reader.TokenStartIndex;
                present |= reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(EncryptedReasoning);
                reader.Skip();
                writer.WriteRawValue(body[start..(int)reader.BytesConsumed], skipInputValidation: true);
            }
        }
        else
        {
            reader.Skip();
        }

        if (!present)
        {
            writer.WriteStringValue(EncryptedReasoning);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// The input as it came (echoed reasoning and tool calls must reach the backend as they left it), or a string input
    /// as the one user message the backend takes; notes a developer or system message and what starts the conversation.
    /// </summary>
    private static void WriteInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer, bool withConversationStart, ref RewriteState state)
    {
        int start = (int)reader.TokenStartIndex;
        writer.WritePropertyName("input"u8);
        if (reader.TokenType == JsonTokenType.String)
        {
            string text = reader.GetString()!;
            state.HasSystemMessage = false;
            state.InputStart = new Range32(start, (int)reader.BytesConsumed - start);
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteString("type"u8, "message"u8);
            writer.WriteString("role"u8, "user"u8);
            writer.WriteStartArray("content"u8);
            writer.WriteStartObject();
            writer.WriteString("type"u8, "input_text"u8);
            writer.WriteString("text"u8, text);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            state.HasSystemMessage = false;
            state.InputStart = new Range32(start, (int)reader.BytesConsumed - start);
            writer.WriteRawValue(body[start..(int)reader.BytesConsumed], skipInputValidation: true);
            return;
        }

        bool system = false;
        bool sawUser = false;
        int startEnd = start + 1; // the conversation's start: the items up to the first user message, without brackets
        int firstItem = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            firstItem = firstItem < 0 ? (int)reader.TokenStartIndex : firstItem;
            string? role = reader.TokenType == JsonTokenType.StartObject ? RoleOf(ref reader) : Skipped(ref reader);
            system |= role is "developer" or "system";
            if (!sawUser)
            {
                startEnd = (int)reader.BytesConsumed;
                sawUser = role == "user";
            }
        }

        state.HasSystemMessage = system;
        state.InputStart = firstItem < 0 || !withConversationStart ? default : new Range32(firstItem, startEnd - firstItem);
        writer.WriteRawValue(body[start..(int)reader.BytesConsumed], skipInputValidation: true);
    }

    /// <summary>The <c>role</c> of the object the reader is on (its last, as a document would see it), the reader then on its end.</summary>
    private static string? RoleOf(ref Utf8JsonReader reader)
    {
        string? role = null;
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            bool isRole = reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("role"u8);
            reader.Read();
            if (isRole)
            {
                role = reader.TokenType != JsonTokenType.String ? null
                    : reader.ValueTextEquals("user"u8) ? "user"
                    : reader.ValueTextEquals("developer"u8) ? "developer"
                    : reader.ValueTextEquals("system"u8) ? "system"
                    : "other";
            }

            reader.Skip();
        }

        return role;
    }

    private static string? Skipped(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    /// <summary>A slice of the body by offsets (a <see cref="Range"/> would need the span's length to resolve).</summary>
    private readonly record struct Range32(int Start, int Length);

    /// <summary>What one pass notes on the way.</summary>
    private struct RewriteState
    {
        public bool HasInstructions;
        public bool HasInclude;
        public bool HasSystemMessage;
        public string? PromptCacheKey;
        public Range32 Instructions;
        public Range32 InputStart;
    }
}

/// <summary>The Codex body of a passthrough request, with what its session key needs.</summary>
/// <param name="Body">The body for the backend.</param>
/// <param name="PromptCacheKey">The client's <c>prompt_cache_key</c>, its session id, or null.</param>
/// <param name="ConversationStart">The raw JSON of the conversation's start (its instructions, its input up to the first user message), when asked for.</param>
internal readonly record struct CodexForwardBody(byte[] Body, string? PromptCacheKey, byte[]? ConversationStart);
