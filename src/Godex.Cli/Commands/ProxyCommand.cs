using System.CommandLine;
using Godex.Core.Auth;
using Godex.Core.Configuration;
using Godex.Core.Payments.L402;
using Godex.Core.Storage;
using Godex.Server.Hosting;

namespace Godex.Cli.Commands;

/// <summary><c>godex proxy</c>: the HTTP server.</summary>
internal static class ProxyCommand
{
    private static readonly Option<string?> s_listen = new("--listen") { Description = "host:port to listen on (default 127.0.0.1:39001)", HelpName = "host:port" };
    private static readonly Option<string?> s_apiKey = new("--api-key") { Description = "Require this client key (Authorization: Bearer or x-api-key)", HelpName = "key" };
    private static readonly Option<bool> s_allowAnyKey = new("--allow-any-key") { Description = "Accept any client key, or none (local development)" };
    private static readonly Option<string?> s_model = new("--model") { Description = "Model used when a request names none (default gpt-5.2-codex)", HelpName = "model" };
    private static readonly Option<string?> s_logLevel = new("--log-level") { Description = "trace|debug|info|warn (or warning)|error (default info)", HelpName = "level" };
    private static readonly Option<string?> s_logFormat = new("--log-format") { Description = "text|json: json writes one JSON object per log event and per request (default text)", HelpName = "format" };
    private static readonly Option<bool> s_metrics = new("--metrics") { Description = "Serve Prometheus metrics at GET /metrics (proxy.metrics.enabled)" };
    private static readonly Option<string?> s_tracePath = new("--trace-path") { Description = "Trace JSONL: each request in and its answer out, what proxy replay reads (proxy.trace_path)", HelpName = "path" };
    private static readonly Option<string?> s_upstreamAuditPath = new("--upstream-audit-path") { Description = "Upstream audit JSONL: the exact body sent upstream per call (proxy.upstream_audit_path)", HelpName = "path" };
    private static readonly Option<bool> s_logRequests = new("--log-requests") { Description = "Log one line per request (never bodies or keys)" };
    private static readonly Option<string?> s_maxBodyBytes = new("--max-body-bytes") { Description = "Largest request body accepted, e.g. 20MB", HelpName = "size" };
    private static readonly Option<string?> s_simulator = new("--simulator") { Description = "auto (serve from the built-in simulator when no login exists) | on | off", HelpName = "mode" };
    private static readonly Option<string?> s_baseUrl = new("--base-url") { Description = "Codex backend base URL (default https://chatgpt.com/backend-api/codex)", HelpName = "url" };
    private static readonly Option<string?> s_authPath = new("--auth-path") { Description = "Codex CLI login file (default $CODEX_HOME/auth.json or ~/.codex/auth.json)", HelpName = "path" };
    private static readonly Option<string?> s_anthropicBaseUrl = new("--anthropic-base-url") { Description = "Anthropic API base URL (default https://api.anthropic.com)", HelpName = "url" };
    private static readonly Option<string?> s_macaroonKey = new("--macaroon-key") { Description = "L402 macaroon root keys file (default ~/.godex/macaroon-keys.json; created on first use, mode 0600)", HelpName = "path" };
    private static readonly Option<bool> s_macaroonRotate = new("--macaroon-rotate") { Description = "Add a new current macaroon root key before starting; tokens of older keys keep working" };
    private static readonly Option<string?> s_macaroonRetire = new("--macaroon-retire") { Description = "Retire a macaroon root key before starting: every token it signed stops working", HelpName = "key-id" };
    private static readonly Option<string?> s_redeemedPath = new("--l402-redeemed-path") { Description = "Ledger of redeemed L402 payment hashes (default ~/.godex/l402-redeemed.jsonl)", HelpName = "path" };
    private static readonly Option<bool> s_payments = new("--payments") { Description = "Sell access over Lightning (L402): requests without a key get 402 with an invoice" };
    private static readonly Option<string?> s_anthropicCredentials = new("--anthropic-credentials") { Description = "Claude Code login file (default ~/.claude/.credentials.json)", HelpName = "path" };

    public static Command Create()
    {
        var command = new Command("proxy", "Run the OpenAI- and Anthropic-compatible HTTP server")
        {
            s_listen, s_apiKey, s_allowAnyKey, s_model, s_logLevel, s_logFormat, s_logRequests, s_maxBodyBytes, s_simulator,
            s_metrics, s_tracePath, s_upstreamAuditPath,
            s_baseUrl, s_authPath, s_anthropicBaseUrl, s_anthropicCredentials,
            s_payments, s_macaroonKey, s_macaroonRotate, s_macaroonRetire, s_redeemedPath,
        };
        command.Subcommands.Add(KeysCommand.Create());
        command.Subcommands.Add(UsageCommand.Create());
        command.Subcommands.Add(ReplayCommand.Create());
        command.Subcommands.Add(AttachCommand.Create());
        command.Subcommands.Add(DbCommand.Create());
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter error = parse.InvocationConfiguration.Error;
        GodexOptions options;
        var warnings = new List<string>();
        string? paymentsImpliedBy;
        try
        {
            options = ConfigLoader.Load(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable, warnings);
            paymentsImpliedBy = ApplyFlags(parse, options);
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Usage;
        }

        if (!await RotateMacaroonKeysAsync(parse, options.Proxy.Payments))
        {
            return ExitCodes.Failure;
        }

        try
        {
            await using GodexApp app = await GodexApp.StartAsync(options, warnings, cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Success;
        }
        catch (GodexStartupException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message + (paymentsImpliedBy is null ? "" : $" ({paymentsImpliedBy} turns on L402 payments, as --payments does)"));
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
    }

    /// <summary><c>--macaroon-rotate</c> / <c>--macaroon-retire ID</c>: change the key ring, say so, then serve.</summary>
    private static async Task<bool> RotateMacaroonKeysAsync(ParseResult parse, PaymentsOptions payments)
    {
        bool rotate = parse.GetValue(s_macaroonRotate);
        string? retire = parse.GetValue(s_macaroonRetire);
        if (!rotate && retire is null)
        {
            return true;
        }

        TextWriter output = parse.InvocationConfiguration.Output;
        try
        {
            MacaroonKeyRing keys = MacaroonKeyRing.Open(GodexDatabase.ExpandHome(payments.MacaroonKeyPath), TimeProvider.System);
            if (retire is not null)
            {
                if (!keys.Retire(retire))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: no active macaroon root key {retire} (active: {string.Join(", ", keys.Active.Select(k => k.Id))})");
                    return false;
                }

                await output.WriteLineAsync($"macaroon root key {retire} retired: the tokens it signed no longer verify");
            }

            if (rotate)
            {
                MacaroonKeyRing.RootKey key = keys.Rotate();
                await output.WriteLineAsync($"macaroon root key {key.Id} is now current; older active keys keep verifying");
            }

            return true;
        }
        catch (CredentialException ex)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync("error: " + ex.Message);
            return false;
        }
    }

    /// <summary>Applies the flags; returns the flag that turned payments on by implication, if one did.</summary>
    private static string? ApplyFlags(ParseResult parse, GodexOptions options)
    {
        ProxyOptions proxy = options.Proxy;
        Apply(parse, s_listen, options, "proxy.listen", v => proxy.Listen = ConfigValues.ParseListen(v, "--listen"));
        Apply(parse, s_apiKey, options, "proxy.api_key", v => proxy.ApiKey = string.IsNullOrWhiteSpace(v) ? null : v);
        Apply(parse, s_model, options, "proxy.model", v => proxy.Model = v);
        Apply(parse, s_logLevel, options, "proxy.log_level", v => proxy.LogLevel = ConfigValues.ParseChoice(v, "--log-level", "trace", "debug", "info", "warn", "warning", "error"));
        Apply(parse, s_logFormat, options, "proxy.log_format", v => proxy.LogFormat = ConfigValues.ParseChoice(v, "--log-format", "text", "json"));
        Apply(parse, s_tracePath, options, "proxy.trace_path", v => proxy.TracePath = string.IsNullOrWhiteSpace(v) ? null : v);
        Apply(parse, s_upstreamAuditPath, options, "proxy.upstream_audit_path", v => proxy.UpstreamAuditPath = string.IsNullOrWhiteSpace(v) ? null : v);
        proxy.Metrics.Enabled = GlobalOptions.Switch(parse, s_metrics, proxy.Metrics.Enabled);
        Apply(parse, s_maxBodyBytes, options, "proxy.max_body_bytes", v => proxy.MaxRequestBodyBytes = ConfigValues.ParseBytes(v, "--max-body-bytes"));
        Apply(parse, s_simulator, options, "proxy.simulator", v => proxy.Simulator = ConfigValues.ParseChoice(v, "--simulator", "auto", "on", "off"));
        Apply(parse, s_baseUrl, options, "proxy.backends.codex.base_url", v => proxy.Backends.Codex.BaseUrl = ConfigValues.ParseUrl(v, "--base-url"));
        Apply(parse, s_authPath, options, "proxy.backends.codex.auth_path", v => proxy.Backends.Codex.AuthPath = v);
        Apply(parse, s_anthropicBaseUrl, options, "proxy.backends.anthropic.base_url", v => proxy.Backends.Anthropic.BaseUrl = ConfigValues.ParseUrl(v, "--anthropic-base-url"));
        Apply(parse, s_anthropicCredentials, options, "proxy.backends.anthropic.credentials_path", v => proxy.Backends.Anthropic.CredentialsPath = v);
        Apply(parse, s_macaroonKey, options, "proxy.payments.macaroon_key", v => proxy.Payments.MacaroonKeyPath = v);
        Apply(parse, s_redeemedPath, options, "proxy.payments.redeemed_path", v => proxy.Payments.RedeemedPath = v);
        proxy.Payments.Enabled = GlobalOptions.Switch(parse, s_payments, proxy.Payments.Enabled);

        proxy.AllowAnyKey = GlobalOptions.Switch(parse, s_allowAnyKey, proxy.AllowAnyKey);
        proxy.LogRequests = GlobalOptions.Switch(parse, s_logRequests, proxy.LogRequests);

        // The original's README starts L402 with `godex proxy --macaroon-key PATH` alone (its flags never existed and
        // godex started a plain proxy). Here the L402 flags mean L402: they turn payments on, and whatever payments
        // still lack (a Lightning node) stops startup with one line naming it. Never silently inert.
        string? implied = parse.GetResult(s_macaroonKey) is not null ? "--macaroon-key"
            : parse.GetResult(s_redeemedPath) is not null ? "--l402-redeemed-path"
            : null;
        if (implied is not null && !proxy.Payments.Enabled)
        {
            proxy.Payments.Enabled = true;
            return implied;
        }

        return null;
    }

    /// <summary>Applies a flag that was given, and records it as the source of <paramref name="key"/> (the dashboard's Config page).</summary>
    private static void Apply(ParseResult parse, Option<string?> option, GodexOptions options, string key, Action<string> apply)
    {
        if (parse.GetResult(option) is not null && parse.GetValue(option) is { } value)
        {
            apply(value);
            options.Sources.Record(key, value, "flag " + option.Name);
        }
    }
}
