using Godex.Core.Configuration;

namespace Godex.Core.Tests.Configuration;

/// <summary>The source of each configured value (the dashboard's Config page): the later layer wins, as for the value.</summary>
public sealed class ConfigSourcesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("godex-sources-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_RecordsFileAndEnvironment_TheLaterLayerWinning()
    {
        string file = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(file, "proxy:\n  listen: 127.0.0.1:4000\n  default_burst: 7\n  backends:\n    codex:\n      models: [gpt-a, gpt-b]\n");
        var env = new Dictionary<string, string> { ["GODEX_PROXY_DEFAULT_BURST"] = "9", ["GODEX_PROXY_ADMIN_KEY"] = "secret-admin" };

        GodexOptions options = ConfigLoader.Load(file, name => env.GetValueOrDefault(name), new List<string>());

        Assert.Equal(new ConfigSource("127.0.0.1:4000", "file"), options.Sources.Set["proxy.listen"]);
        Assert.Equal(new ConfigSource("9", "env GODEX_PROXY_DEFAULT_BURST"), options.Sources.Set["proxy.default_burst"]);
        Assert.Equal(9, options.Proxy.DefaultBurst);
        Assert.Equal(new ConfigSource("gpt-a, gpt-b", "file"), options.Sources.Set["proxy.backends.codex.models"]);
        Assert.Equal("env GODEX_PROXY_ADMIN_KEY", options.Sources.Set["proxy.admin_key"].Source);
        Assert.False(options.Sources.Set.ContainsKey("proxy.model"));
    }

    [Fact]
    public void DefaultsFromTemplate_HasEveryKeyWithItsDefault()
    {
        IReadOnlyDictionary<string, string> defaults = ConfigSources.DefaultsFromTemplate(File.ReadAllText(ConfigLoaderTests.RepoFile("docs/config.template.yaml")));

        Assert.Equal("127.0.0.1:39001", defaults["proxy.listen"]);
        Assert.Equal("10", defaults["proxy.default_burst"]);
        Assert.Equal("", defaults["proxy.admin_key"]);
        // The original godex's spellings (proxy.base_url, client.*, auth.*) are read but not in the template: the Config
        // page lists those only when set.
        Assert.True(ConfigSources.KeyPaths.Count(defaults.ContainsKey) > 100);
    }
}
