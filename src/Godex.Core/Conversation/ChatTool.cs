using System.Text.Json;

namespace Godex.Core.Conversation;

/// <summary>A tool the model may call.</summary>
public sealed record ChatTool(string Name)
{
    public string? Description { get; init; }

    /// <summary>The JSON schema of a function tool's arguments.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>OpenAI structured-arguments flag, where the client set it.</summary>
    public bool? Strict { get; init; }

    public ToolCallKind Kind { get; init; } = ToolCallKind.Function;

    /// <summary>A custom tool's input format (<c>{"type":"grammar",...}</c>), kept verbatim.</summary>
    public JsonElement? Format { get; init; }
}

/// <summary>
/// A tool the upstream runs itself (web search, ...). <see cref="Type"/> is the dialect-neutral name
/// (<c>web_search</c>); <see cref="Raw"/> is the client's JSON, for same-dialect upstreams.
/// </summary>
public sealed record HostedTool(string Type)
{
    public JsonElement? Raw { get; init; }
}

/// <summary>How the model must use tools.</summary>
public enum ToolChoiceMode
{
    Auto,
    None,
    Required,
    Named,
}

/// <summary>The client's tool choice: a mode, and for <see cref="ToolChoiceMode.Named"/> the tool's name.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Name = null)
{
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);
    public static ToolChoice None { get; } = new(ToolChoiceMode.None);
    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required);
}
