using System.Text.Json;

namespace Godex.Simulator;

internal sealed partial record SimulatorRequest
{
    /// <summary>Reads a Responses API body (already validated as having a list <c>input</c>).</summary>
    public static SimulatorRequest FromResponses(JsonElement body, int bodyLength)
    {
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        string prompt = string.Empty;
        SimulatorToolResult? toolResult = null;
        if (body.TryGetProperty("input", out JsonElement input) && input.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in input.EnumerateArray())
            {
                string type = GetString(item, "type");
                string role = GetString(item, "role");
                switch (type)
                {
                    case "function_call" or "custom_tool_call":
                        callNames[GetString(item, "call_id")] = GetString(item, "name");
                        toolResult = null;
                        break;
                    case "function_call_output" or "custom_tool_call_output":
                        string callId = GetString(item, "call_id");
                        string output = item.TryGetProperty("output", out JsonElement value) ? TextOf(value) : string.Empty;
                        toolResult = new SimulatorToolResult(callNames.GetValueOrDefault(callId, callId), output);
                        break;
                    case "message" or "" when role == "user":
                        prompt = item.TryGetProperty("content", out JsonElement content) ? LastTextOf(content) : string.Empty;
                        toolResult = null;
                        break;
                    case "message" or "" when role == "assistant":
                        toolResult = null;
                        break;
                }
            }
        }

        var tools = new List<SimulatorTool>();
        if (body.TryGetProperty("tools", out JsonElement toolList) && toolList.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement tool in toolList.EnumerateArray())
            {
                string type = GetString(tool, "type");
                string name = GetString(tool, "name");
                if (name.Length == 0 || type is not ("function" or "custom"))
                {
                    continue;
                }

                JsonElement? parameters = tool.TryGetProperty("parameters", out JsonElement schema) ? schema.Clone() : null;
                tools.Add(new SimulatorTool(name, type == "custom", parameters));
            }
        }

        return new SimulatorRequest
        {
            Model = GetString(body, "model"),
            Prompt = prompt,
            ToolResult = toolResult,
            Tools = tools,
            Reasoning = body.TryGetProperty("reasoning", out JsonElement reasoning) && reasoning.ValueKind == JsonValueKind.Object,
            BodyLength = bodyLength,
            OutputSchema = ResponsesOutputSchema(body),
        };
    }

    private static JsonElement? ResponsesOutputSchema(JsonElement body)
    {
        if (!body.TryGetProperty("text", out JsonElement text) || text.ValueKind != JsonValueKind.Object
            || !text.TryGetProperty("format", out JsonElement format))
        {
            return null;
        }

        return GetString(format, "type") switch
        {
            "json_schema" when format.TryGetProperty("schema", out JsonElement schema) => schema.Clone(),
            "json_object" => JsonDocument.Parse("{}").RootElement.Clone(),
            _ => null,
        };
    }
}
