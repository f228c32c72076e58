using System.Globalization;
using System.Text.Json;

namespace Godex.Simulator;

/// <summary>
/// The rules of the real Messages API that the simulator can know, each answered with the real API's message (all 400
/// <c>invalid_request_error</c>). Sources: the error bodies recorded in public bug reports against the real API (quoted
/// beside each rule) and the extended-thinking documentation. The messages keep the API's spelling, typos included
/// ("preceeding").
/// <para>Consecutive turns of one role are not an error: the API combines them into one turn ("Consecutive user or
/// assistant turns in your request will be combined into a single turn", Messages API reference; the 2024 error "roles
/// must alternate" is gone). The turn rules below are checked on the combined turns, reported at the first original
/// message of each.</para>
/// </summary>
internal static class AnthropicRequestRules
{
    public const int MaxToolNameLength = 64;
    public const int MinThinkingBudget = 1024;

    private const string ThinkingDocs = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

    /// <summary>The first rule <paramref name="body"/> breaks, in the API's words; null when it is acceptable.</summary>
    /// <param name="body">The request body (an object with <c>max_tokens</c>, <c>messages</c> and <c>model</c>).</param>
    /// <param name="betas">The <c>anthropic-beta</c> header, for the rules a beta relaxes.</param>
    public static string? FindViolation(JsonElement body, string? betas)
    {
        if (!body.TryGetProperty("max_tokens", out JsonElement maxTokens) || maxTokens.ValueKind != JsonValueKind.Number)
        {
            return "max_tokens: Field required";
        }

        if (!body.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return "messages: Field required";
        }

        if (!body.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.String)
        {
            return "model: Field required";
        }

        string thinking = body.TryGetProperty("thinking", out JsonElement config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : "disabled";
        return ThinkingConfig(body, config, thinking, maxTokens, betas)
            ?? ToolNames(body)
            ?? OutputSchema(body)
            ?? Turns(messages, thinking)
            ?? SimulatorThinkingSignature.FindInvalid(messages);
    }

    private static string? ThinkingConfig(JsonElement body, JsonElement config, string thinking, JsonElement maxTokens, string? betas)
    {
        if (thinking != "enabled")
        {
            return null;
        }

        if (!config.TryGetProperty("budget_tokens", out JsonElement budgetElement) || !budgetElement.TryGetInt32(out int budget))
        {
            return "thinking.enabled.budget_tokens: Field required";
        }

        // Recorded: "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024".
        if (budget < MinThinkingBudget)
        {
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
        }

        // Recorded verbatim. With interleaved thinking the budget is the whole turn's and may exceed max_tokens (docs).
        bool interleaved = betas is not null && betas.Contains("interleaved-thinking-2025-05-14", StringComparison.Ordinal);
        if (!interleaved && maxTokens.TryGetInt32(out int max) && max <= budget)
        {
            return "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at " + ThinkingDocs + "#max-tokens-and-context-window-size";
        }

        // Docs: "tool_choice options that force tool use return an error with manual extended thinking".
        if (body.TryGetProperty("tool_choice", out JsonElement choice) && choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("type", out JsonElement choiceType) && (choiceType.ValueEquals("any") || choiceType.ValueEquals("tool")))
        {
            return "Thinking may not be enabled when tool_choice forces tool use.";
        }

        return null;
    }

    // Recorded: "tools.43.custom.name: String should have at most 64 characters".
    private static string? ToolNames(JsonElement body)
    {
        if (!body.TryGetProperty("tools", out JsonElement tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        int index = 0;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            bool custom = !tool.TryGetProperty("type", out JsonElement type) || type.ValueEquals("custom");
            if (custom && tool.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String
                && name.GetString()!.Length > MaxToolNameLength)
            {
                return string.Create(CultureInfo.InvariantCulture, $"tools.{index}.custom.name: String should have at most {MaxToolNameLength} characters");
            }

            index++;
        }

        return null;
    }

    // Recorded: "output_format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false" and
    // "...: For 'object' type, 'additionalProperties: true' is not supported. Please set 'additionalProperties' to false".
    private static string? OutputSchema(JsonElement body)
    {
        foreach ((string path, JsonElement format) in OutputFormats(body))
        {
            if (format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out JsonElement type) && type.ValueEquals("json_schema")
                && format.TryGetProperty("schema", out JsonElement schema) && FirstOpenObject(schema) is { } open)
            {
                return open.ValueKind == JsonValueKind.True
                    ? path + ".schema: For 'object' type, 'additionalProperties: true' is not supported. Please set 'additionalProperties' to false"
                    : path + ".schema: For 'object' type, 'additionalProperties' must be explicitly set to false";
            }
        }

        return null;
    }

    private static IEnumerable<(string Path, JsonElement Format)> OutputFormats(JsonElement body)
    {
        if (body.TryGetProperty("output_config", out JsonElement config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty("format", out JsonElement format))
        {
            yield return ("output_config.format", format);
        }

        if (body.TryGetProperty("output_format", out JsonElement legacy))
        {
            yield return ("output_format", legacy);
        }
    }

    /// <summary>The <c>additionalProperties</c> value (or an undefined element) of the first object schema that is not closed.</summary>
    private static JsonElement? FirstOpenObject(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (JsonSchemaWalk.IsObjectSchema(schema)
            && !(schema.TryGetProperty("additionalProperties", out JsonElement additional) && additional.ValueKind == JsonValueKind.False))
        {
            return schema.TryGetProperty("additionalProperties", out JsonElement value) ? value : default(JsonElement);
        }

        foreach ((_, JsonElement child) in JsonSchemaWalk.Children(schema))
        {
            if (FirstOpenObject(child) is { } open)
            {
                return open;
            }
        }

        return null;
    }

    private static string? Turns(JsonElement messages, string thinking)
    {
        List<Turn> turns = Combine(messages);
        for (int t = 0; t < turns.Count; t++)
        {
            Turn turn = turns[t];
            Turn? next = t + 1 < turns.Count ? turns[t + 1] : null;
            if (turn.Assistant)
            {
                if (AssistantBlocks(turn, last: next is null, thinking) is { } problem)
                {
                    return problem;
                }

                // Recorded: "messages.6: `tool_use` ids were found without `tool_result` blocks immediately after:
                // toolu_01Ab…. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
                if (next is not null)
                {
                    List<string> missing = [.. turn.ToolUseIds.Where(id => !next.ToolResultIds.Contains(id))];
                    if (missing.Count > 0)
                    {
                        return $"messages.{turn.Index}: `tool_use` ids were found without `tool_result` blocks immediately after: {string.Join(", ", missing)}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.";
                    }
                }
            }
            else
            {
                // Recorded: "messages.48.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_019E….
                // Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                HashSet<string> previous = t > 0 ? turns[t - 1].ToolUseIds : [];
                foreach ((string id, string where) in turn.ToolResults)
                {
                    if (!previous.Contains(id))
                    {
                        return $"{where}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.";
                    }
                }
            }
        }

        // Recorded: "messages.47.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When
        // `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost
        // set of `tool_use` and `tool_result` blocks). ..." — the assistant turn a tool loop continues is the final one.
        if (thinking == "enabled" && turns.Count >= 2 && !turns[^1].Assistant && turns[^1].ToolResults.Count > 0 && turns[^2].Assistant)
        {
            Turn final = turns[^2];
            if (final.Blocks.Count > 0 && final.Blocks[0].Type is not ("thinking" or "redacted_thinking"))
            {
                (string firstType, string firstPath) = final.Blocks[0];
                return $"{firstPath}.type: Expected `thinking` or `redacted_thinking`, but found `{firstType}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at {ThinkingDocs}";
            }
        }

        return null;
    }

    private static string? AssistantBlocks(Turn turn, bool last, string thinking)
    {
        List<(string Type, string Path)> blocks = turn.Blocks;
        bool hasThinking = blocks.Exists(b => b.Type is "thinking" or "redacted_thinking");
        if (!hasThinking)
        {
            return null;
        }

        // Recorded: "messages.11.content.0: When thinking is disabled, an `assistant` message in the final position
        // cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request."
        if (last && thinking is "disabled")
        {
            string where = blocks.First(b => b.Type is "thinking" or "redacted_thinking").Path;
            return where + ": When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request.";
        }

        // Recorded: "messages.1: The final block in an assistant message cannot be `thinking`."
        if (blocks[^1].Type is "thinking" or "redacted_thinking")
        {
            return $"messages.{turn.Index}: The final block in an assistant message cannot be `thinking`.";
        }

        // Recorded (thinking enabled): "messages.51.content.0: If an assistant message contains any thinking blocks,
        // the first block must be thinking or redacted_thinking. Found text."
        if (thinking is not "disabled" && blocks[0].Type is not ("thinking" or "redacted_thinking"))
        {
            return $"{blocks[0].Path}: If an assistant message contains any thinking blocks, the first block must be thinking or redacted_thinking. Found {blocks[0].Type}.";
        }

        return null;
    }

    /// <summary>The messages as the API sees them: consecutive messages of one role combined.</summary>
    private static List<Turn> Combine(JsonElement messages)
    {
        var turns = new List<Turn>();
        int m = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            bool assistant = message.TryGetProperty("role", out JsonElement role) && role.ValueEquals("assistant");
            bool system = role.ValueKind == JsonValueKind.String && role.ValueEquals("system");
            if (system)
            {
                m++;
                continue;
            }

            Turn turn = turns.Count > 0 && turns[^1].Assistant == assistant ? turns[^1] : Add(turns, new Turn(m, assistant));
            if (message.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.Array)
            {
                int c = 0;
                foreach (JsonElement block in content.EnumerateArray())
                {
                    string type = block.TryGetProperty("type", out JsonElement blockType) ? blockType.GetString() ?? "" : "";
                    string path = string.Create(CultureInfo.InvariantCulture, $"messages.{m}.content.{c}");
                    turn.Blocks.Add((type, path));
                    if (type == "tool_use" && block.TryGetProperty("id", out JsonElement id))
                    {
                        turn.ToolUseIds.Add(id.GetString() ?? "");
                    }
                    else if (type == "tool_result" && block.TryGetProperty("tool_use_id", out JsonElement resultId))
                    {
                        turn.ToolResults.Add((resultId.GetString() ?? "", path));
                        turn.ToolResultIds.Add(resultId.GetString() ?? "");
                    }

                    c++;
                }
            }
            else
            {
                turn.Blocks.Add(("text", string.Create(CultureInfo.InvariantCulture, $"messages.{m}.content.0")));
            }

            m++;
        }

        return turns;
    }

    private static Turn Add(List<Turn> turns, Turn turn)
    {
        turns.Add(turn);
        return turn;
    }

    private sealed class Turn(int index, bool assistant)
    {
        public int Index { get; } = index;
        public bool Assistant { get; } = assistant;
        public List<(string Type, string Path)> Blocks { get; } = [];
        public HashSet<string> ToolUseIds { get; } = new(StringComparer.Ordinal);
        public HashSet<string> ToolResultIds { get; } = new(StringComparer.Ordinal);
        public List<(string Id, string Path)> ToolResults { get; } = [];
    }
}
