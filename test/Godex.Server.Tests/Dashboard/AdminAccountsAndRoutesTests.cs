using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Composition;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Core.Storage;
using Godex.Server.Admin;
using Godex.Server.Tests.EndToEnd;
using Godex.Simulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Server.Tests.Dashboard;

/// <summary>
/// The admin endpoints of the Accounts page: <c>/admin/accounts</c> (the pools' live state with each login's mode and
/// plan) and <c>/admin/routes</c> (the routing table, and the probe of one model name). Admin access only; no secret.
/// </summary>
public sealed class AdminAccountsAndRoutesTests : IAsyncLifetime
{
    private const string AdminKey = "admin-secret-for-accounts-page";
    private const string StaticKey = "static-client-key-for-accounts-page";
    private const string CustomKey = "sk-custom-backend-secret-0123456789";
    private GodexAppHarness _godex = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.AdminKey = AdminKey;
            o.Proxy.ApiKey = StaticKey;
            // A custom backend with a configured model list: listed without asking it anything.
            o.Proxy.Backends.Custom.Add(new CustomBackendOptions
            {
                Name = "local",
                BaseUrl = "http://127.0.0.1:9/v1",
                Models = ["llama-3.1-8b"],
                Auth = new CustomAuthOptions { Type = "bearer", Key = CustomKey },
            });
            o.Routing.Patterns.Add(new("local", ["llama-"]));
            o.Routing.Aliases["fast"] = "llama-3.1-8b";
        });

    public async ValueTask DisposeAsync() => await _godex.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? bearer = AdminKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using HttpResponseMessage response = await _godex.Http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private void AssertNoSecret(string body)
    {
        foreach (string secret in new[] { AdminKey, StaticKey, CustomKey, SimulatedUpstream.SimulatorKey, "auth.json", Path.GetTempPath(), _godex.StateDirectory })
        {
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/admin/accounts")]
    [InlineData("/admin/routes")]
    [InlineData("/admin/routes?model=sonnet")]
    public async Task AccountsAndRoutes_WithoutTheAdminKey_Are404(string path)
    {
        foreach (string? bearer in new[] { null, StaticKey, AdminKey + "x" })
        {
            (HttpStatusCode status, string body) = await GetAsync(path, bearer);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.DoesNotContain("backend", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Accounts_InSimulatorMode_ShowEachBackendsAccount_ReadyAndNotReportedYet()
    {
        (HttpStatusCode status, string body) = await GetAsync("/admin/accounts");
        Assert.Equal(HttpStatusCode.OK, status);
        AssertNoSecret(body);
        JsonElement[] backends = [.. JsonDocument.Parse(body).RootElement.GetProperty("backends").EnumerateArray()];
        Assert.Equal(["codex", "anthropic"], backends.Select(b => b.GetProperty("backend").GetString()));
        foreach (JsonElement backend in backends)
        {
            JsonElement account = Assert.Single(backend.GetProperty("accounts").EnumerateArray());
            Assert.Equal("default", account.GetProperty("name").GetString());
            Assert.Equal("API key", account.GetProperty("mode").GetString());
            Assert.Equal("ready", account.GetProperty("state").GetString());
            Assert.False(account.TryGetProperty("primary", out _));
        }
    }

    [Fact]
    public async Task Accounts_ShowTheUsageWindowsEachUpstreamReported_CodexAndAnthropic_AndNoSecret()
    {
        // An upstream with quotas: it reports usage in Codex's x-codex-* and Anthropic's unified headers, as the real ones do.
        await using SimulatorHost simulator = await SimulatorHost.StartAsync(
            new SimulatorOptions { Accounts = [new SimulatorAccount("sk-accounts-codex", 10), new SimulatorAccount("sk-accounts-anthropic", 10)] }, Ct);
        string logins = Path.Combine(Path.GetTempPath(), "godex-accounts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(logins);
        try
        {
            string root = simulator.BaseUrl.ToString().TrimEnd('/');
            string authPath = Path.Combine(logins, "auth.json");
            await File.WriteAllTextAsync(authPath, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-accounts-codex"}""", Ct);
            await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
            {
                o.Proxy.Simulator = "off";
                o.Proxy.AdminKey = AdminKey;
                o.Proxy.ApiKey = StaticKey;
                o.Proxy.Backends.Codex.BaseUrl = root + "/backend-api/codex";
                o.Proxy.Backends.Codex.AuthPath = authPath;
                o.Proxy.Backends.Anthropic.BaseUrl = root;
                o.Proxy.Backends.Anthropic.ApiKey = "sk-accounts-anthropic";
            });
            foreach (string model in (string[])["gpt-5.2-codex", "gpt-5.2-codex", "claude-sonnet-4-5"])
            {
                using var chat = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions");
                chat.Headers.Authorization = new AuthenticationHeaderValue("Bearer", StaticKey);
                chat.Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
                using HttpResponseMessage ok = await godex.Http.SendAsync(chat, Ct);
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/accounts");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);
            string body = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (string secret in new[] { AdminKey, StaticKey, "sk-accounts-codex", "sk-accounts-anthropic", logins })
            {
                Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
            }

            JsonElement rootJson = JsonDocument.Parse(body).RootElement;
            long now = rootJson.GetProperty("now_ms").GetInt64();
            JsonElement[] backends = [.. rootJson.GetProperty("backends").EnumerateArray()];
            JsonElement codex = Assert.Single(backends[0].GetProperty("accounts").EnumerateArray());
            Assert.Equal("round-robin", backends[0].GetProperty("strategy").GetString());
            Assert.Equal(2, codex.GetProperty("requests").GetInt64());
            Assert.Equal("ready", codex.GetProperty("state").GetString());
            // Two of ten requests: 20 % of the 5 h window, the weekly one a quarter of that.
            Assert.Equal(20, codex.GetProperty("primary").GetProperty("used_percent").GetDouble());
            Assert.Equal(300, codex.GetProperty("primary").GetProperty("window_minutes").GetInt32());
            Assert.InRange(codex.GetProperty("primary").GetProperty("resets_at_ms").GetInt64(), now, now + TimeSpan.FromHours(5.1).TotalMilliseconds);
            Assert.Equal(5, codex.GetProperty("secondary").GetProperty("used_percent").GetDouble());
            Assert.Equal(10080, codex.GetProperty("secondary").GetProperty("window_minutes").GetInt32());
            JsonElement anthropic = Assert.Single(backends[1].GetProperty("accounts").EnumerateArray());
            Assert.Equal("API key", anthropic.GetProperty("mode").GetString());
            Assert.Equal(10, anthropic.GetProperty("primary").GetProperty("used_percent").GetDouble());
            Assert.Equal(300, anthropic.GetProperty("primary").GetProperty("window_minutes").GetInt32());
            Assert.Equal(10080, anthropic.GetProperty("secondary").GetProperty("window_minutes").GetInt32());
        }
        finally
        {
            Directory.Delete(logins, recursive: true);
        }
    }

    [Fact]
    public void Accounts_ACoolingAccount_ShowsUntilWhenAndWhy_AndTheLoginsPlan()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var pool = new AccountPool("codex", ["work", "home"], PoolStrategy.FillFirst, new PoolOptions(), time, null, null, NullLogger.Instance);
        DateTimeOffset now = time.GetUtcNow();
        pool.Accounts[0].CoolDown(now.AddMinutes(10), "rate_limited", "429: You exceeded your usage limit");
        pool.Accounts[1].Observe(new UsageReading(new UsageWindow(42.5, 300, now.AddHours(3)), new UsageWindow(100, 10080, now.AddDays(2)), null));
        AccountLogin[] logins =
        [
            new(new ResolvedAccount("codex", "work", "/home/op/.codex/auth.json", null, "config"), new LoginStatus("Codex", true, "/home/op/.codex/auth.json", "ChatGPT login", null, "pro", true, null)),
            new(new ResolvedAccount("codex", "home", "/home/op/home.json", null, "added"), new LoginStatus("Codex", false, "/home/op/home.json", null, null, null, false, "cannot read the login file: '/home/op/home.json' is denied")),
        ];

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            AdminAccounts.Write(w, [pool], logins, now);
        }

        string body = Encoding.UTF8.GetString(buffer.ToArray());
        Assert.DoesNotContain("/home/op", body, StringComparison.Ordinal);
        JsonElement backend = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("backends").EnumerateArray());
        Assert.Equal("fill-first", backend.GetProperty("strategy").GetString());
        JsonElement[] accounts = [.. backend.GetProperty("accounts").EnumerateArray()];
        Assert.Equal("cooling_down", accounts[0].GetProperty("state").GetString());
        Assert.Equal(now.AddMinutes(10).ToUnixTimeMilliseconds(), accounts[0].GetProperty("cooling_down_until_ms").GetInt64());
        Assert.Equal("rate_limited", accounts[0].GetProperty("cooldown_reason").GetString());
        Assert.Equal("429: You exceeded your usage limit", accounts[0].GetProperty("last_error").GetString());
        Assert.Equal("pro", accounts[0].GetProperty("plan").GetString());
        Assert.Equal("config", accounts[0].GetProperty("source").GetString());
        Assert.Equal("no_login", accounts[1].GetProperty("state").GetString());
        Assert.Equal("cannot read the login file", accounts[1].GetProperty("login_problem").GetString());
        Assert.Equal(42.5, accounts[1].GetProperty("primary").GetProperty("used_percent").GetDouble());
        Assert.Equal(now.AddDays(2).ToUnixTimeMilliseconds(), accounts[1].GetProperty("secondary").GetProperty("resets_at_ms").GetInt64());
        // The weekly window is spent: the pool cannot serve until the first of the two returns.
        Assert.True(backend.GetProperty("exhausted").GetBoolean());
        Assert.Equal(now.AddMinutes(10).ToUnixTimeMilliseconds(), backend.GetProperty("returns_at_ms").GetInt64());
    }

    [Fact]
    public async Task Routes_ListBackendsPrefixesModelsAliasesAndTheDefault_WithoutSecrets()
    {
        (HttpStatusCode status, string body) = await GetAsync("/admin/routes");
        Assert.Equal(HttpStatusCode.OK, status);
        AssertNoSecret(body);
        JsonElement root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("codex", root.GetProperty("default").GetString());
        JsonElement[] backends = [.. root.GetProperty("backends").EnumerateArray()];
        Assert.Equal(["codex", "anthropic", "local"], backends.Select(b => b.GetProperty("name").GetString()));
        Assert.True(backends[0].GetProperty("is_default").GetBoolean());
        Assert.Contains("gpt-", backends[0].GetProperty("prefixes").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("claude-", backends[1].GetProperty("prefixes").EnumerateArray().Select(p => p.GetString()));
        Assert.NotEmpty(backends[1].GetProperty("models").EnumerateArray());
        Assert.Equal("custom", backends[2].GetProperty("kind").GetString());
        Assert.Equal("openai", backends[2].GetProperty("type").GetString());
        // One key and no accounts: a pool of one, the account default (not listed by /admin/accounts: nothing to spread).
        Assert.Equal(1, backends[2].GetProperty("accounts").GetInt32());
        Assert.Equal(["llama-3.1-8b"], backends[2].GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        JsonElement[] aliases = [.. root.GetProperty("aliases").EnumerateArray()];
        JsonElement sonnet = aliases.Single(a => a.GetProperty("alias").GetString() == "sonnet");
        Assert.Equal("built-in", sonnet.GetProperty("source").GetString());
        Assert.Equal("config", aliases.Single(a => a.GetProperty("alias").GetString() == "fast").GetProperty("source").GetString());
    }

    [Theory]
    [InlineData("sonnet", "anthropic", "claude-sonnet-4-5", "pattern", "default")]
    [InlineData("gpt-5.2-codex", "codex", "gpt-5.2-codex", "pattern", "default")]
    [InlineData("fast", "local", "llama-3.1-8b", "pattern", "default")]
    [InlineData("mistral-large", "codex", "mistral-large", "default", "default")]
    public async Task Routes_Probe_ResolvesBackendUpstreamModelAndAccount(string model, string backend, string upstream, string matchedBy, string? account)
    {
        (HttpStatusCode status, string body) = await GetAsync("/admin/routes?model=" + Uri.EscapeDataString(model));
        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement probe = JsonDocument.Parse(body).RootElement;
        Assert.True(probe.GetProperty("routed").GetBoolean());
        Assert.Equal(model, probe.GetProperty("model").GetString());
        Assert.Equal(backend, probe.GetProperty("backend").GetString());
        Assert.Equal(upstream, probe.GetProperty("upstream_model").GetString());
        Assert.Equal(matchedBy, probe.GetProperty("matched_by").GetString());
        Assert.Equal(account, probe.TryGetProperty("account", out JsonElement a) ? a.GetString() : null);
        Assert.Equal(model != upstream, probe.TryGetProperty("alias", out _));
    }

    [Fact]
    public async Task Routes_Probe_WithoutAModelName_Is400()
    {
        (HttpStatusCode status, string body) = await GetAsync("/admin/routes?model=");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"param\":\"model\"", body, StringComparison.Ordinal);
        (status, _) = await GetAsync("/admin/routes?model=" + new string('m', 300));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }
}
