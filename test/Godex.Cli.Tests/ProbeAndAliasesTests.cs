using Godex.Cli.Commands;
using Godex.Core.Conversation;

namespace Godex.Cli.Tests;

public sealed class ProbeAndAliasesTests
{
    [Fact]
    public async Task Probe_Local_ResolvesAliases()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("probe", "sonnet");

        Assert.Equal(0, exitCode);
        Assert.Equal("OK: sonnet → claude-sonnet-4-5 (anthropic)", output.Trim());
    }

    [Fact]
    public async Task Probe_Json()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("probe", "--json", "gpt-5.2-codex");

        Assert.Equal(0, exitCode);
        Assert.Equal("""{"status":"ok","model":"gpt-5.2-codex","id":"gpt-5.2-codex","backend":"codex"}""", output.Trim());
    }

    [Fact]
    public async Task Probe_Url_AsksTheRunningProxy()
    {
        // No database: the proxy under test never opens the user's ~/.godex.
        await using Godex.Server.Hosting.GodexApp app = await Godex.Server.Hosting.GodexApp.StartAsync(
            new Godex.Core.Configuration.GodexOptions { Proxy = { Listen = "127.0.0.1:0", Simulator = "on", Database = "off" } }, [], TestContext.Current.CancellationToken); // never the user's ~/.godex

        (int exitCode, string output, string error) = await CliRunner.RunAsync("probe", "opus", "--url", app.BaseUrl.ToString());

        Assert.True(exitCode == 0, error);
        Assert.Equal("OK: opus → claude-opus-4-5 (anthropic)", output.Trim());
    }

    [Fact]
    public async Task Aliases_List_ShowsBuiltIns()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync("aliases", "list");

        Assert.Equal(0, exitCode);
        Assert.Contains("sonnet       → claude-sonnet-4-5  (built-in)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Newest_UsesVersionOrder_NotStringOrder()
    {
        AliasesRules.Rule sonnet = AliasesRules.Defaults.Single(r => r.Alias == "sonnet");
        ModelInfo[] models =
        [
            new("claude-sonnet-4-20250514", "anthropic"),
            new("claude-sonnet-4-5-20250929", "anthropic"),
            new("claude-sonnet-3-7-20250219", "anthropic"),
        ];

        Assert.Equal("claude-sonnet-4-5-20250929", AliasesRules.Newest(sonnet, models)!.Id);

        AliasesRules.Rule codex = AliasesRules.Defaults.Single(r => r.Alias == "codex");
        ModelInfo[] gpts = [new("gpt-5.10-codex", "codex"), new("gpt-5.9-codex", "codex"), new("gpt-5.1-codex-mini", "codex")];
        Assert.Equal("gpt-5.10-codex", AliasesRules.Newest(codex, gpts)!.Id);
    }

    [Fact]
    public void Newest_PrefersReleaseDates()
    {
        AliasesRules.Rule opus = AliasesRules.Defaults.Single(r => r.Alias == "opus");
        ModelInfo[] models = [new("claude-opus-4-1", "anthropic") { Created = 2000 }, new("claude-opus-4-0", "anthropic") { Created = 3000 }];

        Assert.Equal("claude-opus-4-0", AliasesRules.Newest(opus, models)!.Id);
    }

    [Fact]
    public void RewriteAliases_ChangesOnlyAliasLines_KeepingComments()
    {
        const string Yaml = """
            # my config
            proxy:
              listen: 127.0.0.1:39001   # keep me
            routing:
              default: codex
              aliases:                  # alias: model
                # the team's favourite
                sonnet: claude-sonnet-4-0   # pinned last year
                fast: gpt-5-mini
            exec:
              model: sonnet
            """;

        string rewritten = AliasesRules.RewriteAliases(Yaml, new Dictionary<string, string> { ["sonnet"] = "claude-sonnet-4-5-20250929", ["opus"] = "claude-opus-4-5" });

        Assert.Equal("""
            # my config
            proxy:
              listen: 127.0.0.1:39001   # keep me
            routing:
              default: codex
              aliases:                  # alias: model
                # the team's favourite
                sonnet: claude-sonnet-4-5-20250929  # pinned last year
                fast: gpt-5-mini
                opus: claude-opus-4-5
            exec:
              model: sonnet
            """, rewritten);
    }

    [Fact]
    public void RewriteAliases_WithoutTheSection_Fails() =>
        Assert.Throws<FormatException>(() => AliasesRules.RewriteAliases("proxy:\n  listen: x\n", new Dictionary<string, string> { ["a"] = "b" }));

    [Fact]
    public async Task AliasesUpdate_DiscoversFromTheBackends_DryRunWritesNothing()
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();
        await File.AppendAllTextAsync(host.ConfigPath, "\nrouting:\n  aliases:\n    sonnet: claude-sonnet-3-7   # old\n", TestContext.Current.CancellationToken);
        string before = await File.ReadAllTextAsync(host.ConfigPath, TestContext.Current.CancellationToken);

        (int exitCode, string output, string error) = await CliRunner.RunAsync("aliases", "update", "--dry-run", "--config", host.ConfigPath);

        Assert.True(exitCode == 0, error);
        Assert.Contains("sonnet", output, StringComparison.Ordinal);
        Assert.Contains("dry run", output, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(host.ConfigPath, TestContext.Current.CancellationToken));

        (exitCode, _, error) = await CliRunner.RunAsync("aliases", "update", "--config", host.ConfigPath);
        Assert.True(exitCode == 0, error);
        string after = await File.ReadAllTextAsync(host.ConfigPath, TestContext.Current.CancellationToken);
        Assert.Contains("# old", after, StringComparison.Ordinal);
        Assert.DoesNotContain("claude-sonnet-3-7", after, StringComparison.Ordinal);
    }
}
