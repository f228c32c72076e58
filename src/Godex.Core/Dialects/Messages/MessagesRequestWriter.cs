using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Godex.Core.Buffers;
using Godex.Core.Conversation;
using Godex.Core.Json;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// Canonical <see cref="ChatRequest"/> → Anthropic Messages request body. Pure: no I/O, written with
/// <see cref="Utf8JsonWriter"/>. It asks for a stream unless <see cref="StreamsUpstream"/> says a whole JSON answer will do.
/// <para>Choices the Messages API forces on us, each documented where it is made:</para>
/// <list type="bullet">
/// <item>All system/developer messages become <c>system</c> text blocks in conversation order, including ones in the
/// middle of the conversation (the API has no in-place system turn without a beta); with OAuth the Claude Code identity
/// block comes first.</item>
/// <item>The API wants user/assistant alternation: tool results join the neighbouring user turn and consecutive
/// same-role messages are merged; inside a user turn <c>tool_result</c> blocks come first.</item>
/// <item>Reasoning reaches the upstream only with what Anthropic can verify: a thinking <c>signature</c> or
/// <c>redacted_thinking</c> data. Other reasoning (OpenAI encrypted content, summaries) is dropped.</item>
/// </list>
/// </summary>
internal static class MessagesRequestWriter
{
    /// <summary>The Messages API's smallest thinking budget.</summary>
    public const int MinThinkingBudget = 1024;

    // A request body, never embedded in HTML: escape only what JSON requires, so non-ASCII text and the apostrophe in
    // the Claude Code identity block go out as themselves.
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The largest <c>max_tokens</c> godex asks for without a stream. Anthropic's SDKs refuse a non-streamed call that
    /// may run past ten minutes, judged by <c>max_tokens</c> (21,333 at their estimate of 128 k tokens an hour, 8,192
    /// for the Opus 4 models); godex streams above the smaller of the two, so it never makes a call the SDKs would
    /// refuse, and a long generation always has events to keep its connection alive.
    /// </summary>
    public const int MaxNonStreamedTokens = 8192;

    /// <summary>
    /// Whether the upstream call streams: when the client streams, when it asks for thinking (whose budget adds to
    /// <c>max_tokens</c>), or when it may generate more than <see cref="MaxNonStreamedTokens"/>. Otherwise the answer
    /// comes as one JSON message: for a short non-streamed answer that is a fraction of the work of reading a stream
    /// of at least six events (issue 21: ~7 % of the CPU of a bench (a) request).
    /// </summary>
    public static bool StreamsUpstream(ChatRequest request, MessagesWriterOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        int maxTokens = request.MaxOutputTokens is int requested && requested > 0 ? requested : options.DefaultMaxTokens;
        bool thinks = request.Reasoning is { } reasoning && (reasoning.BudgetTokens > 0 || BudgetForEffort(reasoning.Effort) is not null);
        return request.Stream || thinks || maxTokens > MaxNonStreamedTokens;
    }

    /// <summary>
    /// The thinking budget for an OpenAI-style effort: <c>low</c> 1024, <c>medium</c> 4096, <c>high</c> 16384,
    /// <c>xhigh</c> 32768; <c>none</c>, <c>minimal</c>, unknown or absent → no thinking.
    /// </summary>
    public static int? BudgetForEffort(string? effort) => effort?.ToLowerInvariant() switch
    {
        "low" => 1024,
        "medium" => 4096,
        "high" => 16384,
        "xhigh" => 32768,
        _ => null,
    };

    public static byte[] Translate(ChatRequest request, MessagesWriterOptions options, bool oauth)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);

        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            Write(writer, request, options, oauth);
        }

        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, ChatRequest request, MessagesWriterOptions options, bool oauth)
    {
        bool hasTools = request.Tools.Count > 0 || request.HostedTools.Count > 0;
        bool forcedTool = hasTools && request.ToolChoice?.Mode is ToolChoiceMode.Required or ToolChoiceMode.Named;

        // Thinking: an explicit budget wins over an effort. The API refuses thinking together with a forced tool
        // choice ("Thinking may not be enabled when tool_choice forces tool use"), so the tool choice wins there.
        int? budget = request.Reasoning?.BudgetTokens is int explicitBudget && explicitBudget > 0
            ? Math.Max(explicitBudget, MinThinkingBudget)
            : BudgetForEffort(request.Reasoning?.Effort);
        if (forcedTool)
        {
            budget = null;
        }

        List<Turn> turns = BuildTurns(request.Messages);

        // With thinking on, the assistant turn a tool loop continues must start with its signed thinking block (the
        // API's 400: "a final `assistant` message must start with a thinking block"). A client that dropped it, and
        // whose thinking godex could not restore, gets this continuation without thinking rather than a 400: the API
        // documents disabling thinking as the way around the requirement, and the next user turn may think again.
        if (budget is not null && !ContinuationCanThink(turns))
        {
            budget = null;
        }

        if (budget is null && turns.Count > 0 && turns[^1].IsAssistant)
        {
            // Without thinking, an assistant turn in the final position (a prefill) must not carry thinking blocks.
            turns[^1].Parts.RemoveAll(p => p is ReasoningPart);
        }

        // max_tokens counts thinking too: when it would not leave room above the budget, the client's limit is kept
        // for the visible answer on top of the budget.
        int maxTokens = request.MaxOutputTokens is int requested && requested > 0 ? requested : options.DefaultMaxTokens;
        if (budget is int thinkingBudget && maxTokens <= thinkingBudget)
        {
            maxTokens = thinkingBudget + maxTokens;
        }

        writer.WriteStartObject();
        writer.WriteString("model"u8, request.Model);
        writer.WriteNumber("max_tokens"u8, maxTokens);
        WriteSystem(writer, request, options, oauth);
        WriteMessages(writer, turns);

        if (hasTools)
        {
            WriteTools(writer, request);
            WriteToolChoice(writer, request);
        }

        if (budget is int b)
        {
            writer.WriteStartObject("thinking"u8);
            writer.WriteString("type"u8, "enabled");
            writer.WriteNumber("budget_tokens"u8, b);
            writer.WriteEndObject();
        }
        else
        {
            // With thinking on the API rejects temperature and top_k, and top_p below 0.95: they are dropped then.
            if (request.Temperature is double temperature)
            {
                writer.WriteNumber("temperature"u8, temperature);
            }

            if (request.TopK is int topK)
            {
                writer.WriteNumber("top_k"u8, topK);
            }
        }

        if (request.TopP is double topP && (budget is null || topP >= 0.95))
        {
            writer.WriteNumber("top_p"u8, topP);
        }

        if (request.StopSequences.Count > 0)
        {
            writer.WriteStartArray("stop_sequences"u8);
            foreach (string stop in request.StopSequences)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        if (request.ResponseFormat is { Type: "json_schema", Schema: JsonElement schema })
        {
            // Structured outputs: output_config.format (the shape the official SDKs send). The API wants every object
            // closed ("For 'object' type, 'additionalProperties' must be explicitly set to false"); OpenAI clients
            // may leave that out outside strict mode, so godex closes them.
            writer.WriteStartObject("output_config"u8);
            writer.WriteStartObject("format"u8);
            writer.WriteString("type"u8, "json_schema");
            writer.WritePropertyName("schema"u8);
            StructuredOutputSchema.WriteClosed(writer, schema);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        if (!string.IsNullOrEmpty(request.User))
        {
            writer.WriteStartObject("metadata"u8);
            writer.WriteString("user_id"u8, request.User);
            writer.WriteEndObject();
        }

        writer.WriteBoolean("stream"u8, StreamsUpstream(request, options));
        writer.WriteEndObject();
    }

    private static void WriteSystem(Utf8JsonWriter writer, ChatRequest request, MessagesWriterOptions options, bool oauth)
    {
        bool started = false;
        string? prefix = oauth && !string.IsNullOrEmpty(options.OAuthSystemPrefix) ? options.OAuthSystemPrefix : null;
        if (prefix is not null)
        {
            // OAuth tokens are only accepted with Claude Code's identity as the first system block.
            writer.WriteStartArray("system"u8);
            started = true;
            WriteTextBlock(writer, prefix);
        }

        foreach (ChatMessage message in request.Messages)
        {
            if (!message.Role.IsInstruction)
            {
                continue;
            }

            string text = message.Text;
            if (text.Length == 0 || (prefix is not null && string.Equals(text, prefix, StringComparison.Ordinal)))
            {
                continue;
            }

            if (!started)
            {
                writer.WriteStartArray("system"u8);
                started = true;
            }

            WriteTextBlock(writer, text);
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }

    /// <summary>
    /// False when the conversation continues a tool loop (it ends with tool results) whose assistant turn does not start
    /// with a thinking block: the API refuses thinking for such a request.
    /// </summary>
    private static bool ContinuationCanThink(List<Turn> turns)
    {
        if (turns.Count < 2 || turns[^1].IsAssistant || !turns[^1].Parts.Exists(p => p is ToolResultPart))
        {
            return true;
        }

        Turn assistant = turns[^2];
        return assistant.IsAssistant && assistant.Parts.Count > 0 && assistant.Parts[0] is ReasoningPart;
    }

    private static void WriteMessages(Utf8JsonWriter writer, List<Turn> turns)
    {
        writer.WriteStartArray("messages"u8);
        foreach (Turn turn in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, turn.IsAssistant ? "assistant" : "user");
            writer.WriteStartArray("content"u8);
            foreach (ContentPart part in turn.Parts)
            {
                WriteBlock(writer, part, turn.IsAssistant);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Groups the conversation into alternating turns: tool messages count as user turns, consecutive turns of one
    /// role are merged, parts the API cannot take are dropped, and empty turns vanish.
    /// </summary>
    private static List<Turn> BuildTurns(IReadOnlyList<ChatMessage> messages)
    {
        var turns = new List<Turn>();
        foreach (ChatMessage message in messages)
        {
            if (message.Role.IsInstruction)
            {
                continue;
            }

            bool assistant = message.Role == ChatRole.Assistant;
            Turn? turn = turns.Count > 0 && turns[^1].IsAssistant == assistant ? turns[^1] : null;
            foreach (ContentPart part in message.Parts)
            {
                if (!IsSendable(part, assistant))
                {
                    continue;
                }

                if (turn is null)
                {
                    turn = new Turn(assistant);
                    turns.Add(turn);
                }

                turn.Parts.Add(part);
            }
        }

        foreach (Turn turn in turns)
        {
            List<ContentPart> ordered = turn.IsAssistant
                ? OrderAssistantParts(turn.Parts)
                // Spec: tool_result blocks must come first in the user turn that answers a tool_use.
                : [.. turn.Parts.Where(p => p is ToolResultPart), .. turn.Parts.Where(p => p is not ToolResultPart)];
            turn.Parts.Clear();
            turn.Parts.AddRange(ordered);
        }

        // A turn that held only trailing thinking is empty now; its neighbours may be of one role and are merged.
        var merged = new List<Turn>(turns.Count);
        foreach (Turn turn in turns)
        {
            if (turn.Parts.Count == 0)
            {
                continue;
            }

            if (merged.Count > 0 && merged[^1].IsAssistant == turn.IsAssistant)
            {
                merged[^1].Parts.AddRange(turn.Parts);
                continue;
            }

            merged.Add(turn);
        }

        return merged;
    }

    /// <summary>
    /// An assistant turn as the API accepts it: thinking blocks that came after its text (two client messages merged)
    /// move to the front, since "if an assistant message contains any thinking blocks, the first block must be thinking";
    /// thinking at the very end goes ("the final block in an assistant message cannot be `thinking`"). Consecutive
    /// thinking blocks keep their order, which their signatures require.
    /// </summary>
    private static List<ContentPart> OrderAssistantParts(List<ContentPart> parts)
    {
        int end = parts.Count;
        while (end > 0 && parts[end - 1] is ReasoningPart)
        {
            end--;
        }

        int firstCall = parts.FindIndex(p => p is ToolCallPart);
        int leadingEnd = firstCall < 0 ? end : Math.Min(firstCall, end);
        var ordered = new List<ContentPart>(end);
        ordered.AddRange(parts.Take(leadingEnd).Where(p => p is ReasoningPart));
        ordered.AddRange(parts.Take(leadingEnd).Where(p => p is not ReasoningPart));
        ordered.AddRange(parts.Skip(leadingEnd).Take(end - leadingEnd));
        return ordered;
    }

    private static bool IsSendable(ContentPart part, bool assistant) => part switch
    {
        TextPart text => text.Text.Length > 0,
        RefusalPart refusal => refusal.Refusal.Length > 0,
        ReasoningPart reasoning => assistant && (!string.IsNullOrEmpty(reasoning.Signature) || !string.IsNullOrEmpty(reasoning.RedactedData)),
        ToolCallPart => assistant,
        ToolResultPart => !assistant,
        ImagePart image => !assistant && (image.Url is not null || image.Data is not null),
        FilePart file => !assistant && (file.Data is not null || file.Url is not null),
        RawPart raw => string.Equals(raw.Dialect, "anthropic", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static void WriteBlock(Utf8JsonWriter writer, ContentPart part, bool assistant)
    {
        switch (part)
        {
            case TextPart text:
                WriteTextBlock(writer, text.Text);
                break;
            case RefusalPart refusal:
                WriteTextBlock(writer, refusal.Refusal);
                break;
            case ReasoningPart reasoning when !string.IsNullOrEmpty(reasoning.Signature):
                // Text and signature go back byte for byte: the signature covers the thinking text.
                writer.WriteStartObject();
                writer.WriteString("type"u8, "thinking");
                writer.WriteString("thinking"u8, reasoning.Text);
                writer.WriteString("signature"u8, reasoning.Signature);
                writer.WriteEndObject();
                break;
            case ReasoningPart reasoning:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "redacted_thinking");
                writer.WriteString("data"u8, reasoning.RedactedData);
                writer.WriteEndObject();
                break;
            case ToolCallPart call:
                WriteToolUse(writer, call);
                break;
            case ToolResultPart result:
                WriteToolResult(writer, result);
                break;
            case ImagePart image:
                WriteImage(writer, image);
                break;
            case FilePart file:
                WriteDocument(writer, file);
                break;
            case RawPart raw:
                raw.Json.WriteTo(writer);
                break;
            default:
                throw new InvalidOperationException($"unsendable part {part.GetType().Name} in {(assistant ? "assistant" : "user")} turn");
        }
    }

    private static void WriteTextBlock(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text");
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    }

    private static void WriteToolUse(Utf8JsonWriter writer, ToolCallPart call)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_use");
        writer.WriteString("id"u8, call.CallId);
        writer.WriteString("name"u8, call.Name);
        writer.WritePropertyName("input"u8);
        if (call.Kind == ToolCallKind.Custom)
        {
            // Custom (freeform) tools are declared with a single string property "input".
            writer.WriteStartObject();
            writer.WriteString("input"u8, call.Arguments);
            writer.WriteEndObject();
        }
        else
        {
            WriteArgumentsObject(writer, call.Arguments);
        }

        writer.WriteEndObject();
    }

    // The API takes input as an object: arguments that are not a JSON object (empty, truncated, an array) become {}.
    private static void WriteArgumentsObject(Utf8JsonWriter writer, string arguments)
    {
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                using var document = JsonDocument.Parse(arguments);
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

    private static void WriteToolResult(Utf8JsonWriter writer, ToolResultPart result)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_result");
        writer.WriteString("tool_use_id"u8, result.CallId);
        if (result.Content.Any(p => p is ImagePart))
        {
            writer.WriteStartArray("content"u8);
            foreach (ContentPart part in result.Content)
            {
                if (part is TextPart { Text.Length: > 0 } text)
                {
                    WriteTextBlock(writer, text.Text);
                }
                else if (part is ImagePart image)
                {
                    WriteImage(writer, image);
                }
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteString("content"u8, result.Text);
        }

        if (result.IsError)
        {
            writer.WriteBoolean("is_error"u8, true);
        }

        writer.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter writer, ImagePart image)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image");
        writer.WriteStartObject("source"u8);
        if (image.TryGetInlineData(out string mediaType, out string data))
        {
            writer.WriteString("type"u8, "base64");
            writer.WriteString("media_type"u8, mediaType);
            writer.WriteString("data"u8, data);
        }
        else
        {
            writer.WriteString("type"u8, "url");
            writer.WriteString("url"u8, image.Url);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteDocument(Utf8JsonWriter writer, FilePart file)
    {
        string? mediaType = file.MediaType;
        string? data = file.Data;
        if (data is not null && data.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
            && new ImagePart { Url = data }.TryGetInlineData(out string inlineType, out string inlineData))
        {
            mediaType = inlineType;
            data = inlineData;
        }

        writer.WriteStartObject();
        writer.WriteString("type"u8, "document");
        writer.WriteStartObject("source"u8);
        if (data is null)
        {
            writer.WriteString("type"u8, "url");
            writer.WriteString("url"u8, file.Url);
        }
        else if (mediaType is not null && mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) && TryDecodeBase64Text(data, out string text))
        {
            // Plain-text documents go as text sources; the base64 source takes PDFs only.
            writer.WriteString("type"u8, "text");
            writer.WriteString("media_type"u8, "text/plain");
            writer.WriteString("data"u8, text);
        }
        else
        {
            writer.WriteString("type"u8, "base64");
            writer.WriteString("media_type"u8, mediaType ?? "application/pdf");
            writer.WriteString("data"u8, data);
        }

        writer.WriteEndObject();
        if (!string.IsNullOrEmpty(file.FileName))
        {
            writer.WriteString("title"u8, file.FileName);
        }

        writer.WriteEndObject();
    }

    private static bool TryDecodeBase64Text(string data, out string text)
    {
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(data));
            return true;
        }
        catch (FormatException)
        {
            text = "";
            return false;
        }
    }

    private static void WriteTools(Utf8JsonWriter writer, ChatRequest request)
    {
        writer.WriteStartArray("tools"u8);
        foreach (ChatTool tool in request.Tools)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, tool.Name);
            if (!string.IsNullOrEmpty(tool.Description))
            {
                writer.WriteString("description"u8, tool.Description);
            }

            writer.WritePropertyName("input_schema"u8);
            if (tool.Kind == ToolCallKind.Custom)
            {
                WriteCustomToolSchema(writer);
            }
            else if (tool.Parameters is JsonElement { ValueKind: JsonValueKind.Object } parameters)
            {
                parameters.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "object");
                writer.WriteStartObject("properties"u8);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        foreach (HostedTool hosted in request.HostedTools)
        {
            if (hosted.Raw is JsonElement { ValueKind: JsonValueKind.Object } raw
                && raw.TryGetProperty("type", out JsonElement rawType) && rawType.ValueKind == JsonValueKind.String
                && rawType.GetString()!.StartsWith("web_search_", StringComparison.Ordinal))
            {
                // Already in the Messages dialect (an Anthropic client): keep its settings (max_uses, domains, ...).
                raw.WriteTo(writer);
            }
            else if (string.Equals(hosted.Type, "web_search", StringComparison.OrdinalIgnoreCase)
                || hosted.Type.StartsWith("web_search_", StringComparison.OrdinalIgnoreCase))
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "web_search_20250305");
                writer.WriteString("name"u8, "web_search");
                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteCustomToolSchema(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "object");
        writer.WriteStartObject("properties"u8);
        writer.WriteStartObject("input"u8);
        writer.WriteString("type"u8, "string");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteStartArray("required"u8);
        writer.WriteStringValue("input");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter writer, ChatRequest request)
    {
        ToolChoice? choice = request.ToolChoice;
        bool disableParallel = request.ParallelToolCalls == false;
        if (choice is null && !disableParallel)
        {
            return;
        }

        writer.WriteStartObject("tool_choice"u8);
        switch (choice?.Mode ?? ToolChoiceMode.Auto)
        {
            case ToolChoiceMode.None:
                writer.WriteString("type"u8, "none");
                disableParallel = false;
                break;
            case ToolChoiceMode.Required:
                writer.WriteString("type"u8, "any");
                break;
            case ToolChoiceMode.Named when !string.IsNullOrEmpty(choice!.Name):
                writer.WriteString("type"u8, "tool");
                writer.WriteString("name"u8, choice.Name);
                break;
            default:
                writer.WriteString("type"u8, "auto");
                break;
        }

        if (disableParallel)
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }

        writer.WriteEndObject();
    }

    private sealed class Turn(bool isAssistant)
    {
        public bool IsAssistant { get; } = isAssistant;

        public List<ContentPart> Parts { get; } = [];
    }
}
