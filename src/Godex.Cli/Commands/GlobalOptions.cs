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

    /// <summary>
    /// A bool flag's value when it was given on the command line, else <paramref name="fallback"/> (the config file
    /// and environment). System.CommandLine gives an absent bool option an implicit <c>false</c> result; taking that
    /// would silently override <c>exec.mock: true</c> or <c>proxy.payments.enabled: true</c> from the config.
    /// </summary>
    public static bool Switch(ParseResult parse, Option<bool> option, bool fallback) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : fallback;
}
