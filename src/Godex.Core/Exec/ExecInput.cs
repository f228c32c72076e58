using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Conversation;

namespace Godex.Core.Exec;

/// <summary>
/// <c>--input-json FILE</c>: a JSON array of Responses-API input items (messages, <c>function_call</c>,
/// <c>function_call_output</c>) turned into canonical messages. System and developer messages are kept (the
/// original's HEAD dropped them).
/// </summary>
public static class ExecInput
{
    public static IReadOnlyList<ChatMessage> Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"--input-json {source}: not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                throw new ConfigException($"--input-json {source}: expected a JSON array of input items");
            }

            var messages = new List<ChatMessage>();
            int index = 0;
            foreach (JsonElement item in root.EnumerateArray())
            {
                Add(messages, item, $"--input-json {source}: item {index}");
                index++;
            }

            return messages;
        }
    }

    private static void Add(List<ChatMessage> messages, JsonElement item, string where)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new ConfigException($"{where}: expected an object");
        }

        string type = String(item, "type") ?? (item.TryGetProperty("role", out _) ? "message" : "");
        switch (type)
        {
            case "message":
            {
                string role = String(item, "role") ?? throw new ConfigException($"{where}: a message needs a role");
                ChatRole chatRole = role switch
                {
                    "user" => ChatRole.User,
                    "assistant" => ChatRole.Assistant,
                    "system" => ChatRole.System,
                    "developer" => ChatRole.Developer,
                    _ => throw new ConfigException($"{where}: unsupported role '{role}' (expected user, assistant, system or developer)"),
                };
                messages.Add(new ChatMessage(chatRole, Content(item, where)));
                break;
            }

            case "function_call":
            {
                string callId = String(item, "call_id") ?? String(item, "id") ?? throw new ConfigException($"{where}: function_call needs a call_id");
                string name = String(item, "name") ?? throw new ConfigException($"{where}: function_call needs a name");
                string arguments = String(item, "arguments") ?? "{}";
                var call = new ToolCallPart(callId, name, arguments) { ItemId = String(item, "id") };

                // Consecutive calls (and the text before them) are one assistant turn, as the upstream produced them.
                if (messages.Count > 0 && messages[^1].Role == ChatRole.Assistant)
                {
                    messages[^1] = messages[^1] with { Parts = [.. messages[^1].Parts, call] };
                }
                else
                {
                    messages.Add(new ChatMessage(ChatRole.Assistant, [call]));
                }

                break;
            }

            case "function_call_output":
            {
                string callId = String(item, "call_id") ?? throw new ConfigException($"{where}: function_call_output needs a call_id");
                string output = item.TryGetProperty("output", out JsonElement value)
                    ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
                    : "";
                messages.Add(new ChatMessage(ChatRole.Tool, [new ToolResultPart(callId) { Content = [new TextPart(output)] }]));
                break;
            }

            default:
                throw new ConfigException($"{where}: unsupported item type '{type}' (expected message, function_call or function_call_output)");
        }
    }

    private static List<ContentPart> Content(JsonElement item, string where)
    {
        if (!item.TryGetProperty("content", out JsonElement content) || content.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new ConfigException($"{where}: content must be a string or an array of parts");
        }

        var parts = new List<ContentPart>();
        foreach (JsonElement part in content.EnumerateArray())
        {
            string? partType = String(part, "type");
            if (partType is "input_text" or "output_text" or "text")
            {
                parts.Add(new TextPart(String(part, "text") ?? ""));
            }
            else
            {
                throw new ConfigException($"{where}: unsupported content part '{partType}' (expected input_text or output_text)");
            }
        }

        return parts;
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
