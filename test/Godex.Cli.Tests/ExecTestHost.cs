using System.Text.RegularExpressions;
using Godex.Simulator;

namespace Godex.Cli.Tests;

/// <summary>
/// A simulator of its own and a config file that points both real providers at it (no simulator mode): exec runs
/// through the same router, providers and HTTP clients it uses against the real upstreams.
/// </summary>
internal sealed partial class ExecTestHost : IAsyncDisposable
{
    private ExecTestHost(SimulatorHost simulator, string directory)
    {
        Simulator = simulator;
        Directory = directory;
        ConfigPath = Path.Combine(directory, "godex.yaml");
    }

    public SimulatorHost Simulator { get; }

    public string Directory { get; }

    public string ConfigPath { get; }

    public static async Task<ExecTestHost> StartAsync()
    {
        string directory = Path.Combine(Path.GetTempPath(), "godex-exec-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        SimulatorHost simulator = await SimulatorHost.StartAsync(new SimulatorOptions(), TestContext.Current.CancellationToken);
        var host = new ExecTestHost(simulator, directory);
        string root = simulator.BaseUrl.ToString().TrimEnd('/');
        await System.IO.File.WriteAllTextAsync(Path.Combine(directory, "auth.json"), """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""", TestContext.Current.CancellationToken);
        await System.IO.File.WriteAllTextAsync(host.ConfigPath, $"""
            proxy:
              simulator: "off"
              backends:
                codex:
                  base_url: {root}/backend-api/codex
                  auth_path: {Path.Combine(directory, "auth.json")}
                anthropic:
                  base_url: {root}
                  api_key: sk-ant-test
            """, TestContext.Current.CancellationToken);
        return host;
    }

    public string File(string name) => Path.Combine(Directory, name);

    public Task<(int ExitCode, string Output, string Error)> ExecAsync(params string[] args) =>
        CliRunner.RunAsync(["exec", "--config", ConfigPath, .. args]);

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>
    /// Replaces every id (response, item, call) by <c>&lt;idN&gt;</c> in order of first appearance, and the prompt-size
    /// dependent token counts by N, so goldens survive translator changes that only move bytes.
    /// </summary>
    public static string Normalize(string jsonl)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        string text = IdPattern().Replace(jsonl, m =>
        {
            string value = m.Groups["value"].Value;
            if (!ids.TryGetValue(value, out string? replacement))
            {
                replacement = $"<id{ids.Count + 1}>";
                ids[value] = replacement;
            }

            return $"\"{m.Groups["key"].Value}\":\"{replacement}\"";
        });
        text = TokensPattern().Replace(text, m => $"\"{m.Groups["key"].Value}\":N");
        return text.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    public static string GoldenPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "test", "Godex.Cli.Tests", "Golden");
            if (System.IO.Directory.Exists(candidate))
            {
                return Path.Combine(candidate, name);
            }
        }

        throw new DirectoryNotFoundException("test/Godex.Cli.Tests/Golden not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Compares with the checked-in golden; <c>GODEX_UPDATE_GOLDEN=1</c> rewrites it instead.</summary>
    public static void AssertGolden(string name, string actualJsonl)
    {
        string path = GoldenPath(name);
        string actual = Normalize(actualJsonl);
        if (Environment.GetEnvironmentVariable("GODEX_UPDATE_GOLDEN") == "1")
        {
            System.IO.File.WriteAllText(path, actual);
            return;
        }

        Assert.True(System.IO.File.Exists(path), $"missing golden {path} (run with GODEX_UPDATE_GOLDEN=1 to create it)");
        Assert.Equal(System.IO.File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), actual);
    }

    [GeneratedRegex("\"(?<key>id|call_id|item_id)\":\"(?<value>[^\"]+)\"")]
    private static partial Regex IdPattern();

    [GeneratedRegex("\"(?<key>input_tokens|total_tokens)\":\\d+")]
    private static partial Regex TokensPattern();
}
