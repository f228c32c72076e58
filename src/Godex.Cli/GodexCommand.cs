using System.CommandLine;
using System.CommandLine.Parsing;
using Godex.Cli.Commands;

namespace Godex.Cli;

/// <summary>The root command: every subcommand, and how a command line is run (<see cref="ExitCodes"/>).</summary>
internal static class GodexCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("godex: one local endpoint for every model you can use. Routes OpenAI and Anthropic API calls to the ChatGPT Codex backend, Anthropic, or the built-in simulator.")
        {
            GlobalOptions.Config,
        };
        root.Subcommands.Add(ExecCommand.Create());
        root.Subcommands.Add(ProxyCommand.Create());
        root.Subcommands.Add(AuthCommand.Create());
        root.Subcommands.Add(AccountsCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(AliasesCommand.Create());
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs. Parse errors print one line naming the problem and exit 2 (the original's usage code), rather
    /// than System.CommandLine's default of 1 with the whole help text.
    /// </summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, InvocationConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !IsHelpOrVersion(parse))
        {
            string command = parse.CommandResult.Command == root ? "godex" : "godex " + parse.CommandResult.Command.Name;
            // The unknown word is the most useful thing to name ("serve", "--lisen"), more than "command required".
            ParseError error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))) ?? parse.Errors[0];
            await configuration.Error.WriteLineAsync($"error: {error.Message} (see '{command} --help')");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(configuration, cancellationToken);
    }

    private static bool IsHelpOrVersion(ParseResult parse) =>
        parse.Action is System.CommandLine.Help.HelpAction || parse.Action?.GetType().Name == "VersionOptionAction";
}
