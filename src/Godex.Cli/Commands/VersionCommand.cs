using System.CommandLine;
using Godex.Core;

namespace Godex.Cli.Commands;

/// <summary><c>godex version</c>: the same text as <c>godex --version</c>.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the godex version");
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(GodexVersion.Current);
            return ExitCodes.Success;
        });
        return command;
    }
}
