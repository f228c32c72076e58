using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Server.Hosting;
using Godex.Simulator;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Cli.Tests;

/// <summary>
/// <c>godex accounts login codex</c> against the simulator's OAuth endpoints: the test plays the browser (it follows
/// the authorize redirect to godex's loopback callback with an HTTP client), the login file is written in the Codex
/// CLI's format, and a proxy started afterwards serves a request with the new account.
/// </summary>
public sealed class AccountLoginTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-login-cli-" + Guid.NewGuid().ToString("N"));

    public AccountLoginTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task LoginCodex_LoopbackCallback_WritesTheCodexLogin_AndTheNewAccountServes()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        await using SimulatorHost simulator = await SimulatorHost.StartAsync(new SimulatorOptions(), cancellationToken);
        string root = simulator.BaseUrl.ToString().TrimEnd('/');
        string config = Path.Combine(_dir, "config.yaml");
        string database = Path.Combine(_dir, "godex.db");
        string login = Path.Combine(_dir, "work.json");
        File.WriteAllText(config, $"""
            proxy:
              database: {database}
              backends:
                anthropic:
                  enabled: false
                codex:
                  base_url: {root}/backend-api/codex
                  refresh_url: {root}/oauth/token
                  auth_path: {Path.Combine(_dir, "no-default-login.json")}
            """);

        var output = new UrlWatchingWriter();
        var error = new StringWriter();
        Task<int> command = GodexCommand.InvokeAsync(
            GodexCommand.Create(),
            ["--config", config, "accounts", "login", "codex", "--name", "work", "--port", "0", "--login", login, "--authorize-url", root + "/oauth/authorize"],
            new InvocationConfiguration { Output = output, Error = error },
            cancellationToken);

        // The browser: open the printed address, follow the simulator's redirect to godex's loopback callback.
        string url = await output.Url.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        Assert.Contains("code_challenge_method=S256", url, StringComparison.Ordinal);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage authorize = await browser.GetAsync(url, cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        Uri callback = authorize.Headers.Location!;
        Assert.True(callback.IsLoopback, callback.ToString());
        using HttpResponseMessage landed = await browser.GetAsync(callback, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);

        int exit = await command.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        Assert.True(exit == 0, error.ToString());
        Assert.Contains("logged in: codex/work", output.ToString(), StringComparison.Ordinal);
        var file = (JsonObject)JsonNode.Parse(File.ReadAllText(login))!;
        string accessToken = file["tokens"]!["access_token"]!.GetValue<string>();
        Assert.StartsWith("sim-access-", accessToken, StringComparison.Ordinal);
        Assert.StartsWith("sim-refresh-", file["tokens"]!["refresh_token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(file["tokens"]!["id_token"]);
        Assert.Equal(1, simulator.State.CallCount("/oauth/token"));

        // A proxy on the same database serves the new account.
        var options = new GodexOptions();
        ConfigLoader.ApplyYaml(options, File.ReadAllText(config), config, []);
        options.Proxy.Listen = "127.0.0.1:0";
        options.Proxy.Simulator = "off";
        options.Proxy.AdminSocket = Path.Combine(_dir, "admin.sock");
        await using GodexApp app = await GodexApp.StartAsync(options, [], cancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage answer = await http.PostAsync("v1/chat/completions", content, cancellationToken);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync(cancellationToken));
        AccountPool pool = app.Services.GetRequiredService<AccountPools>().All.Single(p => p.Backend == "codex");
        PoolAccount account = Assert.Single(pool.Accounts);
        Assert.Equal("work", account.Name);
        Assert.Equal(1, account.Requests);
        Assert.Equal(accessToken, simulator.State.LastBearer("/backend-api/codex/responses"));
    }

    [Theory]
    [InlineData("abc#xyz", "abc", "xyz")]
    [InlineData("http://localhost:1455/auth/callback?code=c1&state=s1", "c1", "s1")]
    [InlineData("  plain-code  ", "plain-code", null)]
    public void PastedCode_IsReadInEachShapeTheBrowserShows(string pasted, string code, string? state) =>
        Assert.Equal((code, state), Commands.AccountLogin.ParsePasted(pasted));

    /// <summary>Captures the output and completes <see cref="Url"/> with the first line that is the authorize address.</summary>
    private sealed class UrlWatchingWriter : StringWriter
    {
        private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> Url => _url.Task;

        public override void WriteLine(string? value)
        {
            lock (this)
            {
                base.WriteLine(value);
            }

            if (value is not null && value.StartsWith("http", StringComparison.Ordinal))
            {
                _url.TrySetResult(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (this)
            {
                return base.ToString();
            }
        }
    }
}
