using System.CommandLine;
using Godex.Core;

namespace Godex.Cli.Commands;

/// <summary><c>godex version</c>: the same text as <c>godex --version</c>.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"version\":...}" };
        var command = new Command("version", "Print the godex version") { json };
        command.SetAction(async parse =>
        {
            if (parse.GetValue(json))
            {
                await StateCommand.WriteJsonAsync(parse.InvocationConfiguration.Output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("version", GodexVersion.Current);
                    w.WriteEndObject();
                });
            }
            else
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync(GodexVersion.Current);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
