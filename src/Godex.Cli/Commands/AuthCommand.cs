using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Godex.Composition;
using Godex.Core.Configuration;

namespace Godex.Cli.Commands;

/// <summary><c>godex auth status|setup</c>: which logins godex can use. Never prints a token.</summary>
internal static class AuthCommand
{
    private static readonly Option<bool> s_yes = new("--yes", "-y") { Description = "Run the vendor login commands without asking" };

    public static Command Create()
    {
        var status = new Command("status", "Show the Codex and Anthropic logins godex would use: path, mode, expiry, plan (no tokens)") { s_json };
        status.SetAction(StatusAsync);
        var setup = new Command("setup", "Guide through the missing logins: runs `codex login` / `claude` when they are on PATH") { s_yes };
        setup.SetAction(SetupAsync);
        var command = new Command("auth", "Show or set up the Codex and Claude logins (no subcommand: status)") { status, setup, s_json };
        command.SetAction(StatusAsync);
        return command;
    }

    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON" };

    private static async Task<int> StatusAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (!TryLoad(parse, out GodexOptions? options, out int exit))
        {
            return exit;
        }

        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        if (parse.GetValue(s_json))
        {
            await StateCommand.WriteJsonAsync(parse.InvocationConfiguration.Output, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("logins");
                foreach (LoginStatus login in new[] { LoginFiles.ReadCodex(options.Proxy.Backends.Codex), LoginFiles.ReadAnthropic(options.Proxy.Backends.Anthropic) })
                {
                    w.WriteStartObject();
                    w.WriteString("backend", login.Backend.ToLowerInvariant());
                    w.WriteString("state", login.State(now));
                    w.WriteString("path", login.Path);
                    w.WriteString("mode", login.Mode);
                    if (login.ExpiresAt is { } expires)
                    {
                        w.WriteString("expires_at", expires);
                    }
                    else
                    {
                        w.WriteNull("expires_at");
                    }

                    w.WriteString("plan", login.Plan);
                    w.WriteBoolean("refresh_token", login.CanRefresh);
                    w.WriteString("problem", login.Problem);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        await WriteStatusAsync(parse.InvocationConfiguration.Output, options, now);
        return ExitCodes.Success;
    }

    internal static async Task WriteStatusAsync(TextWriter output, GodexOptions options, DateTimeOffset now)
    {
        await output.WriteLineAsync("godex logins");
        foreach (LoginStatus status in new[] { LoginFiles.ReadCodex(options.Proxy.Backends.Codex), LoginFiles.ReadAnthropic(options.Proxy.Backends.Anthropic) })
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{status.Backend + ":",-11}{status.State(now)}");
            await output.WriteLineAsync($"  Path:    {status.Path}");
            if (status.Mode is not null)
            {
                await output.WriteLineAsync($"  Mode:    {status.Mode}");
            }

            if (status.ExpiresAt is { } expires)
            {
                string when = expires.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
                string note = status.Expired(now)
                    ? status.CanRefresh ? " (expired; godex refreshes it with the refresh token)" : " (expired; log in again)"
                    : "";
                await output.WriteLineAsync($"  Expires: {when}{note}");
            }

            if (status.Plan is not null)
            {
                await output.WriteLineAsync($"  Plan:    {status.Plan}");
            }

            if (status.Problem is not null)
            {
                await output.WriteLineAsync($"  Error:   {status.Problem}");
            }
        }
    }

    private static async Task<int> SetupAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        if (!TryLoad(parse, out GodexOptions? options, out int exit))
        {
            return exit;
        }

        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        bool yes = parse.GetValue(s_yes);
        (LoginStatus Status, string Tool, string[] Args, string How)[] steps =
        [
            (LoginFiles.ReadCodex(options.Proxy.Backends.Codex), "codex", ["login"], "install the Codex CLI (npm install -g @openai/codex), then run `codex login`"),
            (LoginFiles.ReadAnthropic(options.Proxy.Backends.Anthropic), "claude", [], "install Claude Code (npm install -g @anthropic-ai/claude-code), run `claude` and log in; or set $ANTHROPIC_API_KEY"),
        ];
        foreach ((LoginStatus status, string tool, string[] args, string how) in steps)
        {
            if (status.Configured && !status.Expired(now))
            {
                await output.WriteLineAsync($"{status.Backend}: configured ({status.Path})");
                continue;
            }

            string? executable = FindOnPath(tool);
            if (executable is null)
            {
                await output.WriteLineAsync($"{status.Backend}: not configured. To set it up: {how}.");
                continue;
            }

            string commandLine = string.Join(' ', [tool, .. args]);
            if (!yes)
            {
                await output.WriteAsync($"{status.Backend}: not configured. Run `{commandLine}` now? [y/N] ");
                string? answer = Console.IsInputRedirected ? null : await Console.In.ReadLineAsync(cancellationToken);
                if (!string.Equals(answer?.Trim(), "y", StringComparison.OrdinalIgnoreCase))
                {
                    await output.WriteLineAsync($"  skipped; run `{commandLine}` yourself later.");
                    continue;
                }
            }

            using Process? process = Process.Start(new ProcessStartInfo(executable, args) { UseShellExecute = false });
            if (process is not null)
            {
                await process.WaitForExitAsync(cancellationToken);
            }
        }

        await output.WriteLineAsync();
        await WriteStatusAsync(output, options, TimeProvider.System.GetUtcNow());
        return ExitCodes.Success;
    }

    internal static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string candidate in OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd" } : [name])
            {
                string path = Path.Combine(dir, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    internal static bool TryLoad(ParseResult parse, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GodexOptions? options, out int exitCode)
    {
        try
        {
            options = GlobalOptions.LoadConfig(parse);
            exitCode = ExitCodes.Success;
            return true;
        }
        catch (ConfigException ex)
        {
            parse.InvocationConfiguration.Error.WriteLine("error: " + ex.Message);
            options = null;
            exitCode = ExitCodes.Usage;
            return false;
        }
    }
}
