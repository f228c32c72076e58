using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using static Godex.Core.Json.JsonFields;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// OpenAI Responses request body → <see cref="ResponsesRequest"/> (validated), then, once the stored chain of
/// <c>previous_response_id</c> is known, → canonical <see cref="ChatRequest"/>. Pure: no I/O, no DI. Every rejection
/// is a 400 <see cref="BackendError"/> whose <see cref="BackendError.Param"/> is the JSON path at fault
/// (<c>input[3].call_id</c>) and whose message starts with it.
/// </summary>
internal static class ResponsesRequestReader
{
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 128 };

    /// <summary>Output item types godex does not model; kept raw so that a Responses upstream still gets them.</summary>
    private static readonly HashSet<string> s_rawItemTypes = new(StringComparer.Ordinal)
    {
        "web_search_call", "file_search_call", "computer_call", "computer_call_output", "local_shell_call",
        "local_shell_call_output", "shell_call", "shell_call_output", "apply_patch_call", "apply_patch_call_output",
        "image_generation_call", "code_interpreter_call", "mcp_call", "mcp_list_tools", "mcp_approval_request",
        "mcp_approval_response", "tool_search_call", "tool_search_output", "compaction", "compaction_summary",
    };

    /// <summary>
    /// The model of a body that can go to a Responses upstream as it is, read without building anything: a JSON object
    /// with <c>store: false</c> and no <c>previous_response_id</c> or <c>conversation</c> (nothing for godex to keep or
    /// expand). Its <c>model</c> (or <paramref name="defaultModel"/> when it names none) and <c>stream</c>; null for any
    /// other body, which then takes the full parse (and gets its 400 there when it is wrong).
    /// </summary>
    public static (string Model, bool Stream)? PeekStateless(ReadOnlySpan<byte> json, string defaultModel)
    {
        string? model = null;
        bool storeFalse = false;
        bool stream = false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = s_documentOptions.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isModel = reader.ValueTextEquals("model"u8);
                bool isStore = !isModel && reader.ValueTextEquals("store"u8);
                bool isStream = !isModel && !isStore && reader.ValueTextEquals("stream"u8);
                bool isState = !isModel && !isStore && !isStream && (reader.ValueTextEquals("previous_response_id"u8) || reader.ValueTextEquals("conversation"u8));
                reader.Read();
                if (isModel)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return null;
                    }

                    model = reader.GetString();
                }
                else if (isStore)
                {
                    storeFalse = reader.TokenType == JsonTokenType.False;
                }
                else if (isStream)
                {
                    stream = reader.TokenType == JsonTokenType.True;
                }
                else if (isState && reader.TokenType != JsonTokenType.Null)
                {
                    return null;
                }

                reader.Skip();
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return null; // trailing content: the full parse says what is wrong
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return storeFalse ? (string.IsNullOrEmpty(model) ? defaultModel : model, stream) : null;
    }

    /// <summary>Parses and validates a request body.</summary>
    public static bool TryParseRequest(
        ReadOnlyMemory<byte> json,
        string defaultModel,
        [NotNullWhen(true)] out ResponsesRequest? request,
        [NotNullWhen(false)] out BackendError? error) =>
        TryParse(json, s_documentOptions, defaultModel, static (root, model) => ParseRoot(root, model), out request, out error);

    /// <summary>
    /// The new input with each <c>item_reference</c> replaced by the item it names from the stored chain
    /// (<paramref name="history"/>); references to unknown items are dropped and reported in <paramref name="warnings"/>.
    /// </summary>
    public static List<JsonElement> ResolveReferences(IReadOnlyList<JsonElement> input, IReadOnlyList<JsonElement> history, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(warnings);
        var byId = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonElement item in history)
        {
            if (String(item, "id") is { Length: > 0 } id)
            {
                byId.TryAdd(id, item);
            }
        }

        var resolved = new List<JsonElement>(input.Count);
        foreach (JsonElement item in input)
        {
            if (String(item, "type") != "item_reference")
            {
                resolved.Add(item);
                continue;
            }

            string id = String(item, "id") ?? "";
            if (byId.TryGetValue(id, out JsonElement referenced))
            {
                resolved.Add(referenced);
            }
            else
            {
                warnings.Add($"item_reference '{id}' is not in the stored conversation; dropped");
            }
        }

        return resolved;
    }

    /// <summary>
    /// The canonical request: <c>instructions</c> as a leading system message, then <paramref name="items"/> (the
    /// stored chain's items, oldest first, then the new input with references resolved). Tool results whose call is
    /// nowhere earlier are repaired from a later copy of the call or dropped, and reported in <paramref name="warnings"/>.
    /// </summary>
    public static ChatRequest ToChatRequest(ResponsesRequest request, IReadOnlyList<JsonElement> items, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(warnings);

        var messages = new List<ChatMessage>(items.Count + 1);
        if (!string.IsNullOrEmpty(request.Instructions))
        {
            messages.Add(new ChatMessage(ChatRole.System, request.Instructions));
        }

        int index = 0;
        foreach (JsonElement item in items)
        {
            // Already validated (history was validated when it was first sent).
            ChatMessage? message = ParseItem(item, $"input[{index}]");
            index++;
            if (message is null)
            {
                continue;
            }

            // Reasoning, text and the calls of one model turn are one assistant message (parallel calls, and
            // Anthropic needs thinking in the same turn as its tool_use).
            if (message.Role == ChatRole.Assistant && messages.Count > 0 && messages[^1].Role == ChatRole.Assistant)
            {
                messages[^1] = messages[^1] with { Parts = [.. messages[^1].Parts, .. message.Parts] };
                continue;
            }

            messages.Add(message);
        }

        return new ChatRequest
        {
            Model = request.Model,
            Messages = RepairToolResults(messages, warnings),
            Tools = request.Tools,
            HostedTools = request.HostedTools,
            ToolChoice = request.ToolChoice,
            ParallelToolCalls = request.ParallelToolCalls,
            MaxOutputTokens = request.MaxOutputTokens,
            Temperature = request.Temperature,
            TopP = request.TopP,
            Reasoning = request.Reasoning,
            ResponseFormat = request.ResponseFormat,
            Verbosity = request.Verbosity,
            PromptCacheKey = request.PromptCacheKey,
            User = request.User,
            Stream = request.Stream,
        };
    }

    /// <summary>
    /// A tool result must follow its call (every upstream 400s otherwise, wedging the session: the original's §10).
    /// A result whose call comes later is preceded by a copy of the call; one whose call is nowhere is dropped.
    /// </summary>
    private static List<ChatMessage> RepairToolResults(List<ChatMessage> messages, List<string> warnings)
    {
        var allCalls = new Dictionary<string, ToolCallPart>(StringComparer.Ordinal);
        foreach (ChatMessage message in messages)
        {
            foreach (ContentPart part in message.Parts)
            {
                if (part is ToolCallPart call)
                {
                    allCalls.TryAdd(call.CallId, call);
                }
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repaired = new List<ChatMessage>(messages.Count);
        foreach (ChatMessage message in messages)
        {
            if (message.Role != ChatRole.Tool)
            {
                foreach (ContentPart part in message.Parts)
                {
                    if (part is ToolCallPart call)
                    {
                        seen.Add(call.CallId);
                    }
                }

                repaired.Add(message);
                continue;
            }

            var kept = new List<ContentPart>(message.Parts.Count);
            foreach (ContentPart part in message.Parts)
            {
                if (part is not ToolResultPart result || seen.Contains(result.CallId))
                {
                    kept.Add(part);
                    continue;
                }

                if (allCalls.TryGetValue(result.CallId, out ToolCallPart? call))
                {
                    warnings.Add($"function_call_output for '{result.CallId}' came before its call; the call was moved before it");
                    seen.Add(call.CallId);
                    repaired.Add(new ChatMessage(ChatRole.Assistant, [call]));
                    kept.Add(part);
                }
                else
                {
                    warnings.Add($"function_call_output for '{result.CallId}' has no matching call; dropped");
                }
            }

            if (kept.Count > 0)
            {
                repaired.Add(message with { Parts = kept });
            }
        }

        return repaired;
    }

    private static ResponsesRequest ParseRoot(JsonElement root, string defaultModel)
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

        List<JsonElement> input = ParseInput(root);
        (List<ChatTool> tools, List<HostedTool> hosted, JsonElement? toolsJson) = ParseTools(root);

        int? maxOutputTokens = OptionalInt(root, "max_output_tokens", "max_output_tokens");
        if (maxOutputTokens is < 1)
        {
            throw new InvalidFieldException("max_output_tokens", "max_output_tokens: must be at least 1");
        }

        (ResponseFormat? format, string? verbosity, JsonElement? textJson) = ParseText(root);
        JsonElement? metadata = null;
        if (TryGetNonNull(root, "metadata", out JsonElement meta))
        {
            RequireKind(meta, JsonValueKind.Object, "metadata", "an object");
            metadata = meta.Clone();
        }

        var include = new List<string>();
        if (TryGetNonNull(root, "include", out JsonElement includeArray))
        {
            RequireKind(includeArray, JsonValueKind.Array, "include", "an array of strings");
            int index = 0;
            foreach (JsonElement value in includeArray.EnumerateArray())
            {
                include.Add(value.ValueKind == JsonValueKind.String
                    ? value.GetString()!
                    : throw new InvalidFieldException($"include[{index}]", $"include[{index}]: expected a string"));
                index++;
            }
        }

        return new ResponsesRequest
        {
            Model = model,
            Input = input,
            Instructions = OptionalString(root, "instructions", "instructions"),
            PreviousResponseId = OptionalString(root, "previous_response_id", "previous_response_id") is { Length: > 0 } previous ? previous : null,
            Store = OptionalBool(root, "store", "store") ?? true,
            Stream = OptionalBool(root, "stream", "stream") ?? false,
            Tools = tools,
            HostedTools = hosted,
            ToolsJson = toolsJson,
            ToolChoice = ParseToolChoice(root),
            ToolChoiceJson = TryGetNonNull(root, "tool_choice", out JsonElement choice) ? choice.Clone() : null,
            ParallelToolCalls = OptionalBool(root, "parallel_tool_calls", "parallel_tool_calls"),
            Reasoning = ParseReasoning(root),
            ResponseFormat = format,
            Verbosity = verbosity,
            TextJson = textJson,
            MaxOutputTokens = maxOutputTokens,
            Temperature = OptionalDouble(root, "temperature", "temperature"),
            TopP = OptionalDouble(root, "top_p", "top_p"),
            User = OptionalString(root, "user", "user"),
            PromptCacheKey = OptionalString(root, "prompt_cache_key", "prompt_cache_key"),
            Include = include,
            Metadata = metadata,
        };
    }

    private static List<JsonElement> ParseInput(JsonElement root)
    {
        if (!TryGetNonNull(root, "input", out JsonElement input))
        {
            // Allowed with previous_response_id alone? The API requires input; an empty list is the honest reading.
            return [];
        }

        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                return [UserMessageItem(input.GetString()!)];

            case JsonValueKind.Object:
                ParseItem(input, "input");
                return [input.Clone()];

            case JsonValueKind.Array:
            {
                var items = new List<JsonElement>(input.GetArrayLength());
                int index = 0;
                foreach (JsonElement item in input.EnumerateArray())
                {
                    ParseItem(item, $"input[{index}]");
                    items.Add(item.Clone());
                    index++;
                }

                return items;
            }

            default:
                throw new InvalidFieldException("input", "input: expected a string, an item or an array of items");
        }
    }

    private static JsonElement UserMessageItem(string text)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(text.Length + 96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "message");
            writer.WriteString("role", "user");
            writer.WriteStartArray("content");
            writer.WriteStartObject();
            writer.WriteString("type", "input_text");
            writer.WriteString("text", text);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>One input item → one canonical message; null for an <c>item_reference</c> (resolved by the caller).</summary>
    private static ChatMessage? ParseItem(JsonElement item, string path)
    {
        RequireKind(item, JsonValueKind.Object, path, "an input item object");
        string? type = OptionalString(item, "type", path + ".type");
        if (type is null && item.TryGetProperty("role", out _))
        {
            type = "message";
        }

        switch (type)
        {
            case "message":
                return ParseMessage(item, path);

            case "function_call":
            case "custom_tool_call":
            {
                bool custom = type == "custom_tool_call";
                string callId = RequiredString(item, "call_id", path);
                string name = RequiredString(item, "name", path);
                string arguments = custom ? OptionalString(item, "input", path + ".input") ?? "" : ArgumentsText(item, path);
                return new ChatMessage(ChatRole.Assistant, [new ToolCallPart(callId, name, arguments)
                {
                    Kind = custom ? ToolCallKind.Custom : ToolCallKind.Function,
                    ItemId = OptionalString(item, "id", path + ".id"),
                }]);
            }

            case "function_call_output":
            case "custom_tool_call_output":
            {
                string callId = RequiredString(item, "call_id", path);
                if (!item.TryGetProperty("output", out JsonElement output))
                {
                    throw new InvalidFieldException(path + ".output", path + ".output: required");
                }

                IReadOnlyList<ContentPart> content = output.ValueKind switch
                {
                    JsonValueKind.String => [new TextPart(output.GetString()!)],
                    JsonValueKind.Array => ParseContentParts(output, path + ".output"),
                    JsonValueKind.Null => [],
                    _ => throw new InvalidFieldException(path + ".output", path + ".output: expected a string or an array of content parts"),
                };
                return new ChatMessage(ChatRole.Tool, [new ToolResultPart(callId)
                {
                    Content = content,
                    Kind = type == "custom_tool_call_output" ? ToolCallKind.Custom : ToolCallKind.Function,
                }]);
            }

            case "reasoning":
                return new ChatMessage(ChatRole.Assistant, [ParseReasoningItem(item, path)]);

            case "item_reference":
                RequiredString(item, "id", path);
                return null;

            case null:
                throw new InvalidFieldException(path + ".type", path + ".type: required");

            default:
                if (s_rawItemTypes.Contains(type))
                {
                    return new ChatMessage(ChatRole.Assistant, [new RawPart("responses", item.Clone())]);
                }

                throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported item type '{type}'");
        }
    }

    private static ChatMessage ParseMessage(JsonElement item, string path)
    {
        string role = RequiredString(item, "role", path);
        ChatRole chatRole = role switch
        {
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "system" => ChatRole.System,
            "developer" => ChatRole.Developer,
            _ => throw new InvalidFieldException(path + ".role", $"{path}.role: unsupported role '{role}' (expected user, assistant, system or developer)"),
        };

        if (!TryGetNonNull(item, "content", out JsonElement content))
        {
            throw new InvalidFieldException(path + ".content", path + ".content: required");
        }

        IReadOnlyList<ContentPart> parts = content.ValueKind switch
        {
            JsonValueKind.String => [new TextPart(content.GetString()!)],
            JsonValueKind.Array => ParseContentParts(content, path + ".content"),
            _ => throw new InvalidFieldException(path + ".content", path + ".content: expected a string or an array of content parts"),
        };
        return new ChatMessage(chatRole, parts);
    }

    private static List<ContentPart> ParseContentParts(JsonElement array, string path)
    {
        var parts = new List<ContentPart>(array.GetArrayLength());
        int index = 0;
        foreach (JsonElement part in array.EnumerateArray())
        {
            parts.Add(ParsePart(part, $"{path}[{index}]"));
            index++;
        }

        return parts;
    }

    private static ContentPart ParsePart(JsonElement part, string path)
    {
        RequireKind(part, JsonValueKind.Object, path, "a content part object");
        string type = RequiredString(part, "type", path);
        switch (type)
        {
            case "input_text":
            case "output_text":
            case "text":
                return new TextPart(RequiredString(part, "text", path));

            case "refusal":
                return new RefusalPart(RequiredString(part, "refusal", path));

            case "input_image":
            {
                string? url = OptionalString(part, "image_url", path + ".image_url");
                string? fileId = OptionalString(part, "file_id", path + ".file_id");
                if (url is null && fileId is null)
                {
                    throw new InvalidFieldException(path + ".image_url", path + ".image_url: required (or file_id)");
                }

                // An uploaded file id means something only to OpenAI itself: kept raw for a Responses upstream.
                return url is not null
                    ? new ImagePart { Url = url, Detail = OptionalString(part, "detail", path + ".detail") }
                    : new RawPart("responses", part.Clone());
            }

            case "input_file":
            {
                string? data = OptionalString(part, "file_data", path + ".file_data");
                string? fileId = OptionalString(part, "file_id", path + ".file_id");
                string? fileUrl = OptionalString(part, "file_url", path + ".file_url");
                if (data is null && fileId is null && fileUrl is null)
                {
                    throw new InvalidFieldException(path + ".file_data", path + ".file_data: required (or file_id, file_url)");
                }

                string? mediaType = null;
                if (data is not null && data.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
                {
                    int comma = data.IndexOf(',', StringComparison.Ordinal);
                    int semicolon = data.IndexOf(";base64", StringComparison.OrdinalIgnoreCase);
                    if (comma > 0 && semicolon > 0 && semicolon < comma)
                    {
                        mediaType = data[5..semicolon];
                        data = data[(comma + 1)..];
                    }
                }

                return new FilePart
                {
                    FileName = OptionalString(part, "filename", path + ".filename"),
                    MediaType = mediaType,
                    Data = data,
                    FileId = fileId,
                    Url = fileUrl,
                };
            }

            default:
                throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported content part type '{type}' (expected input_text, input_image, input_file, output_text or refusal)");
        }
    }

    private static ReasoningPart ParseReasoningItem(JsonElement item, string path)
    {
        var parts = new List<string>();
        foreach (string field in (ReadOnlySpan<string>)["summary", "content"])
        {
            if (!TryGetNonNull(item, field, out JsonElement array))
            {
                continue;
            }

            RequireKind(array, JsonValueKind.Array, path + "." + field, "an array");
            int index = 0;
            foreach (JsonElement part in array.EnumerateArray())
            {
                string partPath = $"{path}.{field}[{index}]";
                RequireKind(part, JsonValueKind.Object, partPath, "an object");
                if (OptionalString(part, "text", partPath + ".text") is { Length: > 0 } partText)
                {
                    parts.Add(partText);
                }

                index++;
            }

            // The summary is what clients show; reasoning_text content is the same thought in full. One is enough.
            if (parts.Count > 0)
            {
                break;
            }
        }

        // The summary's parts stay apart, so that a Responses upstream gets them back as it made them.
        ReasoningPart reasoning = ResponsesReasoningEnvelope.Decode(
            OptionalString(item, "encrypted_content", path + ".encrypted_content"),
            string.Join("\n\n", parts),
            OptionalString(item, "id", path + ".id"));
        return parts.Count > 1 && reasoning.Signature is null && reasoning.RedactedData is null ? reasoning with { SummaryParts = parts } : reasoning;
    }

    private static string ArgumentsText(JsonElement item, string path)
    {
        if (!item.TryGetProperty("arguments", out JsonElement arguments) || arguments.ValueKind == JsonValueKind.Null)
        {
            return "";
        }

        return arguments.ValueKind switch
        {
            JsonValueKind.String => arguments.GetString()!,
            JsonValueKind.Object => arguments.GetRawText(),
            _ => throw new InvalidFieldException(path + ".arguments", path + ".arguments: expected a string"),
        };
    }

    private static (List<ChatTool> Tools, List<HostedTool> Hosted, JsonElement? Json) ParseTools(JsonElement root)
    {
        var tools = new List<ChatTool>();
        var hosted = new List<HostedTool>();
        if (!TryGetNonNull(root, "tools", out JsonElement array))
        {
            return (tools, hosted, null);
        }

        RequireKind(array, JsonValueKind.Array, "tools", "an array of tools");
        int index = 0;
        foreach (JsonElement tool in array.EnumerateArray())
        {
            string path = $"tools[{index}]";
            index++;
            RequireKind(tool, JsonValueKind.Object, path, "a tool object");
            string type = RequiredString(tool, "type", path);
            switch (type)
            {
                case "function":
                {
                    bool nested = TryGetNonNull(tool, "function", out JsonElement function);
                    JsonElement definition = nested ? function : tool;
                    string definitionPath = nested ? path + ".function" : path;
                    RequireKind(definition, JsonValueKind.Object, definitionPath, "an object");
                    JsonElement? parameters = null;
                    if (TryGetNonNull(definition, "parameters", out JsonElement schema))
                    {
                        RequireKind(schema, JsonValueKind.Object, definitionPath + ".parameters", "a JSON schema object");
                        parameters = schema.Clone();
                    }

                    tools.Add(new ChatTool(RequiredString(definition, "name", definitionPath))
                    {
                        Description = OptionalString(definition, "description", definitionPath + ".description"),
                        Parameters = parameters,
                        Strict = OptionalBool(definition, "strict", definitionPath + ".strict"),
                    });
                    break;
                }

                case "custom":
                {
                    bool nested = TryGetNonNull(tool, "custom", out JsonElement custom);
                    JsonElement definition = nested ? custom : tool;
                    string definitionPath = nested ? path + ".custom" : path;
                    RequireKind(definition, JsonValueKind.Object, definitionPath, "an object");
                    tools.Add(new ChatTool(RequiredString(definition, "name", definitionPath))
                    {
                        Kind = ToolCallKind.Custom,
                        Description = OptionalString(definition, "description", definitionPath + ".description"),
                        Format = TryGetNonNull(definition, "format", out JsonElement format) ? format.Clone() : null,
                    });
                    break;
                }

                case "web_search":
                case "web_search_preview":
                case "web_search_preview_2025_03_11":
                case "web_search_2025_08_26":
                    hosted.Add(new HostedTool("web_search") { Raw = tool.Clone() });
                    break;

                default:
                    // tool_search, namespace, file_search, mcp, ...: kept raw for a Responses upstream; other backends
                    // drop what they cannot run.
                    hosted.Add(new HostedTool(type) { Raw = tool.Clone() });
                    break;
            }
        }

        return (tools, hosted, array.Clone());
    }

    private static ToolChoice? ParseToolChoice(JsonElement root)
    {
        if (!TryGetNonNull(root, "tool_choice", out JsonElement choice))
        {
            return null;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            return choice.GetString() switch
            {
                "auto" => ToolChoice.Auto,
                "none" => ToolChoice.None,
                "required" => ToolChoice.Required,
                var other => throw new InvalidFieldException("tool_choice", $"tool_choice: unsupported value '{other}' (expected auto, none, required or an object)"),
            };
        }

        RequireKind(choice, JsonValueKind.Object, "tool_choice", "a string or an object");
        string type = RequiredString(choice, "type", "tool_choice");
        switch (type)
        {
            case "function":
            case "custom":
                if (TryGetNonNull(choice, type, out JsonElement nested))
                {
                    RequireKind(nested, JsonValueKind.Object, "tool_choice." + type, "an object");
                    return new ToolChoice(ToolChoiceMode.Named, RequiredString(nested, "name", "tool_choice." + type));
                }

                return new ToolChoice(ToolChoiceMode.Named, RequiredString(choice, "name", "tool_choice"));

            case "allowed_tools":
                return OptionalString(choice, "mode", "tool_choice.mode") == "required" ? ToolChoice.Required : ToolChoice.Auto;

            default:
                // A hosted tool type (web_search_preview, file_search, ...): the model must use tools.
                return ToolChoice.Required;
        }
    }

    private static ReasoningOptions? ParseReasoning(JsonElement root)
    {
        if (!TryGetNonNull(root, "reasoning", out JsonElement reasoning))
        {
            return null;
        }

        RequireKind(reasoning, JsonValueKind.Object, "reasoning", "an object");
        string? effort = OptionalString(reasoning, "effort", "reasoning.effort");
        string? summary = OptionalString(reasoning, "summary", "reasoning.summary")
            ?? OptionalString(reasoning, "generate_summary", "reasoning.generate_summary");
        return effort is null && summary is null ? null : new ReasoningOptions { Effort = effort, Summary = summary };
    }

    private static (ResponseFormat? Format, string? Verbosity, JsonElement? Json) ParseText(JsonElement root)
    {
        if (!TryGetNonNull(root, "text", out JsonElement text))
        {
            return (null, null, null);
        }

        RequireKind(text, JsonValueKind.Object, "text", "an object");
        string? verbosity = OptionalString(text, "verbosity", "text.verbosity");
        if (!TryGetNonNull(text, "format", out JsonElement format))
        {
            return (null, verbosity, text.Clone());
        }

        RequireKind(format, JsonValueKind.Object, "text.format", "an object");
        string type = RequiredString(format, "type", "text.format");
        ResponseFormat result;
        switch (type)
        {
            case "text":
            case "json_object":
                result = new ResponseFormat(type);
                break;

            case "json_schema":
            {
                JsonElement? schema = null;
                if (TryGetNonNull(format, "schema", out JsonElement body))
                {
                    RequireKind(body, JsonValueKind.Object, "text.format.schema", "a JSON schema object");
                    schema = body.Clone();
                }
                else
                {
                    throw new InvalidFieldException("text.format.schema", "text.format.schema: required for type 'json_schema'");
                }

                result = new ResponseFormat(type)
                {
                    Name = RequiredString(format, "name", "text.format"),
                    Description = OptionalString(format, "description", "text.format.description"),
                    Schema = schema,
                    Strict = OptionalBool(format, "strict", "text.format.strict"),
                };
                break;
            }

            default:
                throw new InvalidFieldException("text.format.type", $"text.format.type: unsupported value '{type}' (expected text, json_object or json_schema)");
        }

        return (result, verbosity, text.Clone());
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string RequiredString(JsonElement element, string name, string parentPath)
    {
        string path = parentPath.Length == 0 ? name : parentPath + "." + name;
        return OptionalString(element, name, path) ?? throw new InvalidFieldException(path, path + ": required");
    }
}
