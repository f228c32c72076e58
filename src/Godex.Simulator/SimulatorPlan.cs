namespace Godex.Simulator;

/// <summary>
/// What a simulated turn says, independent of the wire dialect. <see cref="TextDeltas"/> before a tool call is a
/// short lead-in ("I'll call X."): the Anthropic endpoint streams it as a text block, as Claude does; the Codex
/// endpoint drops it, as the real backend streams reasoning then the call.
/// </summary>
internal sealed record SimulatorPlan
{
    public required IReadOnlyList<string> ReasoningDeltas { get; init; }

    public required IReadOnlyList<string> TextDeltas { get; init; }

    public SimulatorToolCall? ToolCall { get; init; }

    public required SimulatorStop Stop { get; init; }

    public required int InputTokens { get; init; }

    public int ReasoningTokens => ReasoningDeltas.Count;

    public int OutputTokens => ReasoningDeltas.Count + TextDeltas.Count + (ToolCall?.InputDeltas.Count ?? 0);

    public string Text => string.Concat(TextDeltas);

    public string Reasoning => string.Concat(ReasoningDeltas);
}
