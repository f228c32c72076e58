using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Cli.Setup;
using Godex.Core.Configuration;
using Godex.Core.Routing;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex setup codex|claude</c>: the client configuration that sends the Codex CLI or Claude Code through godex
/// (docs/quickstart.md), printed; with <c>--write</c>, merged into the client's own file after printing the diff.
/// Only godex's part of the file changes; a secret key is never written into the Codex config (it is read from an
/// environment variable there).
/// </summary>
internal static class SetupCommand
{
    private const string Begin = "# >>> godex (written by `godex setup codex`; `godex setup codex --write` updates it)";
    private const string End = "# <<< godex";

    private static readonly Option<bool> s_write = new("--write") { Description = "Write the configuration into the client's file (after printing the diff)" };
    private static readonly Option<string?> s_url = new("--url") { Description = "godex's base URL (default: http:// + proxy.listen)", HelpName = "url" };
    private static readonly Option<string?> s_key = new("--key") { Description = "The client key the proxy requires, if any (default $GODEX_API_KEY, else proxy.api_key)", HelpName = "key" };
    private static readonly Option<string?> s_file = new("--file") { Description = "The file to write (codex: $CODEX_HOME/config.toml or ~/.codex/config.toml; claude: $CLAUDE_CONFIG_DIR/settings.json or ~/.claude/settings.json)", HelpName = "path" };
    private static readonly Option<string?> s_model = new("--model") { Description = "The client's default model (codex: default proxy.model)", HelpName = "model" };
    private static readonly Option<string?> s_codexBinary = new("--codex-binary") { Description = "The Codex CLI binary whose built-in model metadata the model catalog copies (default: codex on PATH)", HelpName = "path" };

    public static Command Create()
    {
        var codex = new Command("codex", "The Codex CLI through godex: a model provider with wire_api = \"responses\" and a model catalog that offers apply_patch to every model") { s_write, s_url, s_key, s_file, s_model, s_codexBinary };
        codex.SetAction(CodexAsync);
        var claude = new Command("claude", "Claude Code through godex: ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN in its settings.json env") { s_write, s_url, s_key, s_file };
        claude.SetAction(ClaudeAsync);
        return new Command("setup", "Print (or --write) the configuration that sends a coding agent through godex") { codex, claude };
    }

    /// <summary>What both clients' configurations need: the config, godex's base URL and the client key, if any.</summary>
    private sealed record Context(GodexOptions Options, string Url, string? Key);

    /// <summary>The context, or null after printing the usage error (config, --url) on stderr.</summary>
    private static async Task<Context?> LoadAsync(ParseResult parse)
    {
        TextWriter error = parse.InvocationConfiguration.Error;
        GodexOptions options;
        try
        {
            options = GlobalOptions.LoadConfig(parse);
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return null;
        }

        string listen = options.Proxy.Listen.Replace("0.0.0.0:", "127.0.0.1:", StringComparison.Ordinal).Replace("[::]:", "[::1]:", StringComparison.Ordinal);
        string url = (parse.GetValue(s_url) ?? "http://" + listen).TrimEnd('/');
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? parsed) || parsed.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"error: --url '{parse.GetValue(s_url)}': expected an http(s) URL");
            return null;
        }

        return new Context(options, url, parse.GetValue(s_key) ?? Environment.GetEnvironmentVariable("GODEX_API_KEY") ?? options.Proxy.ApiKey);
    }

    private static async Task<int> CodexAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        if (await LoadAsync(parse) is not (var options, var url, var key))
        {
            return ExitCodes.Usage;
        }

        string home = Environment.GetEnvironmentVariable("CODEX_HOME") is { Length: > 0 } codexHome
            ? codexHome
            : Path.Combine(UserHome.Directory, ".codex");
        string file = parse.GetValue(s_file) ?? Path.Combine(home, "config.toml");
        string catalogPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "godex-models.json");

        // Every name a user may pick in Codex: the models of both backends and the aliases (claude-* and sonnet alike).
        var router = new ModelRouter([], options.Routing);
        List<string> models = [.. options.Proxy.Backends.Codex.Models, .. options.Proxy.Backends.Anthropic.Models, .. router.Aliases.Keys.Order(StringComparer.Ordinal)];
        string? catalog = null;
        string? catalogProblem;
        if (CodexModelCatalog.FindBinary(parse.GetValue(s_codexBinary)) is { } binary)
        {
            catalog = CodexModelCatalog.Build(binary, models, out catalogProblem);
        }
        else
        {
            catalogProblem = "the Codex CLI is not on PATH (npm install -g @openai/codex), so no model catalog could be made";
        }

        string model = parse.GetValue(s_model) ?? options.Proxy.Model;
        string top = string.Join('\n',
            Begin,
            $"model = \"{model}\"",
            "model_provider = \"godex\"",
            catalog is null ? "# model_catalog_json: see `godex setup codex` (it needs the Codex CLI installed)" : $"model_catalog_json = \"{catalogPath}\"",
            End);
        string table = string.Join('\n',
            Begin,
            "[model_providers.godex]",
            "name = \"godex\"",
            $"base_url = \"{url}/v1\"          # Codex POSTs {{base_url}}/responses",
            "wire_api = \"responses\"",
            key is null ? "# env_key = \"GODEX_API_KEY\"   # when the proxy requires a client key (--api-key, godex proxy keys add)" : "env_key = \"GODEX_API_KEY\"     # sent as Authorization: Bearer $GODEX_API_KEY",
            End);

        if (!parse.GetValue(s_write))
        {
            await output.WriteLineAsync($"# {file}: the first block before any [table], the second anywhere after");
            await output.WriteLineAsync(top);
            await output.WriteLineAsync();
            await output.WriteLineAsync(table);
            await output.WriteLineAsync();
            await output.WriteLineAsync(catalog is null
                ? $"# note: {catalogProblem}; without it Codex offers apply_patch only to the GPT models it knows."
                : $"# {catalogPath}: metadata for {models.Count} model names, copied from Codex's {CodexModelCatalog.TemplateSlug} (--write writes it).");
            if (key is not null)
            {
                await output.WriteLineAsync("# and in the shell that runs codex: export GODEX_API_KEY=<your godex client key>");
            }

            return ExitCodes.Success;
        }

        string before = File.Exists(file) ? (await File.ReadAllTextAsync(file, cancellationToken)).Replace("\r\n", "\n", StringComparison.Ordinal) : "";
        string after;
        try
        {
            after = MergeCodexConfig(before, top, table);
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"error: {file}: {ex.Message}");
            return ExitCodes.Failure;
        }

        await WriteWithDiffAsync(output, file, before, after, cancellationToken);
        if (catalog is not null)
        {
            await File.WriteAllTextAsync(catalogPath, catalog, cancellationToken);
            await output.WriteLineAsync($"wrote {catalogPath} ({models.Count} models)");
        }
        else
        {
            await error.WriteLineAsync($"warning: {catalogProblem}; without it Codex offers apply_patch only to the GPT models it knows");
        }

        if (key is not null)
        {
            await output.WriteLineAsync("Codex reads the client key from $GODEX_API_KEY: export GODEX_API_KEY=<your godex client key>");
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// godex's two blocks put into a Codex config.toml: the top-level keys before the first table (TOML puts every key
    /// after a table header into that table), the provider table at the end. An earlier godex block is replaced;
    /// top-level <c>model</c>, <c>model_provider</c>, <c>model_catalog_json</c> of the user's are commented out, as a
    /// second definition would make the file invalid; a <c>[model_providers.godex]</c> of the user's is refused.
    /// </summary>
    internal static string MergeCodexConfig(string existing, string top, string table)
    {
        var lines = new List<string>();
        bool inBlock = false;
        bool afterBlock = false;
        bool inTable = false;
        foreach (string line in existing.Length == 0 ? [] : existing.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# >>> godex", StringComparison.Ordinal))
            {
                inBlock = true;
                continue;
            }

            if (inBlock)
            {
                inBlock = !line.StartsWith(End, StringComparison.Ordinal);
                afterBlock = !inBlock;
                continue;
            }

            if (afterBlock && line.Length == 0)
            {
                afterBlock = false;
                continue; // the blank line written after the block
            }

            afterBlock = false;

            string trimmed = line.TrimStart();
            if (trimmed.StartsWith('['))
            {
                inTable = true;
                if (trimmed.StartsWith("[model_providers.godex]", StringComparison.Ordinal))
                {
                    throw new FormatException("it has a [model_providers.godex] table of its own: remove or rename it, then run this again");
                }
            }

            string key = trimmed.Split('=', 2)[0].Trim();
            lines.Add(!inTable && key is "model" or "model_provider" or "model_catalog_json" && trimmed.Contains('=', StringComparison.Ordinal)
                ? "# (godex setup) " + line
                : line);
        }

        int firstTable = lines.FindIndex(l => l.TrimStart().StartsWith('['));
        if (firstTable < 0)
        {
            firstTable = lines.Count;
        }

        var merged = new List<string>(lines[..firstTable]);
        merged.AddRange(top.Split('\n'));
        merged.Add("");
        merged.AddRange(lines[firstTable..]);
        while (merged.Count > 0 && merged[^1].Length == 0)
        {
            merged.RemoveAt(merged.Count - 1);
        }

        merged.Add("");
        merged.AddRange(table.Split('\n'));
        return string.Join('\n', merged) + "\n";
    }

    private static async Task<int> ClaudeAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        if (await LoadAsync(parse) is not (_, var url, var key))
        {
            return ExitCodes.Usage;
        }

        // Claude Code sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer (no API-key prompt); without a client key any
        // value does, since godex then accepts every local client and uses its own Claude login upstream.
        string token = key ?? "godex";
        string home = Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR") is { Length: > 0 } claudeHome
            ? claudeHome
            : Path.Combine(UserHome.Directory, ".claude");
        string file = parse.GetValue(s_file) ?? Path.Combine(home, "settings.json");
        if (!parse.GetValue(s_write))
        {
            await output.WriteLineAsync("# in the shell that runs claude:");
            await output.WriteLineAsync($"export ANTHROPIC_BASE_URL={url}");
            await output.WriteLineAsync($"export ANTHROPIC_AUTH_TOKEN={token}");
            await output.WriteLineAsync();
            await output.WriteLineAsync($"# or for every session, in {file} (--write merges it there):");
            await output.WriteLineAsync(ClaudeSettings("{}", url, token).TrimEnd('\n'));
            return ExitCodes.Success;
        }

        string before = File.Exists(file) ? await File.ReadAllTextAsync(file, cancellationToken) : "";
        string after;
        try
        {
            after = ClaudeSettings(before.Length == 0 ? "{}" : before, url, token);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            await error.WriteLineAsync($"error: {file}: not a JSON object ({ex.Message}); fix it, or set the two variables in the shell instead");
            return ExitCodes.Failure;
        }

        await WriteWithDiffAsync(output, file, before, after, cancellationToken);
        return ExitCodes.Success;
    }

    /// <summary>Claude Code's settings.json with <c>env.ANTHROPIC_BASE_URL</c> and <c>env.ANTHROPIC_AUTH_TOKEN</c> set; everything else kept.</summary>
    internal static string ClaudeSettings(string existing, string url, string token)
    {
        if (JsonNode.Parse(existing) is not JsonObject root)
        {
            throw new FormatException("the top level must be an object");
        }

        if (root["env"] is not JsonObject env)
        {
            env = [];
            root["env"] = env;
        }

        env["ANTHROPIC_BASE_URL"] = url;
        env["ANTHROPIC_AUTH_TOKEN"] = token;
        return root.ToJsonString(SetupJson.Indented) + "\n";
    }

    private static async Task WriteWithDiffAsync(TextWriter output, string file, string before, string after, CancellationToken cancellationToken)
    {
        if (before == after)
        {
            await output.WriteLineAsync($"{file} is up to date");
            return;
        }

        await output.WriteAsync(LineDiff.Format(file, before, after));
        string? directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        if (before.Length > 0)
        {
            await File.WriteAllTextAsync(file + ".bak", before, cancellationToken);
        }

        await File.WriteAllTextAsync(file, after, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken);
        await output.WriteLineAsync($"wrote {file}{(before.Length > 0 ? $" (the previous version is in {file}.bak)" : "")}");
    }
}
