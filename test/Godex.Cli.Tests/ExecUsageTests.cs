namespace Godex.Cli.Tests;

public sealed class ExecUsageTests
{
    [Theory]
    [InlineData("unknown flag", "--promt", "--promt", "hi")]
    [InlineData("missing --prompt", "--prompt", "--json")]
    [InlineData("unreadable schema file", "/nonexistent/schema.json", "--prompt", "hi", "--tool", "w:json=/nonexistent/schema.json")]
    [InlineData("bad --tool spec", "--tool 'weather'", "--prompt", "hi", "--tool", "weather")]
    [InlineData("bad inline schema", "--tool w", "--prompt", "hi", "--tool", "w:inline={not json")]
    [InlineData("bad --tool-output", "--tool-output", "--prompt", "hi", "--auto-tools", "--tool-output", "novalue")]
    [InlineData("auto tools without outputs", "--tool-output", "--prompt", "hi", "--auto-tools")]
    [InlineData("bad --tool-choice", "--tool-choice", "--prompt", "hi", "--tool-choice", "sometimes")]
    [InlineData("tool choice naming no tool", "--tool-choice", "--prompt", "hi", "--tool-choice", "function:nope")]
    [InlineData("bad --mock-mode", "--mock-mode", "--prompt", "hi", "--mock", "--mock-mode", "loud")]
    [InlineData("bad --timeout", "--timeout", "--prompt", "hi", "--timeout", "soon")]
    [InlineData("unreadable --input-json", "--input-json", "--input-json", "/nonexistent/input.json")]
    public async Task WrongUsage_ExitsTwoWithOneLineNamingTheProblem(string because, string named, params string[] args)
    {
        (int exitCode, string output, string error) = await CliRunner.RunAsync(["exec", "--mock", .. args]);

        Assert.True(exitCode == 2, because + ": " + error);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInputJsonItem_ExitsTwoNamingTheItem()
    {
        string path = Path.Combine(Path.GetTempPath(), "godex-input-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, """[{"type":"message","role":"user","content":"hi"},{"type":"reasoning"}]""", TestContext.Current.CancellationToken);
        try
        {
            (int exitCode, _, string error) = await CliRunner.RunAsync("exec", "--mock", "--input-json", path);

            Assert.Equal(2, exitCode);
            Assert.Contains("item 1", error, StringComparison.Ordinal);
            Assert.Contains("reasoning", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task FlagsInAnyOrder()
    {
        (int a, string first, _) = await CliRunner.RunAsync("exec", "--json", "--mock-mode", "text", "--prompt", "hi", "--mock");
        (int b, string second, _) = await CliRunner.RunAsync("exec", "--mock", "--prompt", "hi", "--mock-mode", "text", "--json");

        Assert.Equal(0, a);
        Assert.Equal(0, b);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(new[] { "exec" }, new[] { "--prompt", "--model", "--instructions", "--system", "--append-system-prompt", "--json", "--trace", "--tool", "--web-search", "--tool-choice", "--input-json", "--auto-tools", "--tool-output", "--max-steps", "--session-id", "--log-requests", "--log-responses", "--allow-refresh", "--provider-key", "--timeout", "--mock", "--mock-mode" })]
    [InlineData(new[] { "auth" }, new[] { "status", "setup" })]
    [InlineData(new[] { "auth", "setup" }, new[] { "--yes" })]
    [InlineData(new[] { "probe" }, new[] { "<model>", "--url", "--key", "--json" })]
    [InlineData(new[] { "aliases" }, new[] { "list", "update" })]
    [InlineData(new[] { "aliases", "update" }, new[] { "--dry-run" })]
    [InlineData(new string[0], new[] { "exec", "proxy", "auth", "probe", "aliases", "simulate", "version" })]
    public async Task Help_ListsEveryFlag(string[] command, string[] expected)
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync([.. command, "--help"]);

        Assert.Equal(0, exitCode);
        foreach (string word in expected)
        {
            Assert.Contains(word, output, StringComparison.Ordinal);
        }
    }
}
