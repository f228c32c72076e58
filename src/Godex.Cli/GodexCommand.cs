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
        root.Subcommands.Add(ConfigCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(SetupCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs. Parse errors print one line naming the problem, a close match of an unknown word when there is
    /// one, and the help of the full command path (<c>see 'godex proxy keys add --help'</c>), then exit 2 (the
    /// original's usage code), rather than System.CommandLine's default of 1 with the whole help text.
    /// </summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, InvocationConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !IsHelpOrVersion(parse))
        {
            Command command = parse.CommandResult.Command;
            // The unknown word is the most useful thing to name ("serve", "--lisen"), more than "command required".
            ParseError error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))) ?? parse.Errors[0];
            string? unknown = parse.UnmatchedTokens.FirstOrDefault(t => error.Message.Contains(t, StringComparison.Ordinal));
            string? suggestion = unknown is null ? null : ClosestMatch(unknown, command);
            string hint = suggestion is null ? "" : $" Did you mean '{suggestion}'?";
            await configuration.Error.WriteLineAsync($"error: {error.Message}{hint} (see '{CommandPath(parse.CommandResult)} --help')");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary><c>godex proxy keys add</c>: the names from the root down to the parsed command.</summary>
    internal static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult { Command: var command })
            {
                names.Add(command is RootCommand ? "godex" : command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The subcommand or option of <paramref name="command"/> (its own and recursive ones) closest to a mistyped word, if any is close.</summary>
    internal static string? ClosestMatch(string word, Command command)
    {
        IEnumerable<string> candidates = word.StartsWith('-')
            ? command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options).Where(o => o.Recursive)).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            int distance = Distance(word, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        // Close means a typo or two (by the word's length), or the start of the name ("--lis" for "--listen").
        int allowed = Math.Max(1, Math.Min(3, word.TrimStart('-').Length / 3));
        return best is not null && (bestDistance <= allowed || (word.TrimStart('-').Length >= 3 && best.StartsWith(word, StringComparison.Ordinal))) ? best : null;
    }

    /// <summary>
    /// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours (optimal string
    /// alignment: <c>exce</c> is one edit from <c>exec</c>), for suggestions on short words.
    /// </summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(d[i - 1, j - 1] + cost, Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static bool IsHelpOrVersion(ParseResult parse) =>
        parse.Action is System.CommandLine.Help.HelpAction || parse.Action?.GetType().Name == "VersionOptionAction";
}
