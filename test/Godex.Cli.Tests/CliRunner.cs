using System.CommandLine;

namespace Godex.Cli.Tests;

/// <summary>Runs the godex command in-process with captured output, as the real entry point does.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        int exitCode = await GodexCommand.InvokeAsync(GodexCommand.Create(), args, configuration, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }
}
