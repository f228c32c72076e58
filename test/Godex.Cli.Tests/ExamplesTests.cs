using System.Diagnostics;

namespace Godex.Cli.Tests;

/// <summary>
/// Runs examples/*/run.sh with the godex binary built next to these tests, against the built-in simulator
/// (GODEX_EXAMPLE_SIMULATOR=on), so the examples in the repository keep working.
/// </summary>
public sealed class ExamplesTests
{
    [Theory]
    [InlineData("basic", "Hello from the godex simulator")]
    [InlineData("tool-loop", "Tool weather returned: rainy, 12C")]
    [InlineData("web-search", "\"type\":\"web_search")]
    public async Task Example_RunsAgainstTheSimulator(string example, string expected)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string godex = Path.Combine(AppContext.BaseDirectory, "godex");
        string script = Path.Combine(RepoRoot(), "examples", example, "run.sh");
        var start = new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["GODEX"] = godex;
        start.Environment["GODEX_EXAMPLE_SIMULATOR"] = "on";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, await output + await error);
        Assert.Contains(expected, await output, StringComparison.Ordinal);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Godex.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Godex.slnx not found above " + AppContext.BaseDirectory);
    }
}
