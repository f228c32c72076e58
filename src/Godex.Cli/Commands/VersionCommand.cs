using System.CommandLine;
using System.Reflection;

namespace Godex.Cli.Commands;

/// <summary><c>godex version</c>: the same text as <c>godex --version</c>.</summary>
internal static class VersionCommand
{
    public static string Version { get; } =
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the godex version");
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(Version);
            return GodexCommand.Success;
        });
        return command;
    }
}
