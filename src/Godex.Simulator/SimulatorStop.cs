namespace Godex.Simulator;

/// <summary>Why the planned turn ends; each endpoint spells it in its own dialect.</summary>
internal enum SimulatorStop
{
    EndTurn,
    ToolUse,
    MaxTokens,
    Refusal,
}
