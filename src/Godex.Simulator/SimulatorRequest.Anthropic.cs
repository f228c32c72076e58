using System.Text.Json;

namespace Godex.Simulator;

internal sealed partial record SimulatorRequest
{
    /// <summary>Reads an Anthropic Messages body.</summary>
    public static SimulatorRequest FromAnthropic(JsonElement body, int bodyLength)
    {
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        string prompt = string.Empty;
        SimulatorToolResult? toolResult = null;
        if (body.TryGetProperty("messages", out JsonElement messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement message in messages.EnumerateArray())
            {
                toolResult = null;
                if (!message.TryGetProperty("content", out JsonElement content))
                {
                    continue;
                }

                bool isUser = GetString(message, "role") == "user";
                if (content.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement block in content.EnumerateArray())
                    {
                        string type = GetString(block, "type");
                        if (type == "tool_use")
                        {
                            callNames[GetString(block, "id")] = GetString(block, "name");
                        }
                        else if (type == "tool_result" && isUser)
                        {
                            string id = GetString(block, "tool_use_id");
                            string output = block.TryGetProperty("content", out JsonElement result) ? TextOf(result) : string.Empty;
                            toolResult = new SimulatorToolResult(callNames.GetValueOrDefault(id, id), output);
                        }
                    }
                }

                if (isUser && toolResult is null)
                {
                    prompt = LastTextOf(content);
                }
            }
        }

        var tools = new List<SimulatorTool>();
        if (body.TryGetProperty("tools", out JsonElement toolList) && toolList.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement tool in toolList.EnumerateArray())
            {
                string name = GetString(tool, "name");
                string type = GetString(tool, "type");

                // Server tools (web_search_20250305, ...) carry a versioned type and run upstream; only client tools are called.
                if (name.Length == 0 || type is not ("" or "custom"))
                {
                    continue;
                }

                JsonElement? schema = tool.TryGetProperty("input_schema", out JsonElement value) ? value.Clone() : null;
                tools.Add(new SimulatorTool(name, IsCustom: false, schema));
            }
        }

        string thinking = body.TryGetProperty("thinking", out JsonElement thinkingConfig) ? GetString(thinkingConfig, "type") : string.Empty;
        return new SimulatorRequest
        {
            Model = GetString(body, "model"),
            Prompt = prompt,
            ToolResult = toolResult,
            Tools = tools,
            Reasoning = thinking is "enabled" or "adaptive",
            BodyLength = bodyLength,
            MaxTokens = GetInt(body, "max_tokens"),
            OutputSchema = AnthropicOutputSchema(body),
        };
    }

    private static JsonElement? AnthropicOutputSchema(JsonElement body)
    {
        JsonElement format = body.TryGetProperty("output_config", out JsonElement config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty("format", out JsonElement configured)
            ? configured
            : body.TryGetProperty("output_format", out JsonElement legacy) ? legacy : default;
        return GetString(format, "type") == "json_schema" && format.TryGetProperty("schema", out JsonElement schema) ? schema.Clone() : null;
    }
}
