namespace Godex.Core.Routing;

/// <summary>The aliases godex knows without configuration; <c>routing.aliases</c> entries win over these.</summary>
internal static class BuiltInAliases
{
    public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["sonnet"] = "claude-sonnet-4-5",
        ["opus"] = "claude-opus-4-5",
        ["haiku"] = "claude-haiku-4-5",
        ["sonnet45"] = "claude-sonnet-4-5",
        ["opus45"] = "claude-opus-4-5",
        ["gpt"] = "gpt-5.2",
        ["gpt-mini"] = "gpt-5-mini",
        ["codex"] = "gpt-5.3-codex",
        ["codex-mini"] = "gpt-5.1-codex-mini",
    };
}
