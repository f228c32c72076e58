using System.CommandLine;
using Godex.Core.Configuration;
using Godex.Simulator;
using Godex.Simulator.Lightning;

namespace Godex.Cli.Commands;

/// <summary><c>godex simulate</c>: run the built-in upstream simulator on its own.</summary>
internal static class SimulateCommand
{
    private static readonly Option<string> s_listen = new("--listen")
    {
        Description = "host:port to listen on",
        HelpName = "host:port",
        DefaultValueFactory = _ => "127.0.0.1:39002",
    };

    private static readonly Option<string?> s_lightning = new("--lightning")
    {
        Description = "Also run a simulated LND node (REST over HTTPS on 127.0.0.1) for L402; writes tls.cert and invoice.macaroon into this folder",
        HelpName = "dir",
    };

    private static readonly Option<int> s_lightningPort = new("--lightning-port")
    {
        Description = "Port of the simulated LND node (0 = any free port)",
        DefaultValueFactory = _ => 39003,
    };

    private static readonly Option<string[]> s_account = new("--account")
    {
        Description = "An account with a quota, repeatable: KEY=QUOTA or KEY=QUOTA:USED (requests per window; KEY is the bearer token or x-api-key). Its responses carry usage headers and it answers the real 429s once spent",
        HelpName = "key=quota",
    };

    private static readonly Option<string?> s_quotaWindow = new("--quota-window") { Description = "How long a quota window lasts before it resets (default 5h)", HelpName = "duration" };

    private static readonly Option<string?> s_chatKey = new("--chat-key") { Description = "The only bearer the OpenAI-compatible chat upstream accepts (default: any)", HelpName = "key" };

    public static Command Create()
    {
        var command = new Command("simulate", "Run the built-in upstream simulator (Codex backend, Anthropic Messages, OpenAI chat) as a server")
        {
            s_listen, s_lightning, s_lightningPort, s_account, s_quotaWindow, s_chatKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            SimulatorOptions options;
            try
            {
                options = new SimulatorOptions
                {
                    Listen = ConfigValues.ParseListen(parse.GetValue(s_listen)!, "--listen"),
                    Accounts = [.. (parse.GetValue(s_account) ?? []).Select(ParseAccount)],
                    QuotaWindow = parse.GetValue(s_quotaWindow) is { } window ? ConfigValues.ParseDuration(window, "--quota-window") : TimeSpan.FromHours(5),
                    ChatApiKey = parse.GetValue(s_chatKey),
                };
            }
            catch (ConfigException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("error: " + ex.Message);
                return ExitCodes.Usage;
            }

            await using SimulatorHost host = await SimulatorHost.StartAsync(options, cancellationToken);
            TextWriter output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"godex simulator listening on {host.BaseUrl}");
            await output.WriteLineAsync($"  Codex backend:   POST {host.BaseUrl}backend-api/codex/responses");
            await output.WriteLineAsync($"  Anthropic:       POST {host.BaseUrl}v1/messages, GET {host.BaseUrl}v1/models");
            await output.WriteLineAsync($"  OpenAI chat:     POST {host.BaseUrl}openai/v1/chat/completions (with quirks: {host.BaseUrl}quirky/v1)");
            await output.WriteLineAsync($"  OAuth:           GET {host.BaseUrl}oauth/authorize, POST {host.BaseUrl}oauth/token");
            await using LndSimulator? lnd = parse.GetValue(s_lightning) is { } directory
                ? await LndSimulator.StartAsync(Path.GetFullPath(directory), parse.GetValue(s_lightningPort), null, cancellationToken)
                : null;
            if (lnd is not null)
            {
                await output.WriteLineAsync($"  LND REST:        {lnd.BaseUrl} (proxy.payments.lnd.url)");
                await output.WriteLineAsync($"    tls.cert:      {lnd.TlsCertPath}");
                await output.WriteLineAsync($"    macaroon:      {lnd.MacaroonPath}");
                await output.WriteLineAsync($"    pay:           POST {lnd.BaseUrl}v1/channels/transactions {{\"payment_request\":\"lnbcrt...\"}} → payment_preimage");
            }

            try
            {
                await host.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static SimulatorAccount ParseAccount(string spec)
    {
        try
        {
            return SimulatorAccount.Parse(spec);
        }
        catch (FormatException ex)
        {
            throw new ConfigException("--account: " + ex.Message);
        }
    }
}
