namespace Godex.Core.Conversation;

/// <summary>A whole model turn, aggregated from the canonical stream for non-streaming clients.</summary>
public sealed record ChatResponse
{
    public required string Id { get; init; }
    public required string Model { get; init; }
    public string Text { get; init; } = "";
    public string? Refusal { get; init; }
    public IReadOnlyList<ReasoningPart> Reasoning { get; init; } = [];
    public IReadOnlyList<ToolCallPart> ToolCalls { get; init; } = [];
    public FinishReason FinishReason { get; init; } = FinishReason.Stop;
    public string? UpstreamReason { get; init; }
    public Usage Usage { get; init; } = Usage.Empty;
}
