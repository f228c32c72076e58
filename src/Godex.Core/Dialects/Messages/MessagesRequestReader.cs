using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using static Godex.Core.Json.JsonFields;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// Anthropic Messages request body (<c>POST /v1/messages</c>) → canonical <see cref="ChatRequest"/>. Pure: no I/O, no
/// DI. Every rejection is a 400 <see cref="BackendError"/> whose <see cref="BackendError.Param"/> is the JSON path at
/// fault and whose message starts with it. Unknown top-level fields (<c>context_management</c>, future ones) are
/// ignored, the way the API ignores what a beta does not enable.
/// <para>Choices, each documented where it is made:</para>
/// <list type="bullet">
/// <item>Each <c>system</c> block becomes one system message (so block boundaries survive); <c>role:"system"</c>
/// messages inside <c>messages</c> stay system messages at their position. <c>cache_control</c> is not translated;
/// instead <see cref="ChatRequest.PromptCacheKey"/> is a hash of the cacheable prefix (system + tools), so an OpenAI
/// upstream's prompt cache still serves every turn of the conversation.</item>
/// <item><c>tool_result</c> blocks become tool messages (ids kept), other user blocks stay user messages, in order.</item>
/// <item>A thinking <c>signature</c> that is a godex envelope (<see cref="ThinkingBlocks"/>) becomes
/// <see cref="ReasoningPart.EncryptedContent"/> again; any other signature is kept verbatim.</item>
/// <item>Server-tool blocks (<c>server_tool_use</c>, <c>*_tool_result</c>, ...) become <see cref="RawPart"/>s of the
/// <c>anthropic</c> dialect: same-dialect upstreams get them back, others skip them.</item>
/// </list>
/// </summary>
internal static class MessagesRequestReader
{
    /// <summary>The Messages API's smallest thinking budget.</summary>
    public const int MinThinkingBudget = 1024;

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 256 };

    // Content blocks the Messages API defines for server-run tools and other features godex does not model.
    private static readonly HashSet<string> s_rawBlockTypes = new(StringComparer.Ordinal)
    {
        "server_tool_use",
        "mcp_tool_use",
        "mcp_tool_result",
        "container_upload",
        "search_result",
        "compaction",
    };

    /// <summary>
    /// The top-level <c>model</c> and <c>stream</c> of a Messages body, read without building anything: enough to route
    /// a request that goes to Anthropic byte for byte (which validates the rest itself). Model null when the body is
    /// not a JSON object with a string <c>model</c>.
    /// </summary>
    public static (string? Model, bool Stream) PeekRouting(ReadOnlySpan<byte> json)
    {
        string? model = null;
        bool stream = false;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, false);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isModel = reader.ValueTextEquals("model"u8);
                bool isStream = !isModel && reader.ValueTextEquals("stream"u8);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.String)
                {
                    model = reader.GetString();
                }
                else if (isStream)
                {
                    stream = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return (null, false);
        }

        return (model, stream);
    }

    /// <summary>Parses a request body.</summary>
    /// <param name="json">The raw body.</param>
    /// <param name="defaultModel">The model used when the body names none (<c>proxy.model</c>).</param>
    /// <param name="request">The parsed request, on success.</param>
    /// <param name="error">A 400 naming the field at fault, on failure.</param>
    public static bool TryParseRequest(
        ReadOnlyMemory<byte> json,
        string defaultModel,
        [NotNullWhen(true)] out ChatRequest? request,
        [NotNullWhen(false)] out BackendError? error) =>
        TryParse(json, s_documentOptions, defaultModel, static (root, model) => ParseRoot(root, model), out request, out error);

    /// <summary>
    /// The OpenAI effort for a thinking budget: up to 2048 tokens <c>low</c>, up to 8192 <c>medium</c>, above that
    /// <c>high</c> (roughly the inverse of the Anthropic provider's effort → budget table).
    /// </summary>
    public static string EffortForBudget(int budget) => budget switch
    {
        <= 2048 => "low",
        <= 8192 => "medium",
        _ => "high",
    };

    private static ChatRequest ParseRoot(JsonElement root, string defaultModel)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFieldException("", "the request body must be a JSON object");
        }

        string? model = OptionalString(root, "model", "model");
        if (string.IsNullOrWhiteSpace(model))
        {
            model = defaultModel;
        }

        // Like the real API: max_tokens is required.
        int maxTokens = OptionalInt(root, "max_tokens", "max_tokens")
            ?? throw new InvalidFieldException("max_tokens", "max_tokens: Field required");
        if (maxTokens < 1)
        {
            throw new InvalidFieldException("max_tokens", "max_tokens: must be at least 1");
        }

        var messages = new List<ChatMessage>();
        List<string> systemTexts = ParseSystem(root, messages);
        ParseMessages(root, messages);
        (List<ChatTool> tools, List<HostedTool> hosted, List<string> providerOnly, string toolsKey) = ParseTools(root);
        (ToolChoice? toolChoice, bool? parallel) = ParseToolChoice(root);

        string? user = null;
        if (TryGetNonNull(root, "metadata", out JsonElement metadata))
        {
            RequireKind(metadata, JsonValueKind.Object, "metadata", "an object");
            user = OptionalString(metadata, "user_id", "metadata.user_id");
        }

        return new ChatRequest
        {
            Model = model,
            Messages = messages,
            Tools = tools,
            HostedTools = hosted,
            ProviderOnlyTools = providerOnly,
            ToolChoice = toolChoice,
            ParallelToolCalls = parallel,
            MaxOutputTokens = maxTokens,
            Temperature = OptionalDouble(root, "temperature", "temperature"),
            TopP = OptionalDouble(root, "top_p", "top_p"),
            TopK = OptionalInt(root, "top_k", "top_k"),
            StopSequences = ParseStopSequences(root),
            Reasoning = ParseReasoning(root),
            ResponseFormat = ParseOutputFormat(root),
            PromptCacheKey = PromptCacheKey(systemTexts, toolsKey),
            User = user,
            Stream = OptionalBool(root, "stream", "stream") ?? false,
        };
    }

    /// <summary>
    /// <c>godex-</c> + the first 16 bytes of SHA-256 over the system texts and the tool definitions, in hex: every turn
    /// of one conversation shares it, so an upstream that routes its prompt cache by key (Codex) keeps hitting the
    /// cache, like Anthropic's <c>cache_control</c> breakpoints would. No system and no tools → no key.
    /// </summary>
    private static string? PromptCacheKey(List<string> systemTexts, string toolsKey)
    {
        if (systemTexts.Count == 0 && toolsKey.Length == 0)
        {
            return null;
        }

        var builder = new StringBuilder();
        foreach (string text in systemTexts)
        {
            builder.Append(text).Append('\u001e');
        }

        builder.Append('\u001d').Append(toolsKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString()), hash);
        return "godex-" + Convert.ToHexStringLower(hash[..16]);
    }

    private static List<string> ParseSystem(JsonElement root, List<ChatMessage> messages)
    {
        var texts = new List<string>();
        if (!TryGetNonNull(root, "system", out JsonElement system))
        {
            return texts;
        }

        if (system.ValueKind == JsonValueKind.String)
        {
            string text = system.GetString()!;
            texts.Add(text);
            messages.Add(new ChatMessage(ChatRole.System, text));
            return texts;
        }

        if (system.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidFieldException("system", "system: expected a string or an array of text blocks");
        }

        int index = 0;
        foreach (JsonElement block in system.EnumerateArray())
        {
            string path = $"system[{index}]";
            RequireKind(block, JsonValueKind.Object, path, "a text block");
            string type = OptionalString(block, "type", path + ".type")
                ?? throw new InvalidFieldException(path + ".type", path + ".type: Field required");
            if (type != "text")
            {
                throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported system block type \"{type}\" (expected \"text\")");
            }

            string text = OptionalString(block, "text", path + ".text")
                ?? throw new InvalidFieldException(path + ".text", path + ".text: Field required");
            texts.Add(text);
            messages.Add(new ChatMessage(ChatRole.System, text));
            index++;
        }

        return texts;
    }

    private static void ParseMessages(JsonElement root, List<ChatMessage> messages)
    {
        if (!TryGetNonNull(root, "messages", out JsonElement array))
        {
            throw new InvalidFieldException("messages", "messages: Field required");
        }

        RequireKind(array, JsonValueKind.Array, "messages", "an array of messages");
        if (array.GetArrayLength() == 0)
        {
            throw new InvalidFieldException("messages", "messages: at least one message is required");
        }

        int index = 0;
        foreach (JsonElement element in array.EnumerateArray())
        {
            ParseMessage(element, $"messages[{index}]", messages);
            index++;
        }
    }

    private static void ParseMessage(JsonElement element, string path, List<ChatMessage> messages)
    {
        RequireKind(element, JsonValueKind.Object, path, "a message object");
        string role = OptionalString(element, "role", path + ".role")
            ?? throw new InvalidFieldException(path + ".role", path + ".role: Field required");
        if (role is not ("user" or "assistant" or "system"))
        {
            throw new InvalidFieldException(path + ".role", $"{path}.role: unsupported role \"{role}\" (expected \"user\" or \"assistant\")");
        }

        if (!TryGetNonNull(element, "content", out JsonElement content))
        {
            throw new InvalidFieldException(path + ".content", path + ".content: Field required");
        }

        string contentPath = path + ".content";
        if (role == "system")
        {
            // Claude Code sends some instructions as in-place system messages; they stay where they are.
            messages.Add(new ChatMessage(ChatRole.System, ParseSystemContent(content, contentPath)));
            return;
        }

        bool assistant = role == "assistant";
        if (content.ValueKind == JsonValueKind.String)
        {
            messages.Add(new ChatMessage(assistant ? ChatRole.Assistant : ChatRole.User, content.GetString()!));
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidFieldException(contentPath, contentPath + ": expected a string or an array of content blocks");
        }

        if (assistant)
        {
            var parts = new List<ContentPart>(content.GetArrayLength());
            int index = 0;
            foreach (JsonElement block in content.EnumerateArray())
            {
                parts.Add(ParseBlock(block, $"{contentPath}[{index}]", assistant: true));
                index++;
            }

            messages.Add(new ChatMessage(ChatRole.Assistant, parts));
            return;
        }

        // A user turn: each tool_result becomes a tool message, runs of other blocks a user message, order kept.
        List<ContentPart>? run = null;
        int i = 0;
        foreach (JsonElement block in content.EnumerateArray())
        {
            ContentPart part = ParseBlock(block, $"{contentPath}[{i}]", assistant: false);
            if (part is ToolResultPart result)
            {
                if (run is not null)
                {
                    messages.Add(new ChatMessage(ChatRole.User, run));
                    run = null;
                }

                messages.Add(new ChatMessage(ChatRole.Tool, [result]));
            }
            else
            {
                (run ??= []).Add(part);
            }

            i++;
        }

        if (run is not null || i == 0)
        {
            messages.Add(new ChatMessage(ChatRole.User, run ?? []));
        }
    }

    private static string ParseSystemContent(JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidFieldException(path, path + ": expected a string or an array of text blocks");
        }

        var builder = new StringBuilder();
        int index = 0;
        foreach (JsonElement block in content.EnumerateArray())
        {
            string blockPath = $"{path}[{index}]";
            RequireKind(block, JsonValueKind.Object, blockPath, "a text block");
            string type = OptionalString(block, "type", blockPath + ".type")
                ?? throw new InvalidFieldException(blockPath + ".type", blockPath + ".type: Field required");
            if (type != "text")
            {
                throw new InvalidFieldException(blockPath + ".type", $"{blockPath}.type: a system message takes text blocks only, not \"{type}\"");
            }

            if (builder.Length > 0)
            {
                builder.Append("\n\n");
            }

            builder.Append(OptionalString(block, "text", blockPath + ".text")
                ?? throw new InvalidFieldException(blockPath + ".text", blockPath + ".text: Field required"));
            index++;
        }

        return builder.ToString();
    }

    private static ContentPart ParseBlock(JsonElement block, string path, bool assistant)
    {
        RequireKind(block, JsonValueKind.Object, path, "a content block object");
        string type = OptionalString(block, "type", path + ".type")
            ?? throw new InvalidFieldException(path + ".type", path + ".type: Field required");
        switch (type)
        {
            case "text":
                return new TextPart(OptionalString(block, "text", path + ".text")
                    ?? throw new InvalidFieldException(path + ".text", path + ".text: Field required"));

            case "image":
                return ParseImage(block, path);

            case "document":
                return ParseDocument(block, path);

            case "tool_use":
            {
                string id = RequiredString(block, "id", path);
                string name = RequiredString(block, "name", path);
                string input = "{}";
                if (TryGetNonNull(block, "input", out JsonElement inputElement))
                {
                    RequireKind(inputElement, JsonValueKind.Object, path + ".input", "an object");
                    input = inputElement.GetRawText();
                }

                if (!assistant)
                {
                    throw new InvalidFieldException(path + ".type", path + ".type: tool_use blocks belong in assistant messages");
                }

                return new ToolCallPart(id, name, input);
            }

            case "tool_result":
            {
                if (assistant)
                {
                    throw new InvalidFieldException(path + ".type", path + ".type: tool_result blocks belong in user messages");
                }

                string id = RequiredString(block, "tool_use_id", path);
                return new ToolResultPart(id)
                {
                    Content = ParseToolResultContent(block, path + ".content"),
                    IsError = OptionalBool(block, "is_error", path + ".is_error") ?? false,
                };
            }

            case "thinking":
            {
                string thinking = OptionalString(block, "thinking", path + ".thinking")
                    ?? throw new InvalidFieldException(path + ".thinking", path + ".thinking: Field required");
                return ThinkingBlocks.ToReasoningPart(thinking, OptionalString(block, "signature", path + ".signature"));
            }

            case "redacted_thinking":
                return new ReasoningPart
                {
                    RedactedData = OptionalString(block, "data", path + ".data")
                        ?? throw new InvalidFieldException(path + ".data", path + ".data: Field required"),
                };

            default:
                if (s_rawBlockTypes.Contains(type) || type.EndsWith("_tool_result", StringComparison.Ordinal)
                    || type.EndsWith("_tool_use", StringComparison.Ordinal))
                {
                    return new RawPart("anthropic", block.Clone());
                }

                throw new InvalidFieldException(path + ".type", $"{path}.type: unknown block type \"{type}\"");
        }
    }

    private static ImagePart ParseImage(JsonElement block, string path)
    {
        JsonElement source = RequiredObject(block, "source", path);
        string sourcePath = path + ".source";
        string sourceType = RequiredString(source, "type", sourcePath);
        return sourceType switch
        {
            "base64" => new ImagePart
            {
                MediaType = RequiredString(source, "media_type", sourcePath),
                Data = RequiredString(source, "data", sourcePath),
            },
            "url" => new ImagePart { Url = RequiredString(source, "url", sourcePath) },
            _ => throw new InvalidFieldException(sourcePath + ".type", $"{sourcePath}.type: unsupported image source \"{sourceType}\" (expected \"base64\" or \"url\")"),
        };
    }

    private static ContentPart ParseDocument(JsonElement block, string path)
    {
        JsonElement source = RequiredObject(block, "source", path);
        string sourcePath = path + ".source";
        string sourceType = RequiredString(source, "type", sourcePath);
        string? title = OptionalString(block, "title", path + ".title");
        switch (sourceType)
        {
            case "base64":
                return new FilePart
                {
                    FileName = title,
                    MediaType = RequiredString(source, "media_type", sourcePath),
                    Data = RequiredString(source, "data", sourcePath),
                };

            case "text":
                // Carried as base64 text/plain, the way the Anthropic provider expects a text document back.
                return new FilePart
                {
                    FileName = title,
                    MediaType = "text/plain",
                    Data = Convert.ToBase64String(Encoding.UTF8.GetBytes(RequiredString(source, "data", sourcePath))),
                };

            case "url":
                return new FilePart { FileName = title, Url = RequiredString(source, "url", sourcePath) };

            default:
                // content blocks, file ids: same-dialect upstreams only.
                return new RawPart("anthropic", block.Clone());
        }
    }

    private static List<ContentPart> ParseToolResultContent(JsonElement block, string path)
    {
        if (!block.TryGetProperty("content", out JsonElement content) || content.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidFieldException(path, path + ": expected a string or an array of content blocks");
        }

        var parts = new List<ContentPart>(content.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in content.EnumerateArray())
        {
            string itemPath = $"{path}[{index}]";
            ContentPart part = ParseBlock(item, itemPath, assistant: false);
            if (part is ToolResultPart)
            {
                throw new InvalidFieldException(itemPath + ".type", itemPath + ".type: a tool_result cannot contain a tool_result");
            }

            parts.Add(part);
            index++;
        }

        return parts;
    }

    private static (List<ChatTool> Tools, List<HostedTool> Hosted, List<string> ProviderOnly, string Key) ParseTools(JsonElement root)
    {
        var tools = new List<ChatTool>();
        var hosted = new List<HostedTool>();
        var providerOnly = new List<string>();
        if (!TryGetNonNull(root, "tools", out JsonElement array))
        {
            return (tools, hosted, providerOnly, "");
        }

        RequireKind(array, JsonValueKind.Array, "tools", "an array of tools");
        var key = new StringBuilder();
        int index = 0;
        foreach (JsonElement tool in array.EnumerateArray())
        {
            string path = $"tools[{index}]";
            RequireKind(tool, JsonValueKind.Object, path, "a tool object");
            string? type = OptionalString(tool, "type", path + ".type");
            string name = RequiredString(tool, "name", path);
            if (type is not null && type != "custom")
            {
                // Anthropic-defined tools (bash_20250124, web_search_20250305, ...): what other backends can serve.
                DefinedTool defined = MessagesDefinedTools.Translate(type, name);
                if (defined.Function is { } function)
                {
                    tools.Add(function);
                }
                else if (defined.Hosted is { } hostedTool)
                {
                    hosted.Add(hostedTool with { Raw = tool.Clone() });
                }
                else
                {
                    providerOnly.Add(type);
                }

                key.Append(type).Append(':').Append(name).Append('\u001f');
                index++;
                continue;
            }

            if (!TryGetNonNull(tool, "input_schema", out JsonElement schema))
            {
                throw new InvalidFieldException(path + ".input_schema", path + ".input_schema: Field required");
            }

            RequireKind(schema, JsonValueKind.Object, path + ".input_schema", "a JSON schema object");
            string? description = OptionalString(tool, "description", path + ".description");
            tools.Add(new ChatTool(name)
            {
                Description = description,
                Parameters = schema.Clone(),
                Strict = OptionalBool(tool, "strict", path + ".strict"),
            });
            key.Append(name).Append('\u001f').Append(description).Append('\u001f').Append(schema.GetRawText()).Append('\u001f');
            index++;
        }

        return (tools, hosted, providerOnly, key.ToString());
    }

    private static (ToolChoice? Choice, bool? Parallel) ParseToolChoice(JsonElement root)
    {
        if (!TryGetNonNull(root, "tool_choice", out JsonElement choice))
        {
            return (null, null);
        }

        RequireKind(choice, JsonValueKind.Object, "tool_choice", "an object");
        string type = OptionalString(choice, "type", "tool_choice.type")
            ?? throw new InvalidFieldException("tool_choice.type", "tool_choice.type: Field required");
        bool? parallel = OptionalBool(choice, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use") is true ? false : null;
        ToolChoice mode = type switch
        {
            "auto" => ToolChoice.Auto,
            "any" => ToolChoice.Required,
            "none" => ToolChoice.None,
            "tool" => new ToolChoice(ToolChoiceMode.Named, OptionalString(choice, "name", "tool_choice.name")
                ?? throw new InvalidFieldException("tool_choice.name", "tool_choice.name: Field required for type \"tool\"")),
            _ => throw new InvalidFieldException("tool_choice.type", $"tool_choice.type: unsupported value \"{type}\" (expected auto, any, tool or none)"),
        };
        return (mode, parallel);
    }

    private static List<string> ParseStopSequences(JsonElement root)
    {
        if (!TryGetNonNull(root, "stop_sequences", out JsonElement array))
        {
            return [];
        }

        RequireKind(array, JsonValueKind.Array, "stop_sequences", "an array of strings");
        var list = new List<string>(array.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new InvalidFieldException($"stop_sequences[{index}]", $"stop_sequences[{index}]: expected a string");
            }

            list.Add(item.GetString()!);
            index++;
        }

        return list;
    }

    /// <summary>
    /// <c>thinking</c> and <c>output_config.effort</c> → <see cref="ReasoningOptions"/>: <c>enabled</c> keeps its budget
    /// and gets the matching effort (<see cref="EffortForBudget"/>); <c>adaptive</c> takes the client's effort, else
    /// <c>medium</c>; <c>disabled</c> or absent leaves the upstream's default unless an effort was given. Effort
    /// <c>max</c> is OpenAI's <c>xhigh</c>.
    /// </summary>
    private static ReasoningOptions? ParseReasoning(JsonElement root)
    {
        string? effort = null;
        if (TryGetNonNull(root, "output_config", out JsonElement outputConfig))
        {
            RequireKind(outputConfig, JsonValueKind.Object, "output_config", "an object");
            effort = OptionalString(outputConfig, "effort", "output_config.effort");
            if (effort is not null && effort is not ("low" or "medium" or "high" or "max" or "xhigh"))
            {
                throw new InvalidFieldException("output_config.effort", $"output_config.effort: unsupported value \"{effort}\" (expected low, medium, high or max)");
            }

            effort = effort == "max" ? "xhigh" : effort;
        }

        if (!TryGetNonNull(root, "thinking", out JsonElement thinking))
        {
            return effort is null ? null : new ReasoningOptions { Effort = effort };
        }

        RequireKind(thinking, JsonValueKind.Object, "thinking", "an object");
        string type = OptionalString(thinking, "type", "thinking.type")
            ?? throw new InvalidFieldException("thinking.type", "thinking.type: Field required");
        switch (type)
        {
            case "enabled":
            {
                int budget = OptionalInt(thinking, "budget_tokens", "thinking.budget_tokens")
                    ?? throw new InvalidFieldException("thinking.budget_tokens", "thinking.budget_tokens: Field required");
                if (budget < MinThinkingBudget)
                {
                    throw new InvalidFieldException("thinking.budget_tokens", $"thinking.budget_tokens: must be at least {MinThinkingBudget}");
                }

                return new ReasoningOptions { BudgetTokens = budget, Effort = effort ?? EffortForBudget(budget) };
            }

            case "adaptive":
                return new ReasoningOptions { Effort = effort ?? "medium" };

            case "disabled":
                return effort is null ? null : new ReasoningOptions { Effort = effort };

            default:
                throw new InvalidFieldException("thinking.type", $"thinking.type: unsupported value \"{type}\" (expected enabled, adaptive or disabled)");
        }
    }

    /// <summary>
    /// Structured output: <c>output_config.format</c> (GA) or the older beta's <c>output_format</c>, both
    /// <c>{"type":"json_schema","schema":{…}}</c>. Anthropic guarantees the schema; OpenAI does only in strict mode,
    /// which takes only schemas with every object closed and every property required — so a schema that meets those
    /// rules asks for strict mode, any other is sent as guidance (OpenAI's non-strict json_schema).
    /// </summary>
    private static ResponseFormat? ParseOutputFormat(JsonElement root)
    {
        string path = "output_config.format";
        if (!(TryGetNonNull(root, "output_config", out JsonElement config) && config.ValueKind == JsonValueKind.Object
            && TryGetNonNull(config, "format", out JsonElement format)))
        {
            path = "output_format";
            if (!TryGetNonNull(root, "output_format", out format))
            {
                return null;
            }
        }

        RequireKind(format, JsonValueKind.Object, path, "an object");
        string type = RequiredString(format, "type", path);
        if (type != "json_schema")
        {
            throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported value \"{type}\" (expected \"json_schema\")");
        }

        JsonElement schema = RequiredObject(format, "schema", path);
        return new ResponseFormat("json_schema")
        {
            Name = "output",
            Schema = schema.Clone(),
            Strict = StructuredOutputSchema.IsStrict(schema),
        };
    }

    private static string RequiredString(JsonElement element, string name, string parentPath)
    {
        string path = parentPath + "." + name;
        return OptionalString(element, name, path) ?? throw new InvalidFieldException(path, path + ": Field required");
    }

    private static JsonElement RequiredObject(JsonElement element, string name, string parentPath)
    {
        string path = parentPath + "." + name;
        if (!TryGetNonNull(element, name, out JsonElement value))
        {
            throw new InvalidFieldException(path, path + ": Field required");
        }

        RequireKind(value, JsonValueKind.Object, path, "an object");
        return value;
    }
}
