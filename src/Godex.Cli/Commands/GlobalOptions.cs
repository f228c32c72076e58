using System.CommandLine;

namespace Godex.Cli.Commands;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    /// <summary><c>--config PATH</c>, accepted in any position by every command.</summary>
    public static Option<string?> Config { get; } = new("--config")
    {
        Description = "Config file (default: $GODEX_CONFIG, else ~/.config/godex/config.yaml)",
        Recursive = true,
        HelpName = "path",
    };
}
