using System.CommandLine;
using System.Text;
using Godex.Core.Configuration;

namespace Godex.Cli.Commands;

/// <summary><c>godex config init</c>: a commented config file with every key at its default.</summary>
internal static class ConfigCommand
{
    private static readonly Option<bool> s_force = new("--force") { Description = "Overwrite an existing file" };

    public static Command Create()
    {
        var init = new Command("init", "Write a config file (--config PATH, $GODEX_CONFIG, else ~/.config/godex/config.yaml) listing every key with its default, commented out") { s_force };
        init.SetAction(InitAsync);
        var path = new Command("path", "Print the config file godex reads");
        path.SetAction(async parse =>
        {
            (string file, _) = ConfigLoader.ResolvePath(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable);
            await parse.InvocationConfiguration.Output.WriteLineAsync(file);
            return ExitCodes.Success;
        });
        return new Command("config", "The config file") { init, path };
    }

    private static async Task<int> InitAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        (string file, _) = ConfigLoader.ResolvePath(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable);
        if (File.Exists(file) && !parse.GetValue(s_force))
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {file} exists already; --force overwrites it");
            return ExitCodes.Failure;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, CommentedTemplate(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken);
        await parse.InvocationConfiguration.Output.WriteLineAsync($"wrote {file}: every key with its default, commented out; uncomment (with its section lines) what you change");
        return ExitCodes.Success;
    }

    /// <summary>
    /// docs/config.template.yaml (embedded at build time) with every setting commented out: the file documents every
    /// key, yet sets none, so later versions' defaults still apply to what the user did not choose.
    /// </summary>
    internal static string CommentedTemplate()
    {
        using Stream stream = typeof(ConfigCommand).Assembly.GetManifestResourceStream("config.template.yaml")
            ?? throw new InvalidOperationException("config.template.yaml is not embedded in this build");
        using var reader = new StreamReader(stream);
        var text = new StringBuilder();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            text.Append(line.Length == 0 || line.TrimStart().StartsWith('#') ? line : "# " + line).Append('\n');
        }

        return text.ToString();
    }
}
