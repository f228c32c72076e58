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

    public static Command Create()
    {
        var command = new Command("simulate", "Run the built-in upstream simulator (Codex backend, Anthropic Messages, OpenAI chat) as a server") { s_listen, s_lightning, s_lightningPort };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string listen;
            try
            {
                listen = ConfigValues.ParseListen(parse.GetValue(s_listen)!, "--listen");
            }
            catch (ConfigException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("error: " + ex.Message);
                return ExitCodes.Usage;
            }

            await using SimulatorHost host = await SimulatorHost.StartAsync(new SimulatorOptions { Listen = listen }, cancellationToken);
            TextWriter output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"godex simulator listening on {host.BaseUrl}");
            await output.WriteLineAsync($"  Codex backend:   POST {host.BaseUrl}backend-api/codex/responses");
            await output.WriteLineAsync($"  Anthropic:       POST {host.BaseUrl}v1/messages, GET {host.BaseUrl}v1/models");
            await output.WriteLineAsync($"  OpenAI chat:     POST {host.BaseUrl}openai/v1/chat/completions");
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
}
