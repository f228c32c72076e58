using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Godex.Core.Configuration;

namespace Godex.Cli.Tests;

/// <summary>Parse errors, log level spellings, a busy port, and --json on the read-only commands.</summary>
public sealed class CliConventionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-cli-conv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string yaml)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [InlineData(new[] { "proxy", "keys", "add", "--labl", "x" }, "godex proxy keys add", "--label")]
    [InlineData(new[] { "proxy", "keys", "ad" }, "godex proxy keys", "add")]
    [InlineData(new[] { "proxy", "--lisen", "127.0.0.1:1" }, "godex proxy", "--listen")]
    [InlineData(new[] { "exce", "--prompt", "x" }, "godex", "exec")]
    public async Task ParseError_NamesTheFullCommandPath_AndSuggestsACloseMatch(string[] args, string path, string suggestion)
    {
        (int exitCode, _, string error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains($"(see '{path} --help')", error, StringComparison.Ordinal);
        Assert.Contains($"Did you mean '{suggestion}'?", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("warning")]
    [InlineData("warn")]
    public async Task LogLevel_WarningAndWarn_AreBothAccepted(string level)
    {
        // It parses (exit 1 from the public-listen refusal that follows, not 2 for a bad value).
        (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--log-level", level, "--listen", "0.0.0.0:0", "--config", Config("proxy:\n  database: \"off\"\n"));
        Assert.Equal(1, exitCode);
        Assert.Contains("refusing to listen", error, StringComparison.Ordinal);

        var options = new GodexOptions();
        ConfigLoader.ApplyYaml(options, $"proxy:\n  log_level: {level}\n", "cfg.yaml", new List<string>());
        Assert.Equal(level, options.Proxy.LogLevel);
    }

    [Fact]
    public async Task BusyPort_IsOneClearLine_NoStackTrace()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        string home = GodexProcess.NewHome("proxy:\n  database: \"off\"\n");
        try
        {
            (int exitCode, string output, string error) = await GodexProcess.RunAsync(home, ["proxy", "--listen", $"127.0.0.1:{port}", "--simulator", "off"]);

            Assert.Equal(1, exitCode);
            Assert.Equal($"error: cannot listen on 127.0.0.1:{port}: the address is in use (another godex? `godex doctor` tells); choose another with --listen", error.Trim());
            Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", output + error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Version_Json()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("version", "--json");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", JsonDocument.Parse(output).RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task AliasesList_Json_MarksBuiltIns()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("aliases", "list", "--json", "--config", Config("routing:\n  aliases:\n    fast: claude-haiku-4-5\n"));

        Assert.Equal(0, exitCode);
        JsonElement[] aliases = [.. JsonDocument.Parse(output).RootElement.GetProperty("aliases").EnumerateArray()];
        JsonElement fast = Assert.Single(aliases, a => a.GetProperty("alias").GetString() == "fast");
        Assert.Equal("claude-haiku-4-5", fast.GetProperty("model").GetString());
        Assert.False(fast.GetProperty("built_in").GetBoolean());
        Assert.True(Assert.Single(aliases, a => a.GetProperty("alias").GetString() == "sonnet").GetProperty("built_in").GetBoolean());
    }

    [Fact]
    public async Task AuthStatus_Json_NeverPrintsTokens()
    {
        string auth = Path.Combine(_dir, "auth.json");
        await File.WriteAllTextAsync(auth, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-secret-value"}""", TestContext.Current.CancellationToken);
        string config = Config($"proxy:\n  backends:\n    codex:\n      auth_path: {auth}\n    anthropic:\n      credentials_path: {Path.Combine(_dir, "none.json")}\n      api_key_env: GODEX_TEST_NO_SUCH_VARIABLE\n");

        (int exitCode, string output, _) = await CliRunner.RunAsync("auth", "status", "--json", "--config", config);

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("sk-secret-value", output, StringComparison.Ordinal);
        JsonElement[] logins = [.. JsonDocument.Parse(output).RootElement.GetProperty("logins").EnumerateArray()];
        Assert.Equal("configured", logins[0].GetProperty("state").GetString());
        Assert.Equal("API key", logins[0].GetProperty("mode").GetString());
        Assert.Equal("not configured", logins[1].GetProperty("state").GetString());
    }

    [Fact]
    public async Task ConfigInit_WritesEveryKeyCommented_ThatLoadsToTheDefaults_AndKeepsAnExistingFile()
    {
        string path = Path.Combine(_dir, "new", "config.yaml");

        (int exitCode, string output, _) = await CliRunner.RunAsync("config", "init", "--config", path);

        Assert.Equal(0, exitCode);
        Assert.Contains("wrote " + path, output, StringComparison.Ordinal);
        string text = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
        Assert.Contains("#   listen: 127.0.0.1:39001", text, StringComparison.Ordinal);
        Assert.Contains("GODEX_PROXY_LISTEN", text, StringComparison.Ordinal);
        var warnings = new List<string>();
        GodexOptions loaded = ConfigLoader.Load(path, _ => null, warnings);
        Assert.Empty(warnings);
        Assert.Equal(new GodexOptions().Proxy.Listen, loaded.Proxy.Listen);

        (int again, _, string error) = await CliRunner.RunAsync("config", "init", "--config", path);
        Assert.Equal(1, again);
        Assert.Contains("--force", error, StringComparison.Ordinal);
        Assert.Equal(0, (await CliRunner.RunAsync("config", "init", "--config", path, "--force")).ExitCode);
    }
}
