namespace Godex.Cli.Tests;

public sealed class GodexCommandTests
{
    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task Version_PrintsTheVersion(string arg)
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync(arg);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Fact]
    public async Task UnknownFlag_ExitsTwoWithOneLine()
    {
        (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--lisen", "127.0.0.1:1");

        Assert.Equal(2, exitCode);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("--lisen", error, StringComparison.Ordinal);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_ExitsTwo()
    {
        (int exitCode, _, string error) = await CliRunner.RunAsync("serve");

        Assert.Equal(2, exitCode);
        Assert.Contains("serve", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadListenFlag_ExitsTwoNamingTheFlag()
    {
        (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--listen", "nowhere");

        Assert.Equal(2, exitCode);
        Assert.Contains("--listen", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConfigFile_ExitsTwoNamingThePath()
    {
        (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--config", "/nonexistent/godex.yaml");

        Assert.Equal(2, exitCode);
        Assert.Contains("/nonexistent/godex.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadConfigValue_ExitsTwoNamingKeyAndLine_WithConfigFlagAfterTheCommand()
    {
        string path = Path.Combine(Path.GetTempPath(), "godex-cli-" + Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(path, "proxy:\n  model: gpt-5.2-codex\n  log_requests: sometimes\n", TestContext.Current.CancellationToken);
        try
        {
            (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--listen", "127.0.0.1:0", "--config", path);

            Assert.Equal(2, exitCode);
            Assert.Contains("proxy.log_requests", error, StringComparison.Ordinal);
            Assert.Contains(path + ":3", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("aliases", "list")]
    [InlineData("exec", "--mock", "--prompt", "hi")]
    [InlineData("auth", "status")]
    [InlineData("probe", "sonnet")]
    public async Task ConfigWarnings_ArePrintedByEveryCommand(params string[] args)
    {
        string path = Path.Combine(Path.GetTempPath(), "godex-cli-" + Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(path, "proxy:\n  lisen: 127.0.0.1:1\n", TestContext.Current.CancellationToken);
        try
        {
            (int exitCode, _, string error) = await CliRunner.RunAsync([.. args, "--config", path]);

            Assert.Equal(0, exitCode);
            Assert.Contains("warning: " + path + ":2: unknown key proxy.lisen", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task PublicListenWithoutKey_RefusesToStart()
    {
        string path = Path.Combine(Path.GetTempPath(), "godex-cli-" + Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(path, "proxy:\n  database: \"off\"\n", TestContext.Current.CancellationToken);
        try
        {
            (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--listen", "0.0.0.0:0", "--simulator", "off", "--config", path);

            Assert.Equal(1, exitCode);
            Assert.Contains("--api-key", error, StringComparison.Ordinal);
            Assert.Contains("godex proxy keys add", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Help_ListsEveryCommand()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("proxy", output, StringComparison.Ordinal);
        Assert.Contains("simulate", output, StringComparison.Ordinal);
        Assert.Contains("version", output, StringComparison.Ordinal);
    }
}
