using System.Text.Json;

namespace Godex.Simulator;

internal sealed partial record SimulatorRequest
{
    /// <summary>Reads an OpenAI Chat Completions body.</summary>
    public static SimulatorRequest FromChat(JsonElement body, int bodyLength)
    {
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        string prompt = string.Empty;
        SimulatorToolResult? toolResult = null;
        if (body.TryGetProperty("messages", out JsonElement messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement message in messages.EnumerateArray())
            {
                string role = GetString(message, "role");
                JsonElement content = message.TryGetProperty("content", out JsonElement value) ? value : default;
                if (role == "tool")
                {
                    string id = GetString(message, "tool_call_id");
                    toolResult = new SimulatorToolResult(callNames.GetValueOrDefault(id, id), TextOf(content));
                    continue;
                }

                toolResult = null;
                if (role == "user")
                {
                    prompt = LastTextOf(content);
                }
                else if (role == "assistant" && message.TryGetProperty("tool_calls", out JsonElement calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement call in calls.EnumerateArray())
                    {
                        string name = call.TryGetProperty("function", out JsonElement function) ? GetString(function, "name") : string.Empty;
                        callNames[GetString(call, "id")] = name;
                    }
                }
            }
        }

        var tools = new List<SimulatorTool>();
        if (body.TryGetProperty("tools", out JsonElement toolList) && toolList.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement tool in toolList.EnumerateArray())
            {
                if (!tool.TryGetProperty("function", out JsonElement function) || GetString(function, "name").Length == 0)
                {
                    continue;
                }

                JsonElement? schema = function.TryGetProperty("parameters", out JsonElement parameters) ? parameters.Clone() : null;
                tools.Add(new SimulatorTool(GetString(function, "name"), IsCustom: false, schema));
            }
        }

        return new SimulatorRequest
        {
            Model = GetString(body, "model"),
            Prompt = prompt,
            ToolResult = toolResult,
            Tools = tools,
            BodyLength = bodyLength,
            MaxTokens = GetInt(body, "max_completion_tokens") ?? GetInt(body, "max_tokens"),
        };
    }
}
