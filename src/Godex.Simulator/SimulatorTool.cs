using System.Text.Json;

namespace Godex.Simulator;

/// <summary>A tool offered by the client: a JSON-schema function, or a free-form <c>custom</c> tool (Codex apply_patch).</summary>
internal sealed record SimulatorTool(string Name, bool IsCustom, JsonElement? Parameters);
