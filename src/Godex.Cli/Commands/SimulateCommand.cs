using System.CommandLine;
using Godex.Configuration;
using Godex.Server.Simulator;

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

    public static Command Create()
    {
        var command = new Command("simulate", "Run the built-in upstream simulator (Codex backend, Anthropic Messages, OpenAI chat) as a server") { s_listen };
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
                return GodexCommand.Usage;
            }

            await using SimulatorHost host = await SimulatorHost.StartAsync(new SimulatorOptions { Listen = listen }, cancellationToken);
            TextWriter output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"godex simulator listening on {host.BaseUrl}");
            await output.WriteLineAsync($"  Codex backend:   POST {host.BaseUrl}backend-api/codex/responses");
            await output.WriteLineAsync($"  Anthropic:       POST {host.BaseUrl}v1/messages, GET {host.BaseUrl}v1/models");
            await output.WriteLineAsync($"  OpenAI chat:     POST {host.BaseUrl}openai/v1/chat/completions");
            try
            {
                await host.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return GodexCommand.Success;
        });
        return command;
    }
}
