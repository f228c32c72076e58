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
/// <c>godex accounts login codex|claude</c> against the simulator's OAuth endpoints (as strict as the vendors' for what
/// godex sends): the test plays the browser (it follows the authorize redirect to godex's loopback callback, reads the
/// landing page, or types the device code) and the user at the terminal (stdin), the login file is written in the
/// vendor CLI's format, and a proxy started afterwards serves a request with the new account.
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
        await using LoginRun run = await LoginRun.StartAsync(_dir, "codex", "work");
        Assert.Contains("code_challenge_method=S256", run.Url, StringComparison.Ordinal);
        await run.FollowToLoopbackAsync("/auth/callback");

        await run.SucceedsAsync();
        string accessToken = run.AssertCodexLogin();
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(run.Login))!["tokens"]!["id_token"]);
        await run.ServesAsync(CodexRequest);
    }

    [Fact]
    public async Task LoginClaude_LoopbackCallback_WritesTheClaudeCodeLogin_AndTheNewAccountServes()
    {
        await using LoginRun run = await LoginRun.StartAsync(_dir, "claude", "max");
        Assert.Contains("code=true", run.Url, StringComparison.Ordinal);
        await run.FollowToLoopbackAsync("/callback");

        await run.SucceedsAsync();
        run.AssertClaudeLogin();
        await run.ServesAsync(ClaudeRequest);
    }

    [Fact]
    public async Task LoginClaude_Paste_ReadsCodeAndStateFromStdin_AndTheNewAccountServes()
    {
        await using LoginRun run = await LoginRun.StartAsync(_dir, "claude", "pasted", options: null, "--paste");
        Assert.Contains(Uri.EscapeDataString("https://console.anthropic.com/oauth/code/callback"), run.Url, StringComparison.Ordinal);

        // Claude's own landing page (not loopback) shows code#state for the user to copy into the terminal.
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string page = await browser.GetStringAsync(run.Url, TestContext.Current.CancellationToken);
        string shown = page[(page.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
        Assert.Contains('#', shown);
        run.Stdin.Paste(shown);

        await run.SucceedsAsync();
        run.AssertClaudeLogin();
        await run.ServesAsync(ClaudeRequest);
    }

    [Fact]
    public async Task LoginCodex_Paste_ReadsTheAddressTheBrowserEndedOn_FromStdin()
    {
        await using LoginRun run = await LoginRun.StartAsync(_dir, "codex", "pasted", options: null, "--paste");

        // Nothing listens on 1455 in paste mode: the browser stops at the redirect, whose address carries the code.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage authorize = await browser.GetAsync(run.Url, TestContext.Current.CancellationToken);
        Uri ended = authorize.Headers.Location!;
        Assert.Equal("http://localhost:1455/auth/callback", ended.GetLeftPart(UriPartial.Path));
        run.Stdin.Paste(ended.ToString());

        await run.SucceedsAsync();
        run.AssertCodexLogin();
    }

    [Fact]
    public async Task LoginCodex_Device_PollsUntilTheCodeIsApproved_AtTheInterval_AndTheNewAccountServes()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        await using LoginRun run = await LoginRun.StartAsync(_dir, "codex", "device", new SimulatorOptions { DeviceCodeInterval = TimeSpan.FromSeconds(1) }, "--device");
        SimulatorState state = run.Simulator.State;
        Assert.Equal(run.Simulator.BaseUrl.GetLeftPart(UriPartial.Authority) + "/codex/device", run.Url);

        // The user is slow: godex polls (and is told "pending") before the code is typed in on the device page.
        for (int wait = 0; wait < 100 && state.CallCount("/api/accounts/deviceauth/token") < 2; wait++)
        {
            await Task.Delay(100, cancellationToken);
        }

        SimulatorDeviceAuthorization pending = Assert.Single(state.DeviceAuthorizations.Values);
        Assert.Contains(pending.UserCode, run.Output.ToString(), StringComparison.Ordinal);
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var approve = new FormUrlEncodedContent([new("user_code", pending.UserCode)]);
        using HttpResponseMessage approved = await browser.PostAsync(run.Url, approve, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

        await run.SucceedsAsync();
        Assert.True(pending.PendingPolls >= 2, pending.PendingPolls.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, pending.TooFastPolls);
        Assert.Empty(state.DeviceAuthorizations);
        run.AssertCodexLogin();
        await run.ServesAsync(CodexRequest);
    }

    [Fact]
    public async Task LoginClaude_Device_IsAUsageError_NamingPaste()
    {
        string config = LoginRun.WriteConfig(_dir, "http://127.0.0.1:9", "anthropic");
        var error = new StringWriter();
        int exit = await GodexCommand.InvokeAsync(
            GodexCommand.Create(),
            ["--config", config, "accounts", "login", "claude", "--device", "--login", Path.Combine(_dir, "x.json")],
            new InvocationConfiguration { Output = new StringWriter(), Error = error },
            TestContext.Current.CancellationToken);
        Assert.NotEqual(0, exit);
        Assert.Contains("--paste", error.ToString(), StringComparison.Ordinal);
    }

    private static readonly (string Route, string Body, string UpstreamPath) CodexRequest =
        ("v1/chat/completions", """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hello"}]}""", "/backend-api/codex/responses");

    private static readonly (string Route, string Body, string UpstreamPath) ClaudeRequest =
        ("v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}""", "/v1/messages");

    /// <summary>Stdin that blocks until the test "pastes" a line, as a user at the terminal would.</summary>
    private sealed class PastedInput : TextReader
    {
        private readonly TaskCompletionSource<string?> _line = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Paste(string line) => _line.TrySetResult(line);

        public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) => new(_line.Task.WaitAsync(cancellationToken));
    }

    [Theory]
    [InlineData("abc#xyz", "abc", "xyz")]
    [InlineData("http://localhost:1455/auth/callback?code=c1&state=s1", "c1", "s1")]
    [InlineData("  plain-code  ", "plain-code", null)]
    public void PastedCode_IsReadInEachShapeTheBrowserShows(string pasted, string code, string? state) =>
        Assert.Equal((code, state), Commands.AccountLogin.ParsePasted(pasted));

    /// <summary>
    /// One <c>godex accounts login</c> run against a fresh simulator: the config (only the logged-in backend enabled, its
    /// default login absent), the command running, its output (with the first address it printed) and its stdin.
    /// </summary>
    private sealed class LoginRun : IAsyncDisposable
    {
        private string _accessToken = "";

        private LoginRun(SimulatorHost simulator, string dir, string backend, string name)
        {
            Simulator = simulator;
            Dir = dir;
            Backend = backend == "claude" ? "anthropic" : backend;
            Name = name;
            Config = WriteConfig(dir, simulator.BaseUrl.ToString().TrimEnd('/'), Backend);
            Login = Path.Combine(dir, backend + "-" + name + ".json");
        }

        public SimulatorHost Simulator { get; }

        public string Dir { get; }

        public string Backend { get; }

        public string Name { get; }

        public string Config { get; }

        public string Login { get; }

        public string Url { get; private set; } = "";

        public UrlWatchingWriter Output { get; } = new();

        public StringWriter Error { get; } = new();

        public PastedInput Stdin { get; } = new();

        public Task<int> Command { get; private set; } = Task.FromResult(-1);

        public static async Task<LoginRun> StartAsync(string dir, string backend, string name, SimulatorOptions? options = null, params string[] extra)
        {
            CancellationToken cancellationToken = TestContext.Current.CancellationToken;
            var run = new LoginRun(await SimulatorHost.StartAsync(options ?? new SimulatorOptions(), cancellationToken), dir, backend, name);
            string root = run.Simulator.BaseUrl.ToString().TrimEnd('/');
            string[] args = ["--config", run.Config, "accounts", "login", backend, "--name", name, "--port", "0", "--login", run.Login, "--authorize-url", root + "/oauth/authorize", .. extra];
            run.Command = GodexCommand.InvokeAsync(GodexCommand.Create(), args, new CommandInput { Output = run.Output, Error = run.Error, Input = run.Stdin }, cancellationToken);
            run.Url = await run.Output.Url.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return run;
        }

        public static string WriteConfig(string dir, string root, string backend)
        {
            string config = Path.Combine(dir, "config-" + backend + ".yaml");
            string database = Path.Combine(dir, "godex.db");
            string other = backend == "codex" ? "anthropic" : "codex";
            string settings = backend == "codex"
                ? $"base_url: {root}/backend-api/codex\n    auth_path: {Path.Combine(dir, "no-default-login.json")}"
                : $"base_url: {root}\n    credentials_path: {Path.Combine(dir, "no-default-credentials.json")}\n    api_key_env: GODEX_TEST_NO_SUCH_VARIABLE";
            File.WriteAllText(config, $"proxy:\n  database: {database}\n  backends:\n   {other}:\n    enabled: false\n   {backend}:\n    refresh_url: {root}/oauth/token\n    {settings}\n");
            return config;
        }

        /// <summary>The browser: open the printed address, follow the simulator's redirect to godex's loopback callback.</summary>
        public async Task FollowToLoopbackAsync(string callbackPath)
        {
            CancellationToken cancellationToken = TestContext.Current.CancellationToken;
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
            using HttpResponseMessage authorize = await browser.GetAsync(Url, cancellationToken);
            Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
            Uri callback = authorize.Headers.Location!;
            Assert.True(callback.IsLoopback, callback.ToString());
            Assert.Equal(callbackPath, callback.AbsolutePath);
            using HttpResponseMessage landed = await browser.GetAsync(callback, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        }

        public async Task SucceedsAsync()
        {
            int exit = await Command.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.True(exit == 0, Error.ToString());
            Assert.Contains($"logged in: {Backend}/{Name}", Output.ToString(), StringComparison.Ordinal);
            Assert.Equal(1, Simulator.State.CallCount("/oauth/token"));
        }

        /// <summary>The login is the Codex CLI's <c>auth.json</c>.</summary>
        public string AssertCodexLogin()
        {
            var file = (JsonObject)JsonNode.Parse(File.ReadAllText(Login))!;
            Assert.Equal("chatgpt", file["auth_mode"]!.GetValue<string>());
            Assert.Equal("sim-account", file["tokens"]!["account_id"]!.GetValue<string>());
            _accessToken = file["tokens"]!["access_token"]!.GetValue<string>();
            Assert.StartsWith("sim-access-", _accessToken, StringComparison.Ordinal);
            Assert.StartsWith("sim-refresh-", file["tokens"]!["refresh_token"]!.GetValue<string>(), StringComparison.Ordinal);
            return _accessToken;
        }

        /// <summary>The login is Claude Code's <c>.credentials.json</c>: <c>claudeAiOauth</c> with ms expiry and scopes.</summary>
        public void AssertClaudeLogin()
        {
            var file = (JsonObject)JsonNode.Parse(File.ReadAllText(Login))!;
            JsonObject oauth = file["claudeAiOauth"]!.AsObject();
            _accessToken = oauth["accessToken"]!.GetValue<string>();
            Assert.StartsWith("sim-access-", _accessToken, StringComparison.Ordinal);
            Assert.StartsWith("sim-refresh-", oauth["refreshToken"]!.GetValue<string>(), StringComparison.Ordinal);
            long expiresAt = oauth["expiresAt"]!.GetValue<long>();
            long inAnHour = DateTimeOffset.UtcNow.AddSeconds(OAuthSimulatorEndpoint.ExpiresInSeconds).ToUnixTimeMilliseconds();
            Assert.InRange(expiresAt, inAnHour - 120_000, inAnHour + 1_000);
            Assert.Contains("user:inference", oauth["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        }

        /// <summary>A proxy on the same database serves one request with the new account, its backend's only one.</summary>
        public async Task ServesAsync((string Route, string Body, string UpstreamPath) request)
        {
            CancellationToken cancellationToken = TestContext.Current.CancellationToken;
            var options = new GodexOptions();
            ConfigLoader.ApplyYaml(options, File.ReadAllText(Config), Config, []);
            options.Proxy.Listen = "127.0.0.1:0";
            options.Proxy.Simulator = "off";
            options.Proxy.AdminSocket = Path.Combine(Dir, "admin.sock");
            await using GodexApp app = await GodexApp.StartAsync(options, [], cancellationToken);
            using var http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            using var content = new StringContent(request.Body, Encoding.UTF8, "application/json");
            using HttpResponseMessage answer = await http.PostAsync(request.Route, content, cancellationToken);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync(cancellationToken));
            AccountPool pool = app.Services.GetRequiredService<AccountPools>().All.Single(p => p.Backend == Backend);
            PoolAccount account = Assert.Single(pool.Accounts);
            Assert.Equal(Name, account.Name);
            Assert.Equal(1, account.Requests);
            Assert.Equal(_accessToken, Simulator.State.LastBearer(request.UpstreamPath));
        }

        public async ValueTask DisposeAsync()
        {
            Stdin.Paste("");
            await Simulator.DisposeAsync();
        }
    }

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
