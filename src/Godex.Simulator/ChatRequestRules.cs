using System.Text.Json;

namespace Godex.Simulator;

/// <summary>
/// The request rules of OpenAI's Chat Completions API that a translator can break, each answered with the API's own
/// wording (<c>{"error":{"message","type":"invalid_request_error","param","code"}}</c>, 400): an unknown parameter,
/// a missing model or messages, an unknown role, a tool message that answers no call, an assistant's tool calls that
/// are left unanswered, a call without an id or with non-string arguments, a tool that is not a named function, and
/// <c>stream_options</c> without <c>stream</c>. Compatible servers are looser; a body the real API accepts is
/// accepted by all of them, so the simulator holds godex to the strictest.
/// </summary>
internal static class ChatRequestRules
{
    private static readonly HashSet<string> s_parameters = new(StringComparer.Ordinal)
    {
        "model", "messages", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls", "max_tokens",
        "max_completion_tokens", "temperature", "top_p", "stop", "response_format", "user", "n", "seed",
        "frequency_penalty", "presence_penalty", "logprobs", "top_logprobs", "logit_bias", "reasoning_effort", "verbosity",
        "prompt_cache_key", "store", "metadata", "modalities", "audio", "prediction", "service_tier",
        "web_search_options", "functions", "function_call", "safety_identifier", "prompt_cache_retention",
    };

    private static readonly string[] s_roles = ["system", "assistant", "user", "function", "tool", "developer"];

    /// <summary>The first rule <paramref name="body"/> breaks; null when it is acceptable.</summary>
    public static SimulatorRejection? FindViolation(JsonElement body)
    {
        foreach (JsonProperty property in body.EnumerateObject())
        {
            if (!s_parameters.Contains(property.Name))
            {
                return SimulatorRejection.OpenAI($"Unrecognized request argument supplied: {property.Name}", null, null);
            }
        }

        if (!body.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 })
        {
            return SimulatorRejection.OpenAI("you must provide a model parameter", null, null);
        }

        if (!body.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return SimulatorRejection.OpenAI("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        }

        if (messages.GetArrayLength() == 0)
        {
            return SimulatorRejection.OpenAI("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
        }

        bool stream = body.TryGetProperty("stream", out JsonElement streamFlag) && streamFlag.ValueKind == JsonValueKind.True;
        if (!stream && body.TryGetProperty("stream_options", out JsonElement options) && options.ValueKind != JsonValueKind.Null)
        {
            return SimulatorRejection.OpenAI("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", "invalid_value");
        }

        return FindMessageViolation(messages) ?? FindToolViolation(body);
    }

    private static SimulatorRejection? FindMessageViolation(JsonElement messages)
    {
        var unanswered = new List<string>();
        int callsAt = -1;
        int index = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            string at = $"messages.[{index}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                return SimulatorRejection.OpenAI($"Invalid type for '{at}': expected an object, but got {Kind(message)} instead.", at, "invalid_type");
            }

            string role = message.TryGetProperty("role", out JsonElement r) && r.ValueKind == JsonValueKind.String ? r.GetString() ?? "" : "";
            if (role.Length == 0)
            {
                return SimulatorRejection.OpenAI($"Missing required parameter: '{at}.role'.", $"{at}.role", "missing_required_parameter");
            }

            if (Array.IndexOf(s_roles, role) < 0)
            {
                return SimulatorRejection.OpenAI($"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", $"{at}.role", "invalid_value");
            }

            if (role == "tool")
            {
                string? id = message.TryGetProperty("tool_call_id", out JsonElement callId) && callId.ValueKind == JsonValueKind.String ? callId.GetString() : null;
                if (id is null)
                {
                    return SimulatorRejection.OpenAI($"Missing required parameter: '{at}.tool_call_id'.", $"{at}.tool_call_id", "missing_required_parameter");
                }

                if (callsAt < 0 || !unanswered.Remove(id))
                {
                    return SimulatorRejection.OpenAI("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", $"{at}.role", null);
                }

                index++;
                continue;
            }

            if (unanswered.Count > 0)
            {
                return Unanswered(callsAt, unanswered);
            }

            callsAt = -1;
            if (role == "assistant" && message.TryGetProperty("tool_calls", out JsonElement calls) && calls.ValueKind == JsonValueKind.Array)
            {
                int callIndex = 0;
                foreach (JsonElement call in calls.EnumerateArray())
                {
                    string callAt = $"{at}.tool_calls.[{callIndex++}]";
                    if (!call.TryGetProperty("id", out JsonElement id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 } callId)
                    {
                        return SimulatorRejection.OpenAI($"Missing required parameter: '{callAt}.id'.", $"{callAt}.id", "missing_required_parameter");
                    }

                    if (!call.TryGetProperty("function", out JsonElement function) || function.ValueKind != JsonValueKind.Object
                        || !function.TryGetProperty("arguments", out JsonElement arguments) || arguments.ValueKind != JsonValueKind.String)
                    {
                        return SimulatorRejection.OpenAI($"Invalid type for '{callAt}.function.arguments': expected a string.", $"{callAt}.function.arguments", "invalid_type");
                    }

                    unanswered.Add(callId);
                }

                callsAt = unanswered.Count > 0 ? index : -1;
            }
            else if (!message.TryGetProperty("content", out JsonElement content) || content.ValueKind is JsonValueKind.Null)
            {
                if (role != "assistant")
                {
                    return SimulatorRejection.OpenAI($"Missing required parameter: '{at}.content'.", $"{at}.content", "missing_required_parameter");
                }
            }

            index++;
        }

        return unanswered.Count > 0 ? Unanswered(callsAt, unanswered) : null;
    }

    private static SimulatorRejection Unanswered(int callsAt, List<string> ids) =>
        SimulatorRejection.OpenAI(
            $"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {string.Join(", ", ids)}",
            $"messages.[{callsAt}].role",
            null);

    private static SimulatorRejection? FindToolViolation(JsonElement body)
    {
        if (!body.TryGetProperty("tools", out JsonElement tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            return SimulatorRejection.OpenAI($"Invalid type for 'tools': expected an array of objects, but got {Kind(tools)} instead.", "tools", "invalid_type");
        }

        int index = 0;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            string at = $"tools[{index++}]";
            string type = tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() ?? "" : "";
            if (type is not ("function" or "custom"))
            {
                return SimulatorRejection.OpenAI($"Invalid value: '{type}'. Supported values are: 'function' and 'custom'.", $"{at}.type", "invalid_value");
            }

            if (type == "function")
            {
                string name = tool.TryGetProperty("function", out JsonElement function) && function.ValueKind == JsonValueKind.Object
                    && function.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString() ?? "" : "";
                if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                {
                    return SimulatorRejection.OpenAI($"Invalid '{at}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.", $"{at}.function.name", "invalid_value");
                }
            }
        }

        if (index == 0)
        {
            return SimulatorRejection.OpenAI("Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.", "tools", "empty_array");
        }

        return null;
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "an object",
    };
}
