namespace Godex.Simulator;

/// <summary>The tool output the request ends with, and the name of the tool that produced it (looked up by call id).</summary>
internal sealed record SimulatorToolResult(string Name, string Output);
