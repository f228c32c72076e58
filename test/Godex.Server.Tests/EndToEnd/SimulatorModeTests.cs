namespace Godex.Server.Tests.EndToEnd;

/// <summary><c>proxy.simulator: auto</c> serves from the simulator only when no backend has a login.</summary>
public sealed class SimulatorModeTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("godex-simmode-").FullName;

    [Fact]
    public async Task Auto_NoLoginAnywhere_StartsTheSimulator()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Backends.Codex.AuthPath = Path.Combine(_home, "missing-auth.json");
            options.Proxy.Backends.Anthropic.CredentialsPath = Path.Combine(_home, "missing-credentials.json");
            options.Proxy.Backends.Anthropic.ApiKeyEnv = "GODEX_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        });

        Assert.NotNull(godex.App.SimulatorUrl);
        Assert.True(godex.App.SimulatorUrl!.IsLoopback);
    }

    [Fact]
    public async Task Auto_CodexLoginExists_UsesRealBackends()
    {
        string authPath = Path.Combine(_home, "auth.json");
        await File.WriteAllTextAsync(authPath, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""", TestContext.Current.CancellationToken);

        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Backends.Codex.AuthPath = authPath;
            options.Proxy.Backends.Anthropic.CredentialsPath = Path.Combine(_home, "missing-credentials.json");
            options.Proxy.Backends.Anthropic.ApiKeyEnv = "GODEX_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        });

        Assert.Null(godex.App.SimulatorUrl);
    }

    [Fact]
    public async Task Off_NoLogin_Answers503_AndKeepsTheFileOutOfTheAnswer()
    {
        string missing = Path.Combine(_home, "missing-auth.json");
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Simulator = "off";
            options.Proxy.Backends.Codex.AuthPath = missing;
        });

        using var content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        // The missing login is the operator's, not the client's: a 503 with a godex code, and the path stays in the log.
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("upstream_login_unavailable", body, StringComparison.Ordinal);
        Assert.Contains("godex auth status", body, StringComparison.Ordinal);
        Assert.DoesNotContain(_home, body, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
