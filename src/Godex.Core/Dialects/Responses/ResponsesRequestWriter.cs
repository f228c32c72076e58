using System.Text.Json;
using Godex.Core.Buffers;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// Canonical <see cref="ChatRequest"/> → the body of <c>POST {base}/responses</c> on the ChatGPT Codex backend.
/// Pure: no I/O, no options beyond the default instructions.
/// </summary>
/// <remarks>
/// The backend differs from the public Responses API (reference/gateways.md §2.2): it only streams
/// (<c>stream:true</c>), stores nothing (<c>store:false</c>, so reasoning must travel as <c>encrypted_content</c>),
/// requires <c>instructions</c>, and answers 400 to <c>max_output_tokens</c>, <c>temperature</c>, <c>top_p</c>,
/// <c>user</c>, <c>metadata</c> and <c>previous_response_id</c> — so those are never written.
/// </remarks>
internal static class ResponsesRequestWriter
{
    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the request body as UTF-8 JSON.</summary>
    public static byte[] Translate(ChatRequest request, string defaultInstructions)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            Write(writer, request, defaultInstructions);
        }

        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, ChatRequest request, string defaultInstructions)
    {
        writer.WriteStartObject();
        writer.WriteString("model", request.Model);

        // 1. The leading instruction messages become `instructions`; later ones stay in place as developer items.
        int first = 0;
        var instructions = new System.Text.StringBuilder();
        for (; first < request.Messages.Count && request.Messages[first].Role.IsInstruction; first++)
        {
            string text = request.Messages[first].Text;
            if (text.Length == 0)
            {
                continue;
            }

            if (instructions.Length > 0)
            {
                instructions.Append("\n\n");
            }

            instructions.Append(text);
        }

        writer.WriteString("instructions", instructions.Length > 0 ? instructions.ToString() : defaultInstructions);

        // 2. Conversation items.
        writer.WriteStartArray("input");
        for (int i = first; i < request.Messages.Count; i++)
        {
            WriteMessage(writer, request.Messages[i]);
        }

        writer.WriteEndArray();

        // 3. Tools.
        if (request.Tools.Count > 0 || request.HostedTools.Count > 0)
        {
            writer.WriteStartArray("tools");
            foreach (ChatTool tool in request.Tools)
            {
                WriteTool(writer, tool);
            }

            foreach (HostedTool hosted in request.HostedTools)
            {
                WriteHostedTool(writer, hosted);
            }

            writer.WriteEndArray();
        }

        if (request.ToolChoice is ToolChoice choice)
        {
            WriteToolChoice(writer, choice, request.Tools);
        }

        if (request.ParallelToolCalls is bool parallel)
        {
            writer.WriteBoolean("parallel_tool_calls", parallel);
        }

        if (request.Reasoning is { } reasoning && (reasoning.Effort is not null || reasoning.Summary is not null))
        {
            writer.WriteStartObject("reasoning");
            if (reasoning.Effort is not null)
            {
                writer.WriteString("effort", reasoning.Effort);
            }

            string? summary = reasoning.Summary ?? (reasoning.Effort is not null && reasoning.Effort != "none" ? "auto" : null);
            if (summary is not null)
            {
                writer.WriteString("summary", summary);
            }

            writer.WriteEndObject();
        }

        writer.WriteBoolean("store", false);
        writer.WriteBoolean("stream", true);

        // Without store, the reasoning of earlier turns only survives as encrypted content echoed back by the client.
        writer.WriteStartArray("include");
        writer.WriteStringValue("reasoning.encrypted_content");
        writer.WriteEndArray();

        if (!string.IsNullOrEmpty(request.PromptCacheKey))
        {
            writer.WriteString("prompt_cache_key", request.PromptCacheKey);
        }

        WriteText(writer, request.ResponseFormat, request.Verbosity);
        writer.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        // Instruction messages mid-conversation are developer messages; tool messages carry only results.
        string role = message.Role.IsInstruction ? "developer"
            : message.Role == ChatRole.Assistant ? "assistant"
            : "user";
        bool assistant = role == "assistant";

        // Content parts are grouped into one message item; tool calls, results and reasoning are items of their
        // own, so a run of content is flushed before each of them to keep the client's order.
        int runStart = -1;
        for (int i = 0; i < message.Parts.Count; i++)
        {
            ContentPart part = message.Parts[i];
            bool isContent = part is TextPart or ImagePart or FilePart or RefusalPart
                || (part is RawPart rawContent && IsResponsesRaw(rawContent) && !IsItem(rawContent.Json));
            if (isContent)
            {
                if (runStart < 0)
                {
                    runStart = i;
                }

                continue;
            }

            if (runStart >= 0)
            {
                WriteContentMessage(writer, role, message.Parts, runStart, i);
                runStart = -1;
            }

            switch (part)
            {
                case ToolCallPart call:
                    WriteToolCall(writer, call);
                    break;
                case ToolResultPart result:
                    WriteToolResult(writer, result);
                    break;
                case ReasoningPart reasoning when assistant && !string.IsNullOrEmpty(reasoning.EncryptedContent):
                    WriteReasoning(writer, reasoning);
                    break;
                case RawPart raw when IsResponsesRaw(raw) && IsItem(raw.Json):
                    raw.Json.WriteTo(writer);
                    break;
                default:
                    // Reasoning without encrypted content (Anthropic signatures, plain summaries) means nothing to
                    // this backend; raw parts of other dialects cannot be translated.
                    break;
            }
        }

        if (runStart >= 0)
        {
            WriteContentMessage(writer, role, message.Parts, runStart, message.Parts.Count);
        }
    }

    private static void WriteContentMessage(Utf8JsonWriter writer, string role, IReadOnlyList<ContentPart> parts, int start, int end)
    {
        bool assistant = role == "assistant";
        writer.WriteStartObject();
        writer.WriteString("type", "message");
        writer.WriteString("role", role);
        writer.WriteStartArray("content");
        for (int i = start; i < end; i++)
        {
            switch (parts[i])
            {
                case TextPart text when assistant:
                    // The backend rejects input_text in assistant history: "Supported values are: 'output_text' and 'refusal'".
                    writer.WriteStartObject();
                    writer.WriteString("type", "output_text");
                    writer.WriteString("text", text.Text);
                    writer.WriteEndObject();
                    break;
                case TextPart text:
                    WriteInputText(writer, text.Text);
                    break;
                case RefusalPart refusal when assistant:
                    writer.WriteStartObject();
                    writer.WriteString("type", "refusal");
                    writer.WriteString("refusal", refusal.Refusal);
                    writer.WriteEndObject();
                    break;
                case RefusalPart refusal:
                    WriteInputText(writer, refusal.Refusal);
                    break;
                case ImagePart image when !assistant:
                    WriteInputImage(writer, image);
                    break;
                case FilePart file when !assistant:
                    WriteInputFile(writer, file);
                    break;
                case RawPart raw:
                    raw.Json.WriteTo(writer);
                    break;
                default:
                    // Images or files in assistant history have no output_* form.
                    break;
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteInputText(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "input_text");
        writer.WriteString("text", text);
        writer.WriteEndObject();
    }

    private static void WriteInputImage(Utf8JsonWriter writer, ImagePart image)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "input_image");
        if (image.Url is not null)
        {
            writer.WriteString("image_url", image.Url);
        }
        else if (image.Data is not null)
        {
            writer.WriteString("image_url", "data:" + (image.MediaType ?? "image/png") + ";base64," + image.Data);
        }

        if (image.Detail is not null)
        {
            writer.WriteString("detail", image.Detail);
        }

        writer.WriteEndObject();
    }

    private static void WriteInputFile(Utf8JsonWriter writer, FilePart file)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "input_file");
        if (file.FileId is not null)
        {
            writer.WriteString("file_id", file.FileId);
        }

        if (file.Url is not null)
        {
            writer.WriteString("file_url", file.Url);
        }

        if (file.Data is not null)
        {
            writer.WriteString("filename", file.FileName ?? "file");
            writer.WriteString("file_data", file.Data.StartsWith("data:", StringComparison.Ordinal)
                ? file.Data
                : "data:" + (file.MediaType ?? "application/octet-stream") + ";base64," + file.Data);
        }
        else if (file.FileName is not null)
        {
            writer.WriteString("filename", file.FileName);
        }

        writer.WriteEndObject();
    }

    private static void WriteToolCall(Utf8JsonWriter writer, ToolCallPart call)
    {
        writer.WriteStartObject();
        if (call.Kind == ToolCallKind.Custom)
        {
            writer.WriteString("type", "custom_tool_call");
            writer.WriteString("call_id", call.CallId);
            writer.WriteString("name", call.Name);
            writer.WriteString("input", call.Arguments);
        }
        else
        {
            writer.WriteString("type", "function_call");
            writer.WriteString("call_id", call.CallId);
            writer.WriteString("name", call.Name);
            writer.WriteString("arguments", call.Arguments.Length == 0 ? "{}" : call.Arguments);
        }

        writer.WriteEndObject();
    }

    private static void WriteToolResult(Utf8JsonWriter writer, ToolResultPart result)
    {
        writer.WriteStartObject();
        writer.WriteString("type", result.Kind == ToolCallKind.Custom ? "custom_tool_call_output" : "function_call_output");
        writer.WriteString("call_id", result.CallId);
        bool hasImages = false;
        foreach (ContentPart part in result.Content)
        {
            hasImages |= part is ImagePart;
        }

        if (hasImages)
        {
            writer.WriteStartArray("output");
            foreach (ContentPart part in result.Content)
            {
                switch (part)
                {
                    case TextPart text:
                        WriteInputText(writer, text.Text);
                        break;
                    case ImagePart image:
                        WriteInputImage(writer, image);
                        break;
                    case FilePart file:
                        WriteInputFile(writer, file);
                        break;
                    default:
                        break;
                }
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteString("output", result.Text);
        }

        writer.WriteEndObject();
    }

    private static void WriteReasoning(Utf8JsonWriter writer, ReasoningPart reasoning)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "reasoning");
        if (reasoning.ItemId is not null)
        {
            writer.WriteString("id", reasoning.ItemId);
        }

        writer.WriteStartArray("summary");
        foreach (string part in reasoning.SummaryOrText)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "summary_text");
            writer.WriteString("text", part);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("encrypted_content", reasoning.EncryptedContent);
        writer.WriteEndObject();
    }

    private static void WriteTool(Utf8JsonWriter writer, ChatTool tool)
    {
        writer.WriteStartObject();
        if (tool.Kind == ToolCallKind.Custom)
        {
            writer.WriteString("type", "custom");
            writer.WriteString("name", tool.Name);
            if (tool.Description is not null)
            {
                writer.WriteString("description", tool.Description);
            }

            if (tool.Format is JsonElement format)
            {
                writer.WritePropertyName("format");
                format.WriteTo(writer);
            }
        }
        else
        {
            writer.WriteString("type", "function");
            writer.WriteString("name", tool.Name);
            if (tool.Description is not null)
            {
                writer.WriteString("description", tool.Description);
            }

            FunctionToolSchema.WriteParameters(writer, tool);
        }

        writer.WriteEndObject();
    }

    private static void WriteHostedTool(Utf8JsonWriter writer, HostedTool hosted)
    {
        if (hosted.Type is "web_search" or "web_search_preview")
        {
            writer.WriteStartObject();
            writer.WriteString("type", "web_search");
            writer.WriteEndObject();
        }
        else if (hosted.Raw is JsonElement raw && raw.ValueKind == JsonValueKind.Object)
        {
            // A Responses hosted tool godex does not model: the client wrote it for this wire.
            raw.WriteTo(writer);
        }
    }

    private static void WriteToolChoice(Utf8JsonWriter writer, ToolChoice choice, IReadOnlyList<ChatTool> tools)
    {
        switch (choice.Mode)
        {
            case ToolChoiceMode.None:
                writer.WriteString("tool_choice", "none");
                break;
            case ToolChoiceMode.Required:
                writer.WriteString("tool_choice", "required");
                break;
            case ToolChoiceMode.Named when choice.Name is not null:
                bool custom = false;
                foreach (ChatTool tool in tools)
                {
                    if (tool.Name == choice.Name)
                    {
                        custom = tool.Kind == ToolCallKind.Custom;
                        break;
                    }
                }

                writer.WriteStartObject("tool_choice");
                writer.WriteString("type", custom ? "custom" : "function");
                writer.WriteString("name", choice.Name);
                writer.WriteEndObject();
                break;
            default:
                writer.WriteString("tool_choice", "auto");
                break;
        }
    }

    private static void WriteText(Utf8JsonWriter writer, ResponseFormat? format, string? verbosity)
    {
        bool hasFormat = format is { Type: "json_schema" or "json_object" };
        if (!hasFormat && verbosity is null)
        {
            return;
        }

        writer.WriteStartObject("text");
        if (verbosity is not null)
        {
            writer.WriteString("verbosity", verbosity);
        }

        if (!hasFormat || format is null)
        {
            writer.WriteEndObject();
            return;
        }

        writer.WriteStartObject("format");
        writer.WriteString("type", format.Type);
        if (format.Type == "json_schema")
        {
            writer.WriteString("name", format.Name ?? "response");
            if (format.Description is not null)
            {
                writer.WriteString("description", format.Description);
            }

            if (format.Schema is JsonElement schema)
            {
                writer.WritePropertyName("schema");
                schema.WriteTo(writer);
            }

            if (format.Strict is bool strict)
            {
                writer.WriteBoolean("strict", strict);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static bool IsResponsesRaw(RawPart raw) =>
        raw.Dialect is "responses" or "openai-responses" or "codex";

    /// <summary>A raw Responses input item (has a <c>type</c> that is not a content part type).</summary>
    private static bool IsItem(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object
        && json.TryGetProperty("type", out JsonElement type)
        && type.ValueKind == JsonValueKind.String
        && !(type.GetString() is { } name && (name.StartsWith("input_", StringComparison.Ordinal) || name.StartsWith("output_", StringComparison.Ordinal) || name == "refusal"));
}
