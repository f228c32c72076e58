namespace Godex.TestUtilities;

/// <summary>Text users of the original Go godex bring with them, verbatim.</summary>
public static class OriginalGodex
{
    /// <summary>The configuration block of the original's README (v0.5.1, "Configuration"), verbatim.</summary>
    public const string ReadmeConfig = """
        # ~/.config/godex/config.yaml
        proxy:
          backends:
            codex:
              enabled: true
            anthropic:
              enabled: true
            routing:
              default: codex
              patterns:
                anthropic: ["claude-", "sonnet", "opus", "haiku"]
                codex: ["gpt-", "o1-", "o3-"]
              aliases:
                sonnet: claude-sonnet-4-5-20250929
                opus: claude-opus-4-5
                haiku: claude-haiku-4-5

        """;
}
