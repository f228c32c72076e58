using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using static Godex.Core.Json.JsonFields;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// OpenAI Chat Completions request body → canonical <see cref="ChatRequest"/>. Pure: no I/O, no DI. Every rejection is
/// a 400 <see cref="BackendError"/> whose <see cref="BackendError.Param"/> is the JSON path at fault and whose message
/// starts with it, so that a client sees which field to fix.
/// </summary>
internal static class ChatCompletionsRequestReader
{
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 128 };

    /// <summary>Parses a request body.</summary>
    /// <param name="json">The raw body.</param>
    /// <param name="defaultModel">The model used when the body names none (<c>proxy.model</c>).</param>
    /// <param name="request">The parsed request, on success.</param>
    /// <param name="error">A 400 naming the field at fault, on failure.</param>
    public static bool TryParseRequest(
        ReadOnlyMemory<byte> json,
        string defaultModel,
        [NotNullWhen(true)] out ChatCompletionsRequest? request,
        [NotNullWhen(false)] out BackendError? error) =>
        TryParse(json, s_documentOptions, defaultModel, static (root, model) => ParseRoot(root, model), out request, out error);

    private static ChatCompletionsRequest ParseRoot(JsonElement root, string defaultModel)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFieldException("", "the request body must be a JSON object");
        }

        var body = RequestMembers.Read(root);
        string? model = OptionalString(body.Model, "model");
        if (string.IsNullOrWhiteSpace(model))
        {
            model = defaultModel;
        }

        if (OptionalInt(body.N, "n") is > 1)
        {
            throw new InvalidFieldException("n", "n > 1 is not supported");
        }

        IReadOnlyList<ChatMessage> messages = ParseMessages(body.Messages);
        (List<ChatTool> tools, List<HostedTool> hostedTools) = ParseTools(body);

        int? maxTokens = OptionalInt(body.MaxCompletionTokens, "max_completion_tokens")
            ?? OptionalInt(body.MaxTokens, "max_tokens");
        if (maxTokens is < 1)
        {
            string param = body.MaxCompletionTokens.ValueKind != JsonValueKind.Undefined ? "max_completion_tokens" : "max_tokens";
            throw new InvalidFieldException(param, "must be at least 1");
        }

        bool includeUsage = false;
        if (IsPresent(body.StreamOptions))
        {
            RequireKind(body.StreamOptions, JsonValueKind.Object, "stream_options", "an object");
            includeUsage = OptionalBool(body.StreamOptions, "include_usage", "stream_options.include_usage") ?? false;
        }

        var request = new ChatRequest
        {
            Model = model,
            Messages = messages,
            Tools = tools,
            HostedTools = hostedTools,
            ToolChoice = ParseToolChoice(body),
            ParallelToolCalls = OptionalBool(body.ParallelToolCalls, "parallel_tool_calls"),
            MaxOutputTokens = maxTokens,
            Temperature = OptionalDouble(body.Temperature, "temperature"),
            TopP = OptionalDouble(body.TopP, "top_p"),
            StopSequences = ParseStop(body.Stop),
            Reasoning = ParseReasoning(body),
            ResponseFormat = ParseResponseFormat(body.ResponseFormat),
            Verbosity = OptionalString(body.Verbosity, "verbosity"),
            PromptCacheKey = OptionalString(body.PromptCacheKey, "prompt_cache_key"),
            User = OptionalString(body.User, "user"),
            Stream = OptionalBool(body.Stream, "stream") ?? false,
        };

        return new ChatCompletionsRequest(request, includeUsage);
    }

    /// <summary>
    /// The body's members godex reads, found in one pass over the object: looking each of the ~22 up by name scanned
    /// every member per lookup and transcoded each name (~14 k instructions of a ~300 k request, callgrind, bench (a)).
    /// An absent member is <see cref="JsonValueKind.Undefined"/>; of repeated names the last wins, as with a lookup.
    /// </summary>
    private struct RequestMembers
    {
        public JsonElement Model, N, Messages, Tools, Functions, WebSearchOptions, MaxCompletionTokens, MaxTokens, StreamOptions,
            ToolChoice, FunctionCall, ParallelToolCalls, Temperature, TopP, Stop, ReasoningEffort, Reasoning, ResponseFormat,
            Verbosity, PromptCacheKey, User, Stream;

        public static RequestMembers Read(JsonElement root)
        {
            var members = default(RequestMembers);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                JsonElement value = property.Value;
                if (property.NameEquals("model"u8)) { members.Model = value; }
                else if (property.NameEquals("messages"u8)) { members.Messages = value; }
                else if (property.NameEquals("stream"u8)) { members.Stream = value; }
                else if (property.NameEquals("max_tokens"u8)) { members.MaxTokens = value; }
                else if (property.NameEquals("max_completion_tokens"u8)) { members.MaxCompletionTokens = value; }
                else if (property.NameEquals("tools"u8)) { members.Tools = value; }
                else if (property.NameEquals("tool_choice"u8)) { members.ToolChoice = value; }
                else if (property.NameEquals("temperature"u8)) { members.Temperature = value; }
                else if (property.NameEquals("stream_options"u8)) { members.StreamOptions = value; }
                else if (property.NameEquals("parallel_tool_calls"u8)) { members.ParallelToolCalls = value; }
                else if (property.NameEquals("top_p"u8)) { members.TopP = value; }
                else if (property.NameEquals("stop"u8)) { members.Stop = value; }
                else if (property.NameEquals("reasoning_effort"u8)) { members.ReasoningEffort = value; }
                else if (property.NameEquals("reasoning"u8)) { members.Reasoning = value; }
                else if (property.NameEquals("response_format"u8)) { members.ResponseFormat = value; }
                else if (property.NameEquals("verbosity"u8)) { members.Verbosity = value; }
                else if (property.NameEquals("prompt_cache_key"u8)) { members.PromptCacheKey = value; }
                else if (property.NameEquals("user"u8)) { members.User = value; }
                else if (property.NameEquals("n"u8)) { members.N = value; }
                else if (property.NameEquals("functions"u8)) { members.Functions = value; }
                else if (property.NameEquals("function_call"u8)) { members.FunctionCall = value; }
                else if (property.NameEquals("web_search_options"u8)) { members.WebSearchOptions = value; }
            }

            return members;
        }
    }

    private static List<ChatMessage> ParseMessages(JsonElement array)
    {
        if (!IsPresent(array))
        {
            throw new InvalidFieldException("messages", "messages: required");
        }

        RequireKind(array, JsonValueKind.Array, "messages", "an array of messages");
        int count = array.GetArrayLength();
        if (count == 0)
        {
            throw new InvalidFieldException("messages", "messages: must contain at least one message");
        }

        var messages = new List<ChatMessage>(count);
        int index = 0;
        foreach (JsonElement element in array.EnumerateArray())
        {
            messages.Add(ParseMessage(element, new ItemPath("messages", index)));
            index++;
        }

        return messages;
    }

    private static ChatMessage ParseMessage(JsonElement element, ItemPath path)
    {
        RequireKind(element, JsonValueKind.Object, path, "a message object");
        var message = MessageMembers.Read(element);
        string role = OptionalString(message.Role, path.Member("role"))
            ?? throw Required(path.Member("role"), "");
        string? name = OptionalString(message.Name, path.Member("name"));

        switch (role)
        {
            case "system":
            case "developer":
            case "user":
            {
                if (!IsPresent(message.Content))
                {
                    throw Required(path.Member("content"), " for role '" + role + "'");
                }

                var chatRole = role switch
                {
                    "system" => ChatRole.System,
                    "developer" => ChatRole.Developer,
                    _ => ChatRole.User,
                };
                return new ChatMessage(chatRole, ParseContent(message.Content, path.Member("content"))) { Name = name };
            }

            case "assistant":
                return ParseAssistant(element, path.ToString()) with { Name = name };

            case "tool":
            {
                string callId = OptionalString(message.ToolCallId, path.Member("tool_call_id"))
                    ?? throw Required(path.Member("tool_call_id"), " for role 'tool'");
                IReadOnlyList<ContentPart> result = IsPresent(message.Content) ? ParseContent(message.Content, path.Member("content")) : [];
                return new ChatMessage(ChatRole.Tool, [new ToolResultPart(callId) { Content = result }]);
            }

            case "function":
            {
                // Legacy function-calling: the result names the function, and there is no call id; the assistant's
                // legacy function_call below uses the name as its id, so the two still pair up.
                string function = name ?? throw Required(path.Member("name"), " for role 'function'");
                IReadOnlyList<ContentPart> result = IsPresent(message.Content) ? ParseContent(message.Content, path.Member("content")) : [];
                return new ChatMessage(ChatRole.Tool, [new ToolResultPart(function) { Content = result }]);
            }

            default:
                string at = path.Member("role").ToString();
                throw new InvalidFieldException(at, $"{at}: unsupported role '{role}' (expected system, developer, user, assistant, tool or function)");
        }
    }

    /// <summary>The members a message's role needs, found in one pass (see <see cref="RequestMembers"/>).</summary>
    private struct MessageMembers
    {
        public JsonElement Role, Name, Content, ToolCallId;

        public static MessageMembers Read(JsonElement message)
        {
            var members = default(MessageMembers);
            foreach (JsonProperty property in message.EnumerateObject())
            {
                JsonElement value = property.Value;
                if (property.NameEquals("role"u8)) { members.Role = value; }
                else if (property.NameEquals("content"u8)) { members.Content = value; }
                else if (property.NameEquals("name"u8)) { members.Name = value; }
                else if (property.NameEquals("tool_call_id"u8)) { members.ToolCallId = value; }
            }

            return members;
        }
    }

    private static InvalidFieldException Required(ItemPath path, string condition)
    {
        string at = path.ToString();
        return new InvalidFieldException(at, at + ": required" + condition);
    }

    private static ChatMessage ParseAssistant(JsonElement element, string path)
    {
        // Reasoning first, where the model produced it: thinking_blocks (signed, what godex and other gateways
        // return), else the plain reasoning_content text.
        List<ContentPart> parts = ParseThinkingBlocks(element, path);
        if (parts.Count == 0 && OptionalString(element, "reasoning_content", path + ".reasoning_content") is { Length: > 0 } reasoning)
        {
            parts.Add(new ReasoningPart { Text = reasoning });
        }

        if (TryGetNonNull(element, "content", out JsonElement content))
        {
            parts.AddRange(ParseContent(content, path + ".content"));
        }

        if (OptionalString(element, "refusal", path + ".refusal") is { Length: > 0 } refusal)
        {
            parts.Add(new RefusalPart(refusal));
        }

        if (TryGetNonNull(element, "tool_calls", out JsonElement calls))
        {
            RequireKind(calls, JsonValueKind.Array, path + ".tool_calls", "an array");
            int index = 0;
            foreach (JsonElement call in calls.EnumerateArray())
            {
                parts.Add(ParseToolCall(call, $"{path}.tool_calls[{index}]"));
                index++;
            }
        }

        if (TryGetNonNull(element, "function_call", out JsonElement legacy))
        {
            string callPath = path + ".function_call";
            RequireKind(legacy, JsonValueKind.Object, callPath, "an object");
            string fn = OptionalString(legacy, "name", callPath + ".name")
                ?? throw new InvalidFieldException(callPath + ".name", callPath + ".name: required");
            parts.Add(new ToolCallPart(fn, fn, ArgumentsText(legacy, callPath)));
        }

        return new ChatMessage(ChatRole.Assistant, parts);
    }

    /// <summary>
    /// <c>thinking_blocks</c>: <c>{"type":"thinking","thinking","signature"}</c> or
    /// <c>{"type":"redacted_thinking","data"}</c>, the Anthropic blocks as godex returns them, kept byte for byte so
    /// that their signatures still verify.
    /// </summary>
    private static List<ContentPart> ParseThinkingBlocks(JsonElement element, string path)
    {
        var parts = new List<ContentPart>();
        if (!TryGetNonNull(element, "thinking_blocks", out JsonElement blocks))
        {
            return parts;
        }

        RequireKind(blocks, JsonValueKind.Array, path + ".thinking_blocks", "an array of thinking blocks");
        int index = 0;
        foreach (JsonElement block in blocks.EnumerateArray())
        {
            string blockPath = $"{path}.thinking_blocks[{index}]";
            RequireKind(block, JsonValueKind.Object, blockPath, "a thinking block object");
            string type = OptionalString(block, "type", blockPath + ".type") ?? "thinking";
            parts.Add(type switch
            {
                "thinking" => ThinkingBlocks.ToReasoningPart(
                    OptionalString(block, "thinking", blockPath + ".thinking") ?? "",
                    OptionalString(block, "signature", blockPath + ".signature")),
                "redacted_thinking" => new ReasoningPart
                {
                    RedactedData = OptionalString(block, "data", blockPath + ".data")
                        ?? throw new InvalidFieldException(blockPath + ".data", blockPath + ".data: required"),
                },
                _ => throw new InvalidFieldException(blockPath + ".type", $"{blockPath}.type: unsupported value '{type}' (expected thinking or redacted_thinking)"),
            });
            index++;
        }

        return parts;
    }

    private static ToolCallPart ParseToolCall(JsonElement call, string path)
    {
        RequireKind(call, JsonValueKind.Object, path, "a tool call object");
        string id = OptionalString(call, "id", path + ".id")
            ?? throw new InvalidFieldException(path + ".id", path + ".id: required");
        string type = OptionalString(call, "type", path + ".type") ?? "function";
        switch (type)
        {
            case "function":
            {
                if (!TryGetNonNull(call, "function", out JsonElement function))
                {
                    throw new InvalidFieldException(path + ".function", path + ".function: required");
                }

                RequireKind(function, JsonValueKind.Object, path + ".function", "an object");
                string name = OptionalString(function, "name", path + ".function.name")
                    ?? throw new InvalidFieldException(path + ".function.name", path + ".function.name: required");
                return new ToolCallPart(id, name, ArgumentsText(function, path + ".function"));
            }

            case "custom":
            {
                if (!TryGetNonNull(call, "custom", out JsonElement custom))
                {
                    throw new InvalidFieldException(path + ".custom", path + ".custom: required");
                }

                RequireKind(custom, JsonValueKind.Object, path + ".custom", "an object");
                string name = OptionalString(custom, "name", path + ".custom.name")
                    ?? throw new InvalidFieldException(path + ".custom.name", path + ".custom.name: required");
                string input = OptionalString(custom, "input", path + ".custom.input") ?? "";
                return new ToolCallPart(id, name, input) { Kind = ToolCallKind.Custom };
            }

            default:
                throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported tool call type '{type}'");
        }
    }

    /// <summary><c>arguments</c> is a JSON text; some clients send the object itself, which we keep as its raw text.</summary>
    private static string ArgumentsText(JsonElement function, string path)
    {
        if (!function.TryGetProperty("arguments", out JsonElement arguments) || arguments.ValueKind == JsonValueKind.Null)
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

    private static List<ContentPart> ParseContent<TPath>(JsonElement content, TPath contentPath)
        where TPath : notnull
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        string path = contentPath.ToString()!;
        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidFieldException(path, path + ": expected a string or an array of content parts");
        }

        var parts = new List<ContentPart>(content.GetArrayLength());
        int index = 0;
        foreach (JsonElement part in content.EnumerateArray())
        {
            parts.Add(ParsePart(part, $"{path}[{index}]"));
            index++;
        }

        return parts;
    }

    private static ContentPart ParsePart(JsonElement part, string path)
    {
        RequireKind(part, JsonValueKind.Object, path, "a content part object");
        string type = OptionalString(part, "type", path + ".type")
            ?? throw new InvalidFieldException(path + ".type", path + ".type: required");
        switch (type)
        {
            case "text":
                return new TextPart(OptionalString(part, "text", path + ".text")
                    ?? throw new InvalidFieldException(path + ".text", path + ".text: required"));

            case "refusal":
                return new RefusalPart(OptionalString(part, "refusal", path + ".refusal")
                    ?? throw new InvalidFieldException(path + ".refusal", path + ".refusal: required"));

            case "image_url":
            {
                if (!TryGetNonNull(part, "image_url", out JsonElement image))
                {
                    throw new InvalidFieldException(path + ".image_url", path + ".image_url: required");
                }

                if (image.ValueKind == JsonValueKind.String)
                {
                    return new ImagePart { Url = image.GetString() };
                }

                RequireKind(image, JsonValueKind.Object, path + ".image_url", "an object with a url");
                string url = OptionalString(image, "url", path + ".image_url.url")
                    ?? throw new InvalidFieldException(path + ".image_url.url", path + ".image_url.url: required");
                return new ImagePart { Url = url, Detail = OptionalString(image, "detail", path + ".image_url.detail") };
            }

            case "file":
            {
                if (!TryGetNonNull(part, "file", out JsonElement file))
                {
                    throw new InvalidFieldException(path + ".file", path + ".file: required");
                }

                RequireKind(file, JsonValueKind.Object, path + ".file", "an object");
                string? data = OptionalString(file, "file_data", path + ".file.file_data");
                string? fileId = OptionalString(file, "file_id", path + ".file.file_id");
                if (data is null && fileId is null)
                {
                    throw new InvalidFieldException(path + ".file", path + ".file: needs file_data or file_id");
                }

                string? mediaType = null;
                if (data is not null && TrySplitDataUrl(data, out string dataMediaType, out string base64))
                {
                    mediaType = dataMediaType;
                    data = base64;
                }

                return new FilePart
                {
                    FileName = OptionalString(file, "filename", path + ".file.filename"),
                    MediaType = mediaType,
                    Data = data,
                    FileId = fileId,
                };
            }

            case "input_audio":
                throw new InvalidFieldException(path + ".type", path + ": input_audio content is not supported");

            default:
                throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported content part type '{type}' (expected text, image_url or file)");
        }
    }

    private static bool TrySplitDataUrl(string url, out string mediaType, out string data)
    {
        mediaType = "";
        data = "";
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        int comma = url.IndexOf(',', StringComparison.Ordinal);
        int semicolon = url.IndexOf(";base64", StringComparison.OrdinalIgnoreCase);
        if (comma < 0 || semicolon < 0 || semicolon > comma)
        {
            return false;
        }

        mediaType = url[5..semicolon];
        data = url[(comma + 1)..];
        return true;
    }

    private static (List<ChatTool> Tools, List<HostedTool> Hosted) ParseTools(in RequestMembers body)
    {
        var tools = new List<ChatTool>();
        var hosted = new List<HostedTool>();
        if (IsPresent(body.Tools))
        {
            JsonElement array = body.Tools;
            RequireKind(array, JsonValueKind.Array, "tools", "an array of tools");
            int index = 0;
            foreach (JsonElement tool in array.EnumerateArray())
            {
                ParseTool(tool, $"tools[{index}]", tools, hosted);
                index++;
            }
        }

        // Legacy function-calling: functions: [{name, description, parameters}].
        if (IsPresent(body.Functions))
        {
            JsonElement functions = body.Functions;
            RequireKind(functions, JsonValueKind.Array, "functions", "an array of functions");
            int index = 0;
            foreach (JsonElement function in functions.EnumerateArray())
            {
                tools.Add(ParseFunction(function, $"functions[{index}]"));
                index++;
            }
        }

        // Chat's own web search switch (search models): web_search_options: {...}.
        if (IsPresent(body.WebSearchOptions))
        {
            JsonElement webSearch = body.WebSearchOptions;
            RequireKind(webSearch, JsonValueKind.Object, "web_search_options", "an object");
            hosted.Add(new HostedTool("web_search") { Raw = webSearch.Clone() });
        }

        return (tools, hosted);
    }

    private static void ParseTool(JsonElement tool, string path, List<ChatTool> tools, List<HostedTool> hosted)
    {
        RequireKind(tool, JsonValueKind.Object, path, "a tool object");
        string type = OptionalString(tool, "type", path + ".type")
            ?? throw new InvalidFieldException(path + ".type", path + ".type: required");
        switch (type)
        {
            case "function":
                // Chat nests the definition under "function"; Responses-style clients send it flat (godex 0.5.9 lesson).
                tools.Add(TryGetNonNull(tool, "function", out JsonElement function)
                    ? ParseFunction(function, path + ".function")
                    : ParseFunction(tool, path));
                break;

            case "custom":
            {
                bool nested = TryGetNonNull(tool, "custom", out JsonElement custom);
                JsonElement definition = nested ? custom : tool;
                string definitionPath = nested ? path + ".custom" : path;
                RequireKind(definition, JsonValueKind.Object, definitionPath, "an object");
                string name = OptionalString(definition, "name", definitionPath + ".name")
                    ?? throw new InvalidFieldException(definitionPath + ".name", definitionPath + ".name: required");
                tools.Add(new ChatTool(name)
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
                hosted.Add(new HostedTool("web_search") { Raw = tool.Clone() });
                break;

            default:
                throw new InvalidFieldException(path + ".type", $"{path}.type: unsupported tool type '{type}' (expected function, custom or web_search)");
        }
    }

    private static ChatTool ParseFunction(JsonElement function, string path)
    {
        RequireKind(function, JsonValueKind.Object, path, "an object");
        string name = OptionalString(function, "name", path + ".name")
            ?? throw new InvalidFieldException(path + ".name", path + ".name: required");
        JsonElement? parameters = null;
        if (TryGetNonNull(function, "parameters", out JsonElement schema))
        {
            RequireKind(schema, JsonValueKind.Object, path + ".parameters", "a JSON schema object");
            parameters = schema.Clone();
        }

        return new ChatTool(name)
        {
            Description = OptionalString(function, "description", path + ".description"),
            Parameters = parameters,
            Strict = OptionalBool(function, "strict", path + ".strict"),
        };
    }

    private static ToolChoice? ParseToolChoice(in RequestMembers body)
    {
        string param = "tool_choice";
        JsonElement choice = body.ToolChoice;
        if (!IsPresent(choice))
        {
            param = "function_call";
            choice = body.FunctionCall;
            if (!IsPresent(choice))
            {
                return null;
            }
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            return choice.GetString() switch
            {
                "auto" => ToolChoice.Auto,
                "none" => ToolChoice.None,
                "required" => ToolChoice.Required,
                var other => throw new InvalidFieldException(param, $"{param}: unsupported value '{other}' (expected auto, none, required or an object naming a function)"),
            };
        }

        RequireKind(choice, JsonValueKind.Object, param, "a string or an object");
        if (param == "function_call")
        {
            return new ToolChoice(ToolChoiceMode.Named, OptionalString(choice, "name", "function_call.name")
                ?? throw new InvalidFieldException("function_call.name", "function_call.name: required"));
        }

        string type = OptionalString(choice, "type", "tool_choice.type") ?? "function";
        if (type is "function" or "custom")
        {
            if (TryGetNonNull(choice, type, out JsonElement named))
            {
                RequireKind(named, JsonValueKind.Object, "tool_choice." + type, "an object");
                return new ToolChoice(ToolChoiceMode.Named, OptionalString(named, "name", $"tool_choice.{type}.name")
                    ?? throw new InvalidFieldException($"tool_choice.{type}.name", $"tool_choice.{type}.name: required"));
            }

            return new ToolChoice(ToolChoiceMode.Named, OptionalString(choice, "name", "tool_choice.name")
                ?? throw new InvalidFieldException($"tool_choice.{type}.name", $"tool_choice.{type}.name: required"));
        }

        if (type is "allowed_tools")
        {
            return OptionalString(choice, "mode", "tool_choice.mode") == "required" ? ToolChoice.Required : ToolChoice.Auto;
        }

        throw new InvalidFieldException("tool_choice.type", $"tool_choice.type: unsupported value '{type}'");
    }

    private static List<string> ParseStop(JsonElement stop)
    {
        if (!IsPresent(stop))
        {
            return [];
        }

        if (stop.ValueKind == JsonValueKind.String)
        {
            return [stop.GetString()!];
        }

        if (stop.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidFieldException("stop", "stop: expected a string or an array of strings");
        }

        var list = new List<string>(stop.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in stop.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new InvalidFieldException($"stop[{index}]", $"stop[{index}]: expected a string");
            }

            list.Add(item.GetString()!);
            index++;
        }

        return list;
    }

    private static ReasoningOptions? ParseReasoning(in RequestMembers body)
    {
        string? effort = OptionalString(body.ReasoningEffort, "reasoning_effort");
        string? summary = null;

        // Not in the chat spec, but OpenRouter-style clients send the Responses object here.
        if (IsPresent(body.Reasoning))
        {
            JsonElement reasoning = body.Reasoning;
            RequireKind(reasoning, JsonValueKind.Object, "reasoning", "an object");
            effort ??= OptionalString(reasoning, "effort", "reasoning.effort");
            summary = OptionalString(reasoning, "summary", "reasoning.summary");
        }

        return effort is null && summary is null ? null : new ReasoningOptions { Effort = effort, Summary = summary };
    }

    private static ResponseFormat? ParseResponseFormat(JsonElement format)
    {
        if (!IsPresent(format))
        {
            return null;
        }

        RequireKind(format, JsonValueKind.Object, "response_format", "an object");
        string type = OptionalString(format, "type", "response_format.type")
            ?? throw new InvalidFieldException("response_format.type", "response_format.type: required");
        switch (type)
        {
            case "text":
            case "json_object":
                return new ResponseFormat(type);

            case "json_schema":
            {
                if (!TryGetNonNull(format, "json_schema", out JsonElement schema))
                {
                    throw new InvalidFieldException("response_format.json_schema", "response_format.json_schema: required for type 'json_schema'");
                }

                RequireKind(schema, JsonValueKind.Object, "response_format.json_schema", "an object");
                JsonElement? body = null;
                if (TryGetNonNull(schema, "schema", out JsonElement schemaBody))
                {
                    RequireKind(schemaBody, JsonValueKind.Object, "response_format.json_schema.schema", "a JSON schema object");
                    body = schemaBody.Clone();
                }

                return new ResponseFormat(type)
                {
                    Name = OptionalString(schema, "name", "response_format.json_schema.name")
                        ?? throw new InvalidFieldException("response_format.json_schema.name", "response_format.json_schema.name: required"),
                    Description = OptionalString(schema, "description", "response_format.json_schema.description"),
                    Schema = body,
                    Strict = OptionalBool(schema, "strict", "response_format.json_schema.strict"),
                };
            }

            default:
                throw new InvalidFieldException("response_format.type", $"response_format.type: unsupported value '{type}' (expected text, json_object or json_schema)");
        }
    }
}
