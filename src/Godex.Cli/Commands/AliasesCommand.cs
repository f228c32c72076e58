using System.CommandLine;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Routing;
using Microsoft.Extensions.Logging;

namespace Godex.Cli.Commands;

/// <summary><c>godex aliases list|update</c>: the alias table, and refreshing it from live model discovery.</summary>
internal static class AliasesCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON" };
    private static readonly Option<bool> s_dryRun = new("--dry-run") { Description = "Show what would change without writing the config file" };

    public static Command Create()
    {
        var list = new Command("list", "Print the aliases in effect (config routing.aliases over the built-ins)") { s_json };
        list.SetAction(ListAsync);
        var update = new Command("update", "Point each alias family (opus, sonnet, haiku, codex, gpt, ...) at the newest discovered model and rewrite routing.aliases in the config file, keeping comments") { s_dryRun };
        update.SetAction(UpdateAsync);
        var command = new Command("aliases", "List or update model aliases (no subcommand: list)") { list, update, s_json };
        command.SetAction(ListAsync);
        return command;
    }

    private static async Task<int> ListAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (!AuthCommand.TryLoad(parse, out GodexOptions? options, out int exit))
        {
            return exit;
        }

        TextWriter output = parse.InvocationConfiguration.Output;
        var router = new ModelRouter([], options.Routing);
        if (parse.GetValue(s_json))
        {
            await StateCommand.WriteJsonAsync(output, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("aliases");
                foreach ((string alias, string target) in router.Aliases.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
                {
                    w.WriteStartObject();
                    w.WriteString("alias", alias);
                    w.WriteString("model", target);
                    w.WriteBoolean("built_in", !options.Routing.Aliases.ContainsKey(alias));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        foreach ((string alias, string target) in router.Aliases.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            string origin = options.Routing.Aliases.ContainsKey(alias) ? "" : "  (built-in)";
            await output.WriteLineAsync($"{AliasesRules.Pad(alias)} → {target}{origin}");
        }

        return ExitCodes.Success;
    }

    private static async Task<int> UpdateAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        if (!AuthCommand.TryLoad(parse, out GodexOptions? options, out int exit))
        {
            return exit;
        }

        (string path, _) = ConfigLoader.ResolvePath(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable);
        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"error: no config file at {path}: create one with a routing.aliases section (see docs/config.template.yaml)");
            return ExitCodes.Failure;
        }

        string yaml = await File.ReadAllTextAsync(path, cancellationToken);
        var models = new List<ModelInfo>();
        await using (ExecBackends backends = await ExecBackends.CreateAsync(options, error, LogLevel.Warning, cancellationToken))
        {
            if (backends.Simulated)
            {
                await error.WriteLineAsync("error: model discovery needs a Codex or Claude login (the simulator's models are not real); run `godex auth setup`");
                return ExitCodes.Failure;
            }

            foreach (IChatBackend backend in backends.Router.Backends)
            {
                try
                {
                    models.AddRange(await backend.ListModelsAsync(cancellationToken));
                }
                catch (HttpRequestException ex)
                {
                    await error.WriteLineAsync($"warning: {backend.Name}: model discovery failed: {ex.Message}");
                }
            }
        }

        var router = new ModelRouter([], options.Routing);
        var updates = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (AliasesRules.Rule rule in AliasesRules.Defaults)
        {
            string current = router.ExpandAlias(rule.Alias);
            ModelInfo? newest = AliasesRules.Newest(rule, models);
            if (newest is null)
            {
                await output.WriteLineAsync($"   {AliasesRules.Pad(rule.Alias)} {current} (no {rule.Backend} model matches {rule.Prefix}*{rule.Suffix}; unchanged)");
                continue;
            }

            if (string.Equals(current, newest.Id, StringComparison.OrdinalIgnoreCase) && options.Routing.Aliases.ContainsKey(rule.Alias))
            {
                await output.WriteLineAsync($"   {AliasesRules.Pad(rule.Alias)} {current} (unchanged)");
                continue;
            }

            updates[rule.Alias] = newest.Id;
            await output.WriteLineAsync($"✅ {AliasesRules.Pad(rule.Alias)} {current} → {AliasesRules.Describe(newest)}");
        }

        if (updates.Count == 0)
        {
            await output.WriteLineAsync("All aliases are up to date.");
            return ExitCodes.Success;
        }

        string rewritten;
        try
        {
            rewritten = AliasesRules.RewriteAliases(yaml, updates);
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"error: {path}: {ex.Message}");
            return ExitCodes.Failure;
        }

        if (parse.GetValue(s_dryRun))
        {
            await output.WriteLineAsync("(dry run: no changes written)");
            return ExitCodes.Success;
        }

        await File.WriteAllTextAsync(path, rewritten, AliasesRules.Utf8NoBom, cancellationToken);
        await output.WriteLineAsync($"✅ Config updated: {path}");
        return ExitCodes.Success;
    }
}
