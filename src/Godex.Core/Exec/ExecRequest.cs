using System.Buffers;
using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Exec;

/// <summary>What <c>godex exec</c> was asked, after flag and config resolution.</summary>
public sealed record ExecSettings
{
    public required string Model { get; init; }

    /// <summary><c>--instructions</c>, else <c>--system</c>, else <c>exec.instructions</c>.</summary>
    public required string Instructions { get; init; }

    public string? AppendSystemPrompt { get; init; }

    /// <summary>The user prompt; ignored when <see cref="Input"/> is given.</summary>
    public string? Prompt { get; init; }

    /// <summary>The <c>--input-json</c> items, replacing the prompt.</summary>
    public IReadOnlyList<ChatMessage>? Input { get; init; }

    public IReadOnlyList<ChatTool> Tools { get; init; } = [];

    public IReadOnlyList<HostedTool> HostedTools { get; init; } = [];

    public ToolChoice ToolChoice { get; init; } = ToolChoice.Auto;

    /// <summary>Kept as the upstream prompt-cache key (and the Codex <c>session_id</c> header).</summary>
    public required string SessionId { get; init; }
}

/// <summary>Builds the canonical request of <c>godex exec</c> and its Responses-style rendering (reference §5.1).</summary>
public static class ExecRequest
{
    /// <summary><c>trim(instructions) + "\n\n" + trim(append)</c>, or either alone.</summary>
    public static string CombineInstructions(string? instructions, string? append)
    {
        string first = instructions?.Trim() ?? "";
        string second = append?.Trim() ?? "";
        return first.Length == 0 ? second : second.Length == 0 ? first : first + "\n\n" + second;
    }

    public static ChatRequest Build(ExecSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var messages = new List<ChatMessage>();
        string instructions = CombineInstructions(settings.Instructions, settings.AppendSystemPrompt);
        if (instructions.Length > 0)
        {
            messages.Add(new ChatMessage(ChatRole.System, instructions));
        }

        if (settings.Input is { } input)
        {
            messages.AddRange(input);
        }
        else
        {
            messages.Add(new ChatMessage(ChatRole.User, settings.Prompt ?? ""));
        }

        bool anyTools = settings.Tools.Count > 0 || settings.HostedTools.Count > 0;
        return new ChatRequest
        {
            Model = settings.Model,
            Messages = messages,
            Tools = settings.Tools,
            HostedTools = settings.HostedTools,
            // With no tools only an explicit non-auto choice is sent: "auto" alone is what upstreams assume anyway.
            ToolChoice = anyTools || settings.ToolChoice.Mode != ToolChoiceMode.Auto ? settings.ToolChoice : null,
            ParallelToolCalls = anyTools ? false : null,
            PromptCacheKey = settings.SessionId,
            Stream = true,
        };
    }

    /// <summary>
    /// The request as the original's protocol request: <c>{model, instructions, input, tools, tool_choice,
    /// parallel_tool_calls:false, store:false, stream:true, include:[], prompt_cache_key}</c>. This is what
    /// <c>--mock</c> echoes and logs; real runs log the bytes each provider really sent.
    /// </summary>
    public static byte[] WriteProtocolRequest(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("model", request.Model);
            writer.WriteString("instructions", request.Instructions);
            writer.WriteStartArray("input");
            for (int i = 0; i < request.Messages.Count; i++)
            {
                // The leading instruction message is the top-level "instructions"; later ones stay in place.
                if (i > 0 || !request.Messages[i].Role.IsInstruction)
                {
                    WriteItems(writer, request.Messages[i]);
                }
            }

            writer.WriteEndArray();
            writer.WriteStartArray("tools");
            foreach (ChatTool tool in request.Tools)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteString("name", tool.Name);
                writer.WritePropertyName("parameters");
                if (tool.Parameters is JsonElement parameters)
                {
                    parameters.WriteTo(writer);
                }
                else
                {
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }

                writer.WriteBoolean("strict", tool.Strict ?? false);
                writer.WriteEndObject();
            }

            foreach (HostedTool hosted in request.HostedTools)
            {
                writer.WriteStartObject();
                writer.WriteString("type", hosted.Type);
                writer.WriteBoolean("external_web_access", true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            ToolChoice choice = request.ToolChoice ?? ToolChoice.Auto;
            writer.WriteString("tool_choice", choice.Mode switch
            {
                ToolChoiceMode.Required => "required",
                ToolChoiceMode.None => "none",
                ToolChoiceMode.Named => "function:" + choice.Name,
                _ => "auto",
            });
            writer.WriteBoolean("parallel_tool_calls", false);
            writer.WriteBoolean("store", false);
            writer.WriteBoolean("stream", true);
            writer.WriteStartArray("include");
            writer.WriteEndArray();
            if (request.PromptCacheKey is not null)
            {
                writer.WriteString("prompt_cache_key", request.PromptCacheKey);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteItems(Utf8JsonWriter writer, ChatMessage message)
    {
        bool assistant = message.Role == ChatRole.Assistant;
        var text = new List<string>();
        foreach (ContentPart part in message.Parts)
        {
            if (part is TextPart t)
            {
                text.Add(t.Text);
            }
        }

        if (text.Count > 0 || (!assistant && message.Role != ChatRole.Tool))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "message");
            writer.WriteString("role", message.Role.Value);
            writer.WriteStartArray("content");
            foreach (string t in text)
            {
                writer.WriteStartObject();
                writer.WriteString("type", assistant ? "output_text" : "input_text");
                writer.WriteString("text", t);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        foreach (ContentPart part in message.Parts)
        {
            switch (part)
            {
                case ToolCallPart call:
                    writer.WriteStartObject();
                    writer.WriteString("type", "function_call");
                    writer.WriteString("call_id", call.CallId);
                    writer.WriteString("name", call.Name);
                    writer.WriteString("arguments", call.Arguments);
                    writer.WriteEndObject();
                    break;
                case ToolResultPart result:
                    writer.WriteStartObject();
                    writer.WriteString("type", "function_call_output");
                    writer.WriteString("call_id", result.CallId);
                    writer.WriteString("output", result.Text);
                    writer.WriteEndObject();
                    break;
            }
        }
    }
}
