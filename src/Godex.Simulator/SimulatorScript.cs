using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Godex.Simulator;

/// <summary>
/// The simulator's behaviour as a pure function: request facts and faults in, a dialect-free plan out. Same input,
/// same plan — tests and benchmarks can predict every byte the endpoints will stream.
/// </summary>
internal static class SimulatorScript
{
    public const string ApplyPatchInput = "*** Begin Patch\n*** Add File: hello.txt\n+hello from godex simulator\n*** End Patch\n";

    private const int MaxEchoChars = 200;
    private const int LengthFaultDeltas = 4;
    private const int ArgumentChunkChars = 8;

    private static readonly HashSet<string> s_toolWords = new(StringComparer.Ordinal) { "call", "use", "run", "tool", "weather" };

    /// <param name="request">Facts read from the request.</param>
    /// <param name="prompt">The last user text with its <c>[sim:...]</c> directives removed.</param>
    /// <param name="fault">Directives that change the content (refusal, length); HTTP faults are the endpoint's business.</param>
    public static SimulatorPlan Plan(SimulatorRequest request, string prompt, SimulatorFault fault)
    {
        string model = request.Model.Length == 0 ? "unknown" : request.Model;
        int inputTokens = Math.Max(1, request.BodyLength / 4);
        IReadOnlyList<string> reasoning = [];
        IReadOnlyList<string> text;
        SimulatorToolCall? call = null;
        SimulatorStop stop = SimulatorStop.EndTurn;

        if (fault.Refusal)
        {
            reasoning = request.Reasoning ? SplitWords("This is not something I should help with.") : [];
            text = SplitWords("I'm sorry, but I can't help with that request.");
            stop = SimulatorStop.Refusal;
        }
        else if (request.ToolResult is { } result)
        {
            reasoning = request.Reasoning ? SplitWords($"The {result.Name} tool has answered; I will report its result.") : [];
            text = SplitWords($"Tool {result.Name} returned: {result.Output}");
        }
        else if (PickTool(request.Tools, prompt) is { } tool)
        {
            string input = tool.IsCustom ? CustomInput(tool)
                : IsWrappedCustomTool(tool) ? WrapInput(CustomInput(tool))
                : SynthesizeArguments(tool.Parameters, prompt);
            reasoning = request.Reasoning ? SplitWords($"The user wants a tool; I will call {tool.Name}.") : [];
            text = SplitWords($"I'll call {tool.Name}.");
            call = new SimulatorToolCall(tool.Name, tool.IsCustom, input, SplitChunks(input, ArgumentChunkChars));
            stop = SimulatorStop.ToolUse;
        }
        else if (request.OutputSchema is { } schema)
        {
            // Structured output: the answer is a JSON document that follows the schema, as constrained decoding makes it.
            reasoning = request.Reasoning ? SplitWords("The user wants JSON; I will fill in the schema.") : [];
            text = SplitChunks(SynthesizeArguments(schema, prompt), ArgumentChunkChars);
        }
        else
        {
            reasoning = request.Reasoning ? SplitWords("The user sent a message; I will greet them and echo it.") : [];
            string echo = prompt.Length > MaxEchoChars ? string.Concat(prompt.AsSpan(0, MaxEchoChars), "...") : prompt;
            text = SplitWords($"Hello from the godex simulator (model {model}). You said: {echo}");
        }

        if (fault.Length)
        {
            return new SimulatorPlan
            {
                ReasoningDeltas = reasoning,
                TextDeltas = [.. text.Take(LengthFaultDeltas)],
                Stop = SimulatorStop.MaxTokens,
                InputTokens = inputTokens,
            };
        }

        var plan = new SimulatorPlan { ReasoningDeltas = reasoning, TextDeltas = text, ToolCall = call, Stop = stop, InputTokens = inputTokens };
        return request.MaxTokens is int max && plan.OutputTokens > max ? Truncate(plan, max) : plan;
    }

    /// <summary>Splits text into word-sized deltas that keep their leading whitespace, so the deltas concatenate back exactly.</summary>
    public static IReadOnlyList<string> SplitWords(string text)
    {
        var words = new List<string>();
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || (char.IsWhiteSpace(text[i]) && !char.IsWhiteSpace(text[i - 1])))
            {
                words.Add(text[start..i]);
                start = i;
            }
        }

        return words;
    }

    /// <summary>
    /// Arguments for a function tool from its JSON schema: every required property gets a plausible value.
    /// </summary>
    public static string SynthesizeArguments(JsonElement? schema, string prompt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteObject(writer, schema, prompt);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static SimulatorPlan Truncate(SimulatorPlan plan, int maxTokens)
    {
        // The cap counts reasoning first, as the models do; a tool call that does not fit is dropped whole.
        IReadOnlyList<string> reasoning = [.. plan.ReasoningDeltas.Take(maxTokens)];
        IReadOnlyList<string> text = [.. plan.TextDeltas.Take(Math.Max(0, maxTokens - reasoning.Count))];
        return plan with { ReasoningDeltas = reasoning, TextDeltas = text, ToolCall = null, Stop = SimulatorStop.MaxTokens };
    }

    private static SimulatorTool? PickTool(IReadOnlyList<SimulatorTool> tools, string prompt)
    {
        if (tools.Count == 0)
        {
            return null;
        }

        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string word in prompt.Split([' ', '\t', '\n', '\r', '.', ',', '!', '?', ':', ';', '(', ')', '`', '"', '\''], StringSplitOptions.RemoveEmptyEntries))
        {
            words.Add(word);
        }

        foreach (SimulatorTool tool in tools)
        {
            if (words.Contains(tool.Name))
            {
                return tool;
            }
        }

        foreach (string word in words)
        {
            if (s_toolWords.Contains(word.ToLowerInvariant()))
            {
                return tools[0];
            }
        }

        return null;
    }

    private static string CustomInput(SimulatorTool tool) =>
        tool.Name == "apply_patch" ? ApplyPatchInput : "example";

    /// <summary>
    /// A freeform tool seen through a dialect without them: godex declares a custom tool on the Anthropic wire as a
    /// function whose only property is the string <c>input</c>. Its argument is what the freeform tool would get.
    /// </summary>
    private static bool IsWrappedCustomTool(SimulatorTool tool)
    {
        if (tool.Parameters is not { ValueKind: JsonValueKind.Object } schema
            || !schema.TryGetProperty("properties", out JsonElement properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        int count = 0;
        bool input = false;
        foreach (JsonProperty property in properties.EnumerateObject())
        {
            count++;
            input = property.NameEquals("input") && TypeOf(property.Value) == "string";
        }

        return count == 1 && input;
    }

    private static string WrapInput(string input)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("input", input);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonElement? schema, string prompt)
    {
        writer.WriteStartObject();
        if (schema is { ValueKind: JsonValueKind.Object } s
            && s.TryGetProperty("required", out JsonElement required) && required.ValueKind == JsonValueKind.Array
            && s.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonElement name in required.EnumerateArray())
            {
                string? propertyName = name.GetString();
                if (propertyName is not null && properties.TryGetProperty(propertyName, out JsonElement property))
                {
                    writer.WritePropertyName(propertyName);
                    WriteValue(writer, propertyName, property, prompt);
                }
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, string name, JsonElement schema, string prompt)
    {
        if (schema.TryGetProperty("enum", out JsonElement values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
        {
            values[0].WriteTo(writer);
            return;
        }

        switch (TypeOf(schema))
        {
            case "integer" or "number":
                writer.WriteNumberValue(1);
                break;
            case "boolean":
                writer.WriteBooleanValue(true);
                break;
            case "object":
                WriteObject(writer, schema, prompt);
                break;
            case "array":
                writer.WriteStartArray();
                if (schema.TryGetProperty("items", out JsonElement items) && TypeOf(items) == "string")
                {
                    writer.WriteStringValue(StringFor(name, prompt));
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(StringFor(name, prompt));
                break;
        }
    }

    // "type" may be a list such as ["string", "null"]: the first non-null entry is the one to honour.
    private static string TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out JsonElement type))
        {
            return "string";
        }

        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement entry in type.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.String && entry.GetString() is { } value && value != "null")
                {
                    return value;
                }
            }
        }

        return type.ValueKind == JsonValueKind.String ? type.GetString() ?? "string" : "string";
    }

    private static string StringFor(string name, string prompt)
    {
        switch (name.ToLowerInvariant())
        {
            case "command" or "cmd":
                int open = prompt.IndexOf('`', StringComparison.Ordinal);
                int close = open < 0 ? -1 : prompt.IndexOf('`', open + 1);
                return close > open + 1 ? prompt[(open + 1)..close] : "echo hello from godex simulator";
            case "city" or "location":
                return "Paris";
            default:
                return "example";
        }
    }

    private static List<string> SplitChunks(string text, int size)
    {
        var chunks = new List<string>();
        for (int i = 0; i < text.Length; i += size)
        {
            chunks.Add(text.Substring(i, Math.Min(size, text.Length - i)));
        }

        return chunks;
    }
}
