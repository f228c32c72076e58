using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// A parsed <c>POST /v1/responses</c> body. <see cref="Input"/> keeps the client's items as JSON (validated), because
/// the conversation is only complete once <see cref="PreviousResponseId"/> has been expanded from the store; the
/// echo fields (<see cref="ToolsJson"/>, <see cref="TextJson"/>, ...) are what the response object repeats back.
/// </summary>
internal sealed record ResponsesRequest
{
    public required string Model { get; init; }

    /// <summary>The new input items (a string input is one user message item); validated, detached from the body.</summary>
    public required IReadOnlyList<JsonElement> Input { get; init; }

    public string? Instructions { get; init; }

    public string? PreviousResponseId { get; init; }

    /// <summary><c>store</c>; the API's default is true.</summary>
    public bool Store { get; init; } = true;

    public bool Stream { get; init; }

    public IReadOnlyList<ChatTool> Tools { get; init; } = [];

    public IReadOnlyList<HostedTool> HostedTools { get; init; } = [];

    public ToolChoice? ToolChoice { get; init; }

    public bool? ParallelToolCalls { get; init; }

    public ReasoningOptions? Reasoning { get; init; }

    public ResponseFormat? ResponseFormat { get; init; }

    public string? Verbosity { get; init; }

    public int? MaxOutputTokens { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public string? User { get; init; }

    public string? PromptCacheKey { get; init; }

    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>The client's <c>tools</c> array, echoed in the response object.</summary>
    public JsonElement? ToolsJson { get; init; }

    /// <summary>The client's <c>tool_choice</c>, echoed.</summary>
    public JsonElement? ToolChoiceJson { get; init; }

    /// <summary>The client's <c>text</c> object, echoed.</summary>
    public JsonElement? TextJson { get; init; }

    /// <summary>The client's <c>metadata</c> object, echoed.</summary>
    public JsonElement? Metadata { get; init; }
}
