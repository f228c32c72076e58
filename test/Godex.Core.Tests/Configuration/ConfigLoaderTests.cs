using Godex.Core.Configuration;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private static readonly Func<string, string?> s_noEnv = _ => null;

    [Fact]
    public void Template_LoadsWithoutWarnings_AndMatchesDefaults()
    {
        var warnings = new List<string>();
        var loaded = new GodexOptions();
        ConfigLoader.ApplyYaml(loaded, File.ReadAllText(RepoFile("docs/config.template.yaml")), "template", warnings);
        var defaults = new GodexOptions();

        Assert.Empty(warnings);
        Assert.Equal(defaults.Proxy.Listen, loaded.Proxy.Listen);
        Assert.Equal(defaults.Proxy.MaxRequestBodyBytes, loaded.Proxy.MaxRequestBodyBytes);
        Assert.Equal(defaults.Proxy.Backends.Codex.BaseUrl, loaded.Proxy.Backends.Codex.BaseUrl);
        Assert.Equal(defaults.Proxy.Backends.Codex.Models, loaded.Proxy.Backends.Codex.Models);
        Assert.Equal(defaults.Proxy.Backends.Codex.IdleTimeout, loaded.Proxy.Backends.Codex.IdleTimeout);
        Assert.Equal(defaults.Proxy.Backends.Anthropic.OAuthBetas, loaded.Proxy.Backends.Anthropic.OAuthBetas);
        Assert.Equal(defaults.Proxy.Backends.Anthropic.DefaultMaxTokens, loaded.Proxy.Backends.Anthropic.DefaultMaxTokens);
        Assert.Equal(defaults.Proxy.Backends.Anthropic.RefreshUrl, loaded.Proxy.Backends.Anthropic.RefreshUrl);
        Assert.Equal(defaults.Routing.Patterns.Select(p => p.Key), loaded.Routing.Patterns.Select(p => p.Key));
        Assert.Equal(defaults.Routing.Patterns.SelectMany(p => p.Value), loaded.Routing.Patterns.SelectMany(p => p.Value));
        Assert.Equal("codex", loaded.Routing.Default);
        Assert.Equal(defaults.Exec.Timeout, loaded.Exec.Timeout);
    }

    [Fact]
    public void Template_DocumentsEveryKey()
    {
        string template = File.ReadAllText(RepoFile("docs/config.template.yaml"));
        foreach (string path in ConfigKeys.Scalars.Select(k => k.Path).Concat(ConfigKeys.Lists.Select(k => k.Path)))
        {
            string leaf = path[(path.LastIndexOf('.') + 1)..];
            Assert.True(template.Contains(leaf + ":", StringComparison.Ordinal) || template.Contains(leaf + " ", StringComparison.Ordinal) || template.Contains(leaf + ",", StringComparison.Ordinal), $"{path} is not in docs/config.template.yaml");
        }

        foreach (string env in ConfigKeys.Scalars.Select(k => k.EnvVar).OfType<string>())
        {
            Assert.True(template.Contains(env, StringComparison.Ordinal), $"{env} is not in docs/config.template.yaml");
        }
    }

    [Theory]
    [InlineData("proxy:\n  listen: nowhere\n", "proxy.listen")]
    [InlineData("proxy:\n  log_requests: maybe\n", "proxy.log_requests")]
    [InlineData("proxy:\n  max_body_bytes: lots\n", "proxy.max_body_bytes")]
    [InlineData("proxy:\n  backends:\n    codex:\n      idle_timeout: soon\n", "proxy.backends.codex.idle_timeout")]
    [InlineData("proxy:\n  backends:\n    anthropic:\n      default_max_tokens: [1, 2]\n", "proxy.backends.anthropic.default_max_tokens")]
    [InlineData("proxy:\n  backends:\n    codex:\n      base_url: ftp://x\n", "proxy.backends.codex.base_url")]
    [InlineData("routing:\n  aliases: [a, b]\n", "routing.aliases")]
    [InlineData("routing:\n  patterns:\n    codex: gpt-\n", "routing.patterns.codex")]
    public void ApplyYaml_WrongType_ThrowsNamingKeyAndLine(string yaml, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.ApplyYaml(new GodexOptions(), yaml, "cfg.yaml", new List<string>()));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains("cfg.yaml:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyYaml_Malformed_ThrowsWithPosition()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.ApplyYaml(new GodexOptions(), "proxy:\n  listen: [\n", "cfg.yaml", new List<string>()));

        Assert.Contains("cfg.yaml: invalid YAML at line", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyYaml_UnknownAndUnsupportedKeys_Warn()
    {
        var warnings = new List<string>();

        ConfigLoader.ApplyYaml(new GodexOptions(), "proxy:\n  lisen: 1\n  stats_path: /x\n", "cfg.yaml", warnings);

        Assert.Collection(
            warnings,
            w => Assert.Contains("unknown key proxy.lisen", w, StringComparison.Ordinal),
            w => Assert.Contains("proxy.stats_path", w, StringComparison.Ordinal));
    }

    [Fact]
    public void ApplyYaml_PatternsKeepFileOrder_AndAliasesApply()
    {
        var options = new GodexOptions();

        ConfigLoader.ApplyYaml(options, "routing:\n  patterns:\n    anthropic: [\"claude-\", \"gpt-5.2\"]\n    codex: [\"gpt-\"]\n  aliases:\n    fast: claude-haiku-4-5\n", "cfg.yaml", new List<string>());

        Assert.Equal(["anthropic", "codex"], options.Routing.Patterns.Select(p => p.Key));
        Assert.Equal("claude-haiku-4-5", options.Routing.Aliases["FAST"]);
    }

    [Fact]
    public void ApplyYaml_OriginalReadmeRoutingLayout_Applies()
    {
        var options = new GodexOptions { Routing = { Default = null } };
        var warnings = new List<string>();

        ConfigLoader.ApplyYaml(options, OriginalGodex.ReadmeConfig, "cfg.yaml", warnings);

        Assert.Empty(warnings);
        Assert.Equal("codex", options.Routing.Default);
        Assert.Equal(["anthropic", "codex"], options.Routing.Patterns.Select(p => p.Key));
        Assert.Equal(["gpt-", "o1-", "o3-"], options.Routing.Patterns[1].Value);
        Assert.Equal("claude-sonnet-4-5-20250929", options.Routing.Aliases["sonnet"]);
        Assert.Equal("claude-haiku-4-5", options.Routing.Aliases["haiku"]);
    }

    [Fact]
    public void ApplyYaml_BothRoutingLayouts_TopLevelWinsWithAWarning()
    {
        var options = new GodexOptions();
        var warnings = new List<string>();

        ConfigLoader.ApplyYaml(options, OriginalGodex.ReadmeConfig + "routing:\n  aliases:\n    sonnet: claude-sonnet-4-6\n", "cfg.yaml", warnings);

        Assert.Equal("claude-sonnet-4-6", options.Routing.Aliases["sonnet"]);
        Assert.False(options.Routing.Aliases.ContainsKey("opus"));
        string warning = Assert.Single(warnings);
        Assert.Contains("cfg.yaml:", warning, StringComparison.Ordinal);
        Assert.Contains("proxy.backends.routing", warning, StringComparison.Ordinal);
        Assert.Contains("routing: is used", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyYaml_DefaultConfiguredEmpty_RejectsUnmatchedModels()
    {
        var options = new GodexOptions();

        ConfigLoader.ApplyYaml(options, "routing:\n  default: \"\"\n", "cfg.yaml", new List<string>());

        Assert.Null(options.Routing.Default);
    }

    [Fact]
    public void Load_OriginalEnvironmentNames_AreRead_AndTheNewNamesWin()
    {
        var env = new Dictionary<string, string>
        {
            ["GODEX_PROXY_RATE"] = "30/m",
            ["GODEX_PROXY_BURST"] = "3",
            ["GODEX_PROXY_QUOTA_TOKENS"] = "5000",
            ["GODEX_TOKEN_METER_URL"] = "unix:///run/token-meter.sock",
            ["GODEX_PAYMENTS_PROVIDER"] = "l402",
            ["GODEX_RETRY_DELAY"] = "250ms",
            ["GODEX_PROXY_DEFAULT_BURST"] = "4",
        };

        GodexOptions options = ConfigLoader.Load(EmptyConfigFile(), name => env.GetValueOrDefault(name), new List<string>());

        Assert.Equal("30/m", options.Proxy.DefaultRate);
        Assert.Equal(4, options.Proxy.DefaultBurst);
        Assert.Equal(5000, options.Proxy.DefaultQuotaTokens);
        Assert.Equal("unix:///run/token-meter.sock", options.Proxy.Payments.TokenMeterUrl);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Proxy.Backends.Codex.RetryDelay);
    }

    [Fact]
    public void Load_OriginalEnvironmentNameOfAnUnsupportedSetting_Warns()
    {
        var warnings = new List<string>();

        ConfigLoader.Load(EmptyConfigFile(), name => name == "GODEX_PROXY_STATS_PATH" ? "/tmp/stats.jsonl" : null, warnings);

        Assert.Contains("GODEX_PROXY_STATS_PATH", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EnvironmentOverridesFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "godex-cfg-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, "proxy:\n  listen: 127.0.0.1:40000\n  model: sonnet\n");
        try
        {
            var env = new Dictionary<string, string> { ["GODEX_PROXY_LISTEN"] = "127.0.0.1:40001" };
            GodexOptions options = ConfigLoader.Load(path, name => env.GetValueOrDefault(name), new List<string>());

            Assert.Equal("127.0.0.1:40001", options.Proxy.Listen);
            Assert.Equal("sonnet", options.Proxy.Model);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_BadEnvironmentValue_NamesTheVariable()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, name => name == "GODEX_PROXY_ALLOW_ANY_KEY" ? "perhaps" : null, new List<string>()));

        Assert.Contains("GODEX_PROXY_ALLOW_ANY_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExplicitMissingFile_Throws()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/godex.yaml", s_noEnv, new List<string>()));

        Assert.Contains("/nonexistent/godex.yaml", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("300ms", 300)]
    [InlineData("00:00:05", 5_000)]
    public void ParseDuration_GoSyntax(string text, double milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ConfigValues.ParseDuration(text, "k"));
    }

    /// <summary>An empty config file, so Load never reads the user's own ~/.config/godex/config.yaml.</summary>
    private static string EmptyConfigFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "godex-cfg-empty-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, "");
        return path;
    }

    internal static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }
}
