using System.Text;
using System.Text.Json;

namespace Godex.Cli.Tests;

/// <summary><c>godex setup codex|claude</c>: printed config, and <c>--write</c> into a client's file after a diff.</summary>
public sealed class SetupCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-setup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string yaml = "proxy:\n  listen: 127.0.0.1:39011\n")
    {
        string path = Path.Combine(_dir, "godex.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>A stand-in for the Codex binary: bytes around a built-in catalog, as the real one embeds it.</summary>
    private string FakeCodexBinary()
    {
        string path = Path.Combine(_dir, "codex-binary");
        var bytes = new List<byte>(new byte[1_100_000]);
        bytes.AddRange(Encoding.UTF8.GetBytes("{\n  \"models\": [\n    {\"slug\": \"gpt-5.5\", \"display_name\": \"GPT-5.5\", \"apply_patch_tool_type\": \"freeform\", \"prefer_websockets\": true}\n  ]\n}"));
        bytes.AddRange(new byte[64]);
        File.WriteAllBytes(path, [.. bytes]);
        return path;
    }

    [Fact]
    public async Task Codex_Print_ShowsTheResponsesProvider()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("setup", "codex", "--config", Config(), "--codex-binary", FakeCodexBinary());

        Assert.Equal(0, exitCode);
        Assert.Contains("model_provider = \"godex\"", output, StringComparison.Ordinal);
        Assert.Contains("[model_providers.godex]", output, StringComparison.Ordinal);
        Assert.Contains("base_url = \"http://127.0.0.1:39011/v1\"", output, StringComparison.Ordinal);
        Assert.Contains("wire_api = \"responses\"", output, StringComparison.Ordinal);
        Assert.Contains("model_catalog_json", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Codex_Write_MergesIntoAnExistingConfig_AfterADiff_AndWritesTheCatalog()
    {
        string file = Path.Combine(_dir, "codex", "config.toml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "model = \"o3\"\napproval_policy = \"never\"\n\n[profiles.fast]\nmodel = \"gpt-5-mini\"\n", TestContext.Current.CancellationToken);

        (int exitCode, string output, _) = await CliRunner.RunAsync("setup", "codex", "--write", "--file", file, "--config", Config(), "--codex-binary", FakeCodexBinary(), "--key", "gxk_test");

        Assert.Equal(0, exitCode);
        Assert.Contains("+model_provider = \"godex\"", output, StringComparison.Ordinal);
        Assert.Contains("-model = \"o3\"", output, StringComparison.Ordinal);
        string written = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        Assert.True(written.IndexOf("model_provider = \"godex\"", StringComparison.Ordinal) < written.IndexOf("[profiles.fast]", StringComparison.Ordinal), written);
        Assert.Contains("# (godex setup) model = \"o3\"", written, StringComparison.Ordinal);
        Assert.Contains("model = \"gpt-5-mini\"", written, StringComparison.Ordinal); // inside its table: untouched
        Assert.Contains("env_key = \"GODEX_API_KEY\"", written, StringComparison.Ordinal);
        Assert.DoesNotContain("gxk_test", written, StringComparison.Ordinal);
        Assert.True(File.Exists(file + ".bak"));

        JsonElement[] catalog = [.. JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "codex", "godex-models.json"), TestContext.Current.CancellationToken)).RootElement.GetProperty("models").EnumerateArray()];
        JsonElement sonnet = Assert.Single(catalog, m => m.GetProperty("slug").GetString() == "claude-sonnet-4-5");
        Assert.Equal("freeform", sonnet.GetProperty("apply_patch_tool_type").GetString());
        Assert.False(sonnet.GetProperty("prefer_websockets").GetBoolean());

        (int again, string second, _) = await CliRunner.RunAsync("setup", "codex", "--write", "--file", file, "--config", Config(), "--codex-binary", FakeCodexBinary(), "--key", "gxk_test");
        Assert.Equal(0, again);
        Assert.Contains("is up to date", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claude_Print_GivesTheEnvironment()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("setup", "claude", "--config", Config());

        Assert.Equal(0, exitCode);
        Assert.Contains("export ANTHROPIC_BASE_URL=http://127.0.0.1:39011", output, StringComparison.Ordinal);
        Assert.Contains("export ANTHROPIC_AUTH_TOKEN=", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claude_Write_KeepsTheOtherSettings()
    {
        string file = Path.Combine(_dir, "settings.json");
        await File.WriteAllTextAsync(file, """{"theme":"dark","env":{"FOO":"bar"}}""", TestContext.Current.CancellationToken);

        (int exitCode, string output, _) = await CliRunner.RunAsync("setup", "claude", "--write", "--file", file, "--config", Config(), "--key", "gxk_abc");

        Assert.Equal(0, exitCode);
        Assert.Contains("+", output, StringComparison.Ordinal);
        JsonElement settings = JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("dark", settings.GetProperty("theme").GetString());
        Assert.Equal("bar", settings.GetProperty("env").GetProperty("FOO").GetString());
        Assert.Equal("http://127.0.0.1:39011", settings.GetProperty("env").GetProperty("ANTHROPIC_BASE_URL").GetString());
        Assert.Equal("gxk_abc", settings.GetProperty("env").GetProperty("ANTHROPIC_AUTH_TOKEN").GetString());
    }
}
