using System.Text.Json;
using Godex.Core.Buffers;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// Canonical request → an OpenAI Chat Completions body for an OpenAI-compatible upstream (Ollama, vLLM, OpenRouter,
/// Groq, Gemini's OpenAI endpoint, OpenAI). Always streamed, with <c>stream_options.include_usage</c> so the upstream
/// reports usage in its last chunk (a non-streaming client gets the aggregate). Written for the common subset those
/// servers accept: instructions as <c>system</c> messages (several reject <c>developer</c>), tool results as
/// <c>tool</c> messages, custom (freeform) tools as functions of one string parameter <c>input</c>
/// (<see cref="CustomToolInput"/>), and no field only OpenAI knows (<c>reasoning_effort</c>, <c>prompt_cache_key</c>,
/// <c>verbosity</c>, hosted tools), which some of them refuse with a 400.
/// </summary>
internal static class ChatCompletionsRequestWriter
{
    /// <summary>The parameter a custom tool's freeform input travels in, as a function argument.</summary>
    public const string CustomToolInput = "input";

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the request body as UTF-8 JSON.</summary>
    public static byte[] Translate(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            Write(writer, request);
        }

        return buffer.ToArray();
    }

    /// <summary>The names of the request's custom (freeform) tools, which the answer's calls are mapped back to.</summary>
    public static HashSet<string> CustomToolNames(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ChatTool tool in request.Tools)
        {
            if (tool.Kind == ToolCallKind.Custom)
            {
                names.Add(tool.Name);
            }
        }

        return names;
    }

    private static void Write(Utf8JsonWriter writer, ChatRequest request)
    {
        writer.WriteStartObject();
        writer.WriteString("model", request.Model);
        writer.WriteStartArray("messages");
        foreach (ChatMessage message in request.Messages)
        {
            WriteMessage(writer, message);
        }

        writer.WriteEndArray();

        if (request.Tools.Count > 0)
        {
            writer.WriteStartArray("tools");
            foreach (ChatTool tool in request.Tools)
            {
                WriteTool(writer, tool);
            }

            writer.WriteEndArray();
            WriteToolChoice(writer, request.ToolChoice);
            if (request.ParallelToolCalls is bool parallel)
            {
                writer.WriteBoolean("parallel_tool_calls", parallel);
            }
        }

        if (request.MaxOutputTokens is int max)
        {
            writer.WriteNumber("max_tokens", max);
        }

        if (request.Temperature is double temperature)
        {
            writer.WriteNumber("temperature", temperature);
        }

        if (request.TopP is double topP)
        {
            writer.WriteNumber("top_p", topP);
        }

        if (request.StopSequences.Count > 0)
        {
            writer.WriteStartArray("stop");
            foreach (string stop in request.StopSequences)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        WriteResponseFormat(writer, request.ResponseFormat);
        if (!string.IsNullOrEmpty(request.User))
        {
            writer.WriteString("user", request.User);
        }

        writer.WriteBoolean("stream", true);
        writer.WriteStartObject("stream_options");
        writer.WriteBoolean("include_usage", true);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        if (message.Role.IsInstruction)
        {
            string text = message.Text;
            if (text.Length > 0)
            {
                writer.WriteStartObject();
                writer.WriteString("role", "system");
                writer.WriteString("content", text);
                writer.WriteEndObject();
            }

            return;
        }

        if (message.Role == ChatRole.Assistant)
        {
            WriteAssistant(writer, message);
            return;
        }

        // Tool results first, each a tool message (a Messages client puts them in a user turn, before any text).
        var rest = new List<ContentPart>(message.Parts.Count);
        foreach (ContentPart part in message.Parts)
        {
            if (part is ToolResultPart result)
            {
                writer.WriteStartObject();
                writer.WriteString("role", "tool");
                writer.WriteString("tool_call_id", result.CallId);
                string text = result.Text;
                writer.WriteString("content", result.IsError && !text.StartsWith("Error", StringComparison.OrdinalIgnoreCase) ? "Error: " + text : text);
                writer.WriteEndObject();
            }
            else if (part is TextPart or ImagePart or FilePart or RefusalPart)
            {
                rest.Add(part);
            }
        }

        if (rest.Count == 0)
        {
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("role", "user");
        if (message.Name is { Length: > 0 } name)
        {
            writer.WriteString("name", name);
        }

        if (rest.TrueForAll(p => p is TextPart or RefusalPart))
        {
            writer.WriteString("content", JoinText(rest));
        }
        else
        {
            writer.WriteStartArray("content");
            foreach (ContentPart part in rest)
            {
                WriteUserPart(writer, part);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteUserPart(Utf8JsonWriter writer, ContentPart part)
    {
        switch (part)
        {
            case TextPart text:
                writer.WriteStartObject();
                writer.WriteString("type", "text");
                writer.WriteString("text", text.Text);
                writer.WriteEndObject();
                break;
            case RefusalPart refusal:
                writer.WriteStartObject();
                writer.WriteString("type", "text");
                writer.WriteString("text", refusal.Refusal);
                writer.WriteEndObject();
                break;
            case ImagePart image:
                string? url = image.Url ?? (image.Data is { } data ? $"data:{image.MediaType ?? "image/png"};base64,{data}" : null);
                if (url is null)
                {
                    break;
                }

                writer.WriteStartObject();
                writer.WriteString("type", "image_url");
                writer.WriteStartObject("image_url");
                writer.WriteString("url", url);
                if (image.Detail is { } detail)
                {
                    writer.WriteString("detail", detail);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case FilePart file:
                writer.WriteStartObject();
                writer.WriteString("type", "file");
                writer.WriteStartObject("file");
                if (file.FileId is { } id)
                {
                    writer.WriteString("file_id", id);
                }
                else
                {
                    writer.WriteString("filename", file.FileName ?? "file");
                    writer.WriteString("file_data", file.Data is { } bytes ? $"data:{file.MediaType ?? "application/octet-stream"};base64,{bytes}" : file.Url ?? "");
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteAssistant(Utf8JsonWriter writer, ChatMessage message)
    {
        var calls = new List<ToolCallPart>();
        var text = new List<ContentPart>();
        foreach (ContentPart part in message.Parts)
        {
            if (part is ToolCallPart call)
            {
                calls.Add(call);
            }
            else if (part is TextPart or RefusalPart)
            {
                text.Add(part);
            }
        }

        string content = JoinText(text);
        if (calls.Count == 0 && content.Length == 0)
        {
            return; // only reasoning: no chat upstream can take it back
        }

        writer.WriteStartObject();
        writer.WriteString("role", "assistant");
        if (content.Length > 0)
        {
            writer.WriteString("content", content);
        }
        else
        {
            writer.WriteNull("content");
        }

        if (calls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (ToolCallPart call in calls)
            {
                writer.WriteStartObject();
                writer.WriteString("id", call.CallId);
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", call.Name);
                writer.WriteString("arguments", call.Kind == ToolCallKind.Custom ? CustomArguments(call.Arguments) : ValidArguments(call.Arguments));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteTool(Utf8JsonWriter writer, ChatTool tool)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", tool.Name);
        if (!string.IsNullOrEmpty(tool.Description))
        {
            writer.WriteString("description", tool.Description);
        }

        if (tool.Kind == ToolCallKind.Custom)
        {
            // A freeform tool (Codex CLI's apply_patch): its whole input as one string argument.
            writer.WriteStartObject("parameters");
            writer.WriteString("type", "object");
            writer.WriteStartObject("properties");
            writer.WriteStartObject(CustomToolInput);
            writer.WriteString("type", "string");
            writer.WriteString("description", "The tool's whole input, as raw text.");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartArray("required");
            writer.WriteStringValue(CustomToolInput);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        else
        {
            FunctionToolSchema.WriteParameters(writer, tool);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter writer, ToolChoice? choice)
    {
        switch (choice?.Mode)
        {
            case ToolChoiceMode.None:
                writer.WriteString("tool_choice", "none");
                break;
            case ToolChoiceMode.Required:
                writer.WriteString("tool_choice", "required");
                break;
            case ToolChoiceMode.Named when choice.Name is not null:
                writer.WriteStartObject("tool_choice");
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", choice.Name);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case ToolChoiceMode.Auto:
                writer.WriteString("tool_choice", "auto");
                break;
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ResponseFormat? format)
    {
        if (format is null || format.Type == "text")
        {
            return;
        }

        writer.WriteStartObject("response_format");
        if (format.Type == "json_schema" && format.Schema is { } schema)
        {
            writer.WriteString("type", "json_schema");
            writer.WriteStartObject("json_schema");
            writer.WriteString("name", format.Name ?? "response");
            if (format.Description is { } description)
            {
                writer.WriteString("description", description);
            }

            writer.WritePropertyName("schema");
            schema.WriteTo(writer);
            if (format.Strict is bool strict)
            {
                writer.WriteBoolean("strict", strict);
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("type", "json_object");
        }

        writer.WriteEndObject();
    }

    private static string JoinText(List<ContentPart> parts)
    {
        var builder = new System.Text.StringBuilder();
        foreach (ContentPart part in parts)
        {
            builder.Append(part switch
            {
                TextPart text => text.Text,
                RefusalPart refusal => refusal.Refusal,
                _ => "",
            });
        }

        return builder.ToString();
    }

    /// <summary>A custom call's raw input as the one-argument JSON object the upstream saw in its tool's schema.</summary>
    private static string CustomArguments(string input)
    {
        using var buffer = new PooledBufferWriter(input.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteString(CustomToolInput, input);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Arguments as the upstream requires them: a JSON object's text (an empty string is <c>{}</c>).</summary>
    private static string ValidArguments(string arguments) => string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments;
}
