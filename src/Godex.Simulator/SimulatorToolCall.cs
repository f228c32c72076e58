namespace Godex.Simulator;

/// <summary>A planned tool call: <paramref name="Input"/> is JSON arguments, or raw text for a custom tool.</summary>
internal sealed record SimulatorToolCall(string Name, bool IsCustom, string Input, IReadOnlyList<string> InputDeltas);
