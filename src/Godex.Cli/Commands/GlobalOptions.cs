using System.CommandLine;
using Godex.Core.Configuration;

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

    /// <summary>
    /// The layered configuration (<c>--config</c>, environment), with its warnings (unknown keys, settings not
    /// supported yet, both routing layouts) printed on stderr as <c>warning: ...</c> lines: every command shows them,
    /// so a key that does nothing never goes unnoticed. Throws <see cref="ConfigException"/> on a bad value.
    /// </summary>
    public static GodexOptions LoadConfig(ParseResult parse)
    {
        var warnings = new List<string>();
        GodexOptions options = ConfigLoader.Load(parse.GetValue(Config), Environment.GetEnvironmentVariable, warnings);
        foreach (string warning in warnings)
        {
            parse.InvocationConfiguration.Error.WriteLine("warning: " + warning);
        }

        return options;
    }
}
