using System.Text;
using System.Text.Json;

namespace Godex.Simulator;

/// <summary>
/// The facts the script needs, read from a request in any of the three dialects (facets
/// <c>SimulatorRequest.Responses.cs</c>, <c>.Anthropic.cs</c>, <c>.Chat.cs</c>). Holds no JSON: parsing ends here.
/// </summary>
internal sealed partial record SimulatorRequest
{
    public required string Model { get; init; }

    /// <summary>Text of the last user message, directives included.</summary>
    public required string Prompt { get; init; }

    /// <summary>Set when the conversation ends with a tool result rather than a user message.</summary>
    public SimulatorToolResult? ToolResult { get; init; }

    public IReadOnlyList<SimulatorTool> Tools { get; init; } = [];

    /// <summary>Reasoning (Responses) or extended thinking (Anthropic) was asked for.</summary>
    public bool Reasoning { get; init; }

    /// <summary>Bytes of the request body; the usage estimate counts 4 per token.</summary>
    public int BodyLength { get; init; }

    /// <summary>
    /// The JSON schema the answer must follow (Codex <c>text.format</c>, Anthropic <c>output_config.format</c> or
    /// <c>output_format</c>); an empty object schema for <c>json_object</c>.
    /// </summary>
    public JsonElement? OutputSchema { get; init; }

    /// <summary>Output token cap (Anthropic <c>max_tokens</c>, chat <c>max_tokens</c>/<c>max_completion_tokens</c>).</summary>
    public int? MaxTokens { get; init; }

    private static string GetString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? string.Empty
            : string.Empty;

    /// <summary>Text of a content value: a string, or the concatenated <c>text</c> of a part list.</summary>
    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? string.Empty;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (JsonElement part in content.EnumerateArray())
        {
            text.Append(GetString(part, "text"));
        }

        return text.ToString();
    }

    /// <summary>
    /// Text of the last text part only: Claude Code puts <c>&lt;system-reminder&gt;</c> blocks before the prompt in
    /// the same message, and echoing those back would bury the answer.
    /// </summary>
    private static string LastTextOf(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Array)
        {
            return TextOf(content);
        }

        string last = string.Empty;
        foreach (JsonElement part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out JsonElement text) && text.ValueKind == JsonValueKind.String)
            {
                last = text.GetString() ?? string.Empty;
            }
        }

        return last;
    }

    private static int? GetInt(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : null;
}
