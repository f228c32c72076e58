using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Godex.Simulator;

/// <summary>
/// The rules of the ChatGPT Codex backend that the simulator can know, each answered the way the backend answers:
/// its own FastAPI body <c>{"detail": …}</c> for the transport rules (recorded: <c>{"detail":"Unsupported parameter:
/// max_output_tokens"}</c>), and the OpenAI error object <c>{"error":{message,type,param,code}}</c> for the rules of
/// the Responses API it forwards to (recorded messages quoted beside each rule).
/// </summary>
internal static class CodexRequestRules
{
    public const int MaxToolNameLength = 64;

    // "Unsupported parameter" fields: recorded for max_output_tokens; the rest is what gateways that serve real Codex
    // traffic strip for the same reason (reference/gateways.md §2.2: CLIProxyAPI deletes them, LiteLLM documents the
    // token-limit fields and metadata). previous_response_id works only over the WebSocket transport.
    private static readonly string[] s_unsupported =
    [
        "max_output_tokens", "max_completion_tokens", "temperature", "top_p", "previous_response_id", "truncation", "user",
        "metadata", "prompt_cache_retention", "safety_identifier", "stream_options",
    ];

    /// <summary>The first rule <paramref name="body"/> breaks; null when it is acceptable.</summary>
    public static SimulatorRejection? FindViolation(JsonElement body)
    {
        foreach (string name in s_unsupported)
        {
            if (body.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null)
            {
                return SimulatorRejection.Detail("Unsupported parameter: " + name);
            }
        }

        if (!body.TryGetProperty("stream", out JsonElement stream) || stream.ValueKind != JsonValueKind.True)
        {
            return SimulatorRejection.Detail("Stream must be set to true");
        }

        if (body.TryGetProperty("store", out JsonElement store) && store.ValueKind == JsonValueKind.True)
        {
            return SimulatorRejection.Detail("Store must be set to false");
        }

        if (!body.TryGetProperty("input", out JsonElement input) || input.ValueKind != JsonValueKind.Array)
        {
            return SimulatorRejection.Detail("Input must be a list");
        }

        // Recent Codex CLIs (captured-clients/codex-request.json) send no top-level instructions and put them in a
        // developer message instead; rejecting those would lock the real client out of demo mode.
        bool hasInstructions = body.TryGetProperty("instructions", out JsonElement instructions) && instructions.ValueKind == JsonValueKind.String;
        if (!hasInstructions && !HasDeveloperMessage(input))
        {
            return SimulatorRejection.Detail("Instructions are required");
        }

        return Tools(body) ?? TextFormat(body) ?? CallOutputs(input);
    }

    private static bool HasDeveloperMessage(JsonElement input)
    {
        foreach (JsonElement item in input.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("role", out JsonElement role)
                && (role.ValueEquals("developer") || role.ValueEquals("system")))
            {
                return true;
            }
        }

        return false;
    }

    private static SimulatorRejection? Tools(JsonElement body)
    {
        if (!body.TryGetProperty("tools", out JsonElement tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        int index = 0;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            // Recorded: "Invalid 'tools[25].function.name': string too long. Expected a string with maximum length 64,
            // but got a string with length 67 instead." (chat); the Responses tool is flat, so its path is tools[i].name.
            if (tool.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String && name.GetString()!.Length > MaxToolNameLength)
            {
                string param = string.Create(CultureInfo.InvariantCulture, $"tools[{index}].name");
                return SimulatorRejection.OpenAI(
                    string.Create(CultureInfo.InvariantCulture, $"Invalid '{param}': string too long. Expected a string with maximum length {MaxToolNameLength}, but got a string with length {name.GetString()!.Length} instead."),
                    param,
                    "string_above_max_length");
            }

            // Recorded: "Invalid schema for function 'mysql_execute': In context=(), 'required' is required to be
            // supplied and to be an array including every key in properties. Missing 'params'." (param
            // tools[1].parameters, code invalid_function_parameters). Only for tools that ask for strict mode.
            if (tool.TryGetProperty("type", out JsonElement type) && type.ValueEquals("function")
                && tool.TryGetProperty("strict", out JsonElement strict) && strict.ValueKind == JsonValueKind.True
                && tool.TryGetProperty("parameters", out JsonElement parameters)
                && StrictProblem(parameters, []) is { } problem)
            {
                return SimulatorRejection.OpenAI(
                    $"Invalid schema for function '{name.GetString()}': {problem}",
                    string.Create(CultureInfo.InvariantCulture, $"tools[{index}].parameters"),
                    "invalid_function_parameters");
            }

            index++;
        }

        return null;
    }

    // Recorded (through the Codex backend): "Invalid schema for response_format 'codex_output_schema': In context=(),
    // 'additionalProperties' is required to be supplied and to be false." (param text.format.schema, code
    // invalid_json_schema). The rules hold only in strict mode; text.format.strict defaults to false (OpenAPI spec).
    private static SimulatorRejection? TextFormat(JsonElement body)
    {
        if (body.TryGetProperty("text", out JsonElement text) && text.ValueKind == JsonValueKind.Object
            && text.TryGetProperty("format", out JsonElement format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type", out JsonElement type) && type.ValueEquals("json_schema")
            && format.TryGetProperty("strict", out JsonElement strict) && strict.ValueKind == JsonValueKind.True
            && format.TryGetProperty("schema", out JsonElement schema)
            && StrictProblem(schema, []) is { } problem)
        {
            string name = format.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? "" : "";
            return SimulatorRejection.OpenAI($"Invalid schema for response_format '{name}': {problem}", "text.format.schema", "invalid_json_schema");
        }

        return null;
    }

    /// <summary>The strict-mode rule the schema breaks first, as <c>In context=(…), …</c>; null when it is strict.</summary>
    public static string? StrictProblem(JsonElement schema, List<object> context)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (JsonSchemaWalk.IsObjectSchema(schema))
        {
            if (!schema.TryGetProperty("additionalProperties", out JsonElement additional) || additional.ValueKind != JsonValueKind.False)
            {
                return $"In context={Context(context)}, 'additionalProperties' is required to be supplied and to be false.";
            }

            if (schema.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
            {
                HashSet<string> required = schema.TryGetProperty("required", out JsonElement list) && list.ValueKind == JsonValueKind.Array
                    ? [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                    : [];
                foreach (JsonProperty property in properties.EnumerateObject())
                {
                    if (!required.Contains(property.Name))
                    {
                        return $"In context={Context(context)}, 'required' is required to be supplied and to be an array including every key in properties. Missing '{property.Name}'.";
                    }
                }
            }
        }

        foreach ((object[] path, JsonElement child) in JsonSchemaWalk.Children(schema))
        {
            context.AddRange(path);
            string? problem = StrictProblem(child, context);
            context.RemoveRange(context.Count - path.Length, path.Length);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>The context as the API prints it: a Python tuple, <c>()</c>, <c>('items',)</c>, <c>('properties', 'a')</c>.</summary>
    private static string Context(List<object> path)
    {
        var builder = new StringBuilder("(");
        for (int i = 0; i < path.Count; i++)
        {
            builder.Append(i == 0 ? "" : ", ");
            builder.Append(path[i] is int number ? number.ToString(CultureInfo.InvariantCulture) : "'" + path[i] + "'");
        }

        return builder.Append(path.Count == 1 ? ",)" : ")").ToString();
    }

    // Recorded by OpenAI SDK users: "No tool call found for function call output with call_id call_abc." (param input).
    private static SimulatorRejection? CallOutputs(JsonElement input)
    {
        var calls = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement item in input.EnumerateArray())
        {
            string type = item.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            string callId = item.TryGetProperty("call_id", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "";
            if (type is "function_call" or "custom_tool_call")
            {
                calls.Add(callId);
            }
            else if (type is "function_call_output" or "custom_tool_call_output" && !calls.Contains(callId))
            {
                return SimulatorRejection.OpenAI($"No tool call found for {(type == "function_call_output" ? "function" : "custom tool")} call output with call_id {callId}.", "input", null);
            }
        }

        return null;
    }
}
