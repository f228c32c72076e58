using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Backends.Codex;
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

    /// <summary>One backend's login as the status screen shows it.</summary>
    internal sealed record LoginStatus(string Backend, bool Configured, string Path, string? Mode, DateTimeOffset? ExpiresAt, string? Plan, bool CanRefresh, string? Problem)
    {
        /// <summary>When the access token was issued (its JWT <c>iat</c>), where the login says so.</summary>
        public DateTimeOffset? IssuedAt { get; init; }

        public bool Expired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;

        /// <summary><c>not configured</c>, <c>expired</c> or <c>configured</c>.</summary>
        public string State(DateTimeOffset now) => !Configured ? "not configured" : Expired(now) ? "expired" : "configured";
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
                foreach (LoginStatus login in new[] { ReadCodex(options.Proxy.Backends.Codex), ReadAnthropic(options.Proxy.Backends.Anthropic) })
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
        foreach (LoginStatus status in new[] { ReadCodex(options.Proxy.Backends.Codex), ReadAnthropic(options.Proxy.Backends.Anthropic) })
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

    internal static LoginStatus ReadCodex(CodexBackendOptions options)
    {
        string path = CodexCredentialStore.ResolvePath(options);
        if (!File.Exists(path))
        {
            return new("Codex", false, path, null, null, null, false, "no login file; run `codex login` (or `godex auth setup`)");
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return new("Codex", false, path, null, null, null, false, "cannot read the login file: " + ex.Message);
        }

        if (root is null)
        {
            return new("Codex", false, path, null, null, null, false, "the login file is not a JSON object");
        }

        string? mode = Text(root["auth_mode"]);
        string? apiKey = Text(root["OPENAI_API_KEY"]);
        var tokens = root["tokens"] as JsonObject;
        string? access = Text(tokens?["access_token"]);
        string? refresh = Text(tokens?["refresh_token"]);
        if (string.Equals(mode, "api_key", StringComparison.OrdinalIgnoreCase) || (access is null && refresh is null && apiKey is not null))
        {
            return apiKey is null
                ? new("Codex", false, path, "API key", null, null, false, "auth_mode is api_key but OPENAI_API_KEY is empty")
                : new("Codex", true, path, "API key", null, null, false, null);
        }

        if (access is null)
        {
            return new("Codex", false, path, "ChatGPT login", null, null, refresh is not null, "no access token; run `codex login`");
        }

        JsonNode? idNode = tokens?["id_token"];
        string? idToken = idNode is JsonObject legacy ? Text(legacy["raw_jwt"]) : Text(idNode);
        string? plan = JwtClaims.NestedString(JwtClaims.TryReadPayload(idToken), "https://api.openai.com/auth", "chatgpt_plan_type");
        JsonObject? claims = JwtClaims.TryReadPayload(access);
        DateTimeOffset? issued = claims?["iat"] is JsonValue iat && iat.TryGetValue(out long iatSeconds) ? DateTimeOffset.FromUnixTimeSeconds(iatSeconds) : null;
        return new("Codex", true, path, "ChatGPT login", JwtClaims.ExpiresAt(claims), plan, refresh is not null, null) { IssuedAt = issued };
    }

    internal static LoginStatus ReadAnthropic(AnthropicBackendOptions options)
    {
        string path = ClaudeCredentialStore.ResolvePath(options);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return new("Anthropic", true, "(config: proxy.backends.anthropic.api_key)", "API key", null, null, false, null);
        }

        if (!string.IsNullOrEmpty(options.ApiKeyEnv) && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(options.ApiKeyEnv)))
        {
            return new("Anthropic", true, "$" + options.ApiKeyEnv, "API key", null, null, false, null);
        }

        if (!File.Exists(path))
        {
            return new("Anthropic", false, path, null, null, null, false, "no Claude Code login; run `claude` and log in (or `godex auth setup`), or set $ANTHROPIC_API_KEY");
        }

        JsonObject? oauth;
        try
        {
            oauth = (JsonNode.Parse(File.ReadAllText(path)) as JsonObject)?["claudeAiOauth"] as JsonObject;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return new("Anthropic", false, path, null, null, null, false, "cannot read the credentials file: " + ex.Message);
        }

        string? access = Text(oauth?["accessToken"]);
        if (access is null)
        {
            return new("Anthropic", false, path, "Claude login", null, null, false, "no claudeAiOauth.accessToken; run `claude` and log in");
        }

        DateTimeOffset? expires = oauth?["expiresAt"] is JsonValue value && value.TryGetValue(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return new("Anthropic", true, path, "Claude login", expires, Text(oauth?["subscriptionType"]), Text(oauth?["refreshToken"]) is not null, null);
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
            (ReadCodex(options.Proxy.Backends.Codex), "codex", ["login"], "install the Codex CLI (npm install -g @openai/codex), then run `codex login`"),
            (ReadAnthropic(options.Proxy.Backends.Anthropic), "claude", [], "install Claude Code (npm install -g @anthropic-ai/claude-code), run `claude` and log in; or set $ANTHROPIC_API_KEY"),
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

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) && !string.IsNullOrWhiteSpace(text) ? text : null;
}
