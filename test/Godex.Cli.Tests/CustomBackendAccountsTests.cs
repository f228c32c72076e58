using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Server.Hosting;
using Godex.Simulator;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Cli.Tests;

/// <summary>
/// A custom OpenAI-compatible backend with two keys (<c>accounts:</c>) on the simulator's chat upstream, through a real
/// godex read from a config file: the first key is spent (the upstream's 429 with Retry-After), the request is served
/// by the second, a 5xx on that one moves the next request to the third, the failovers are counted in the metrics,
/// the cooldowns are saved and shown by <c>godex accounts status</c>, and a client's own key (<c>X-Provider-Key</c>)
/// bypasses the pool.
/// </summary>
public sealed class CustomBackendAccountsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-custom-pool-" + Guid.NewGuid().ToString("N"));
    private readonly string _keyVariable = "GODEX_TEST_POOL_KEY_" + Guid.NewGuid().ToString("N");

    public CustomBackendAccountsTests()
    {
        Directory.CreateDirectory(_dir);
        Environment.SetEnvironmentVariable(_keyVariable, "sk-fresh");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_keyVariable, null);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task SeveralKeys_TheFirstSpent_TheNextServes_A5xxFailsOverToo_CountedInMetrics_AndTheCooldownsShowInAccountsStatus()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        await using SimulatorHost simulator = await SimulatorHost.StartAsync(
            new SimulatorOptions { Accounts = [new SimulatorAccount("sk-spent", 0), new SimulatorAccount("sk-fresh", 1000), new SimulatorAccount("sk-extra", 1000), new SimulatorAccount("sk-client", 0)] },
            cancellationToken);
        const string upstream = "/openai/v1/chat/completions";
        string config = Path.Combine(_dir, "config.yaml");
        File.WriteAllText(config, $"""
            proxy:
              database: {Path.Combine(_dir, "godex.db")}
              metrics:
                enabled: true
              backends:
                codex:
                  enabled: false
                anthropic:
                  enabled: false
                custom:
                  sim:
                    type: openai
                    base_url: {simulator.BaseUrl.ToString().TrimEnd('/')}/openai/v1
                    retry_max: 0
                    discovery: false
                    strategy: fill-first
                    accounts:
                      - {"{"}name: spent, api_key: sk-spent{"}"}
                      - {"{"}name: fresh, key_env: {_keyVariable}{"}"}
                      - {"{"}name: extra, api_key: sk-extra{"}"}
            routing:
              default: ""
              patterns:
                sim: ["gpt-4"]
            """);
        var options = new GodexOptions();
        ConfigLoader.ApplyYaml(options, File.ReadAllText(config), config, []);
        options.Proxy.Listen = "127.0.0.1:0";
        options.Proxy.Simulator = "off";
        options.Proxy.AdminSocket = Path.Combine(_dir, "admin.sock");

        await using (GodexApp app = await GodexApp.StartAsync(options, [], cancellationToken))
        {
            using var http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            AccountPool pool = app.Services.GetRequiredService<AccountPools>().All.Single(p => p.Backend == "sim");

            // A chat client, passed through: the spent key's 429 moves the request to the other key, unseen.
            (HttpStatusCode chat, string chatText) = await PostAsync(http, "v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}""", null, cancellationToken);
            Assert.True(chat == HttpStatusCode.OK, chatText);
            Assert.Equal(2, simulator.State.CallCount(upstream));
            Assert.Equal("sk-fresh", simulator.State.LastBearer(upstream));
            Assert.Equal("rate_limited", pool.Accounts[0].CooldownReason);
            Assert.InRange(pool.Accounts[0].CooldownUntil!.Value, DateTimeOffset.UtcNow.AddHours(4.9), DateTimeOffset.UtcNow.AddHours(5.1));
            Assert.Equal([0, 1, 0], pool.Accounts.Select(a => a.Requests));

            string metrics = await http.GetStringAsync("/metrics", cancellationToken);
            string failovers = Assert.Single(metrics.Split('\n'), line => line.StartsWith("godex_upstream_failovers_total{", StringComparison.Ordinal));
            Assert.Contains("backend=\"sim\"", failovers, StringComparison.Ordinal);
            Assert.Contains("reason=\"rate_limited\"", failovers, StringComparison.Ordinal);
            Assert.EndsWith(" 1", failovers, StringComparison.Ordinal);

            // A translated client: the cooling key is not even tried.
            (HttpStatusCode messages, string messagesText) = await PostAsync(http, "v1/messages", """{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}""", null, cancellationToken);
            Assert.True(messages == HttpStatusCode.OK, messagesText);
            Assert.Equal(3, simulator.State.CallCount(upstream));
            Assert.Equal([0, 2, 0], pool.Accounts.Select(a => a.Requests));

            // The client's own key bypasses the pool: refused once, answered as is, never retried with a configured key.
            (HttpStatusCode own, string ownText) = await PostAsync(http, "v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"mine"}]}""", "sk-client", cancellationToken);
            Assert.Equal(HttpStatusCode.TooManyRequests, own);
            Assert.DoesNotContain("sk-client", ownText, StringComparison.Ordinal);
            Assert.Equal(4, simulator.State.CallCount(upstream));
            Assert.Equal("sk-client", simulator.State.LastBearer(upstream));
            Assert.Equal([0, 2, 0], pool.Accounts.Select(a => a.Requests));
            Assert.EndsWith(" 1", Assert.Single((await http.GetStringAsync("/metrics", cancellationToken)).Split('\n'), line => line.StartsWith("godex_upstream_failovers_total{", StringComparison.Ordinal)), StringComparison.Ordinal);

            // A 5xx on the serving key: a short cooldown, and the same request on the next key.
            (HttpStatusCode failed, string failedText) = await PostAsync(http, "v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"[sim:fail-once=503] again"}]}""", null, cancellationToken);
            Assert.True(failed == HttpStatusCode.OK, failedText);
            Assert.Equal(6, simulator.State.CallCount(upstream));
            Assert.Equal("sk-extra", simulator.State.LastBearer(upstream));
            Assert.Equal([0, 2, 1], pool.Accounts.Select(a => a.Requests));
            Assert.Equal("upstream_error", pool.Accounts[1].CooldownReason);
            Assert.Contains((await http.GetStringAsync("/metrics", cancellationToken)).Split('\n'), line =>
                line.StartsWith("godex_upstream_failovers_total{", StringComparison.Ordinal) && line.Contains("reason=\"upstream_error\"", StringComparison.Ordinal) && line.EndsWith(" 1", StringComparison.Ordinal));
        }

        // The proxy saved the cooldown; `godex accounts status` reads it back from the database.
        (int exit, string output, string error) = await CliRunner.RunAsync("--config", config, "accounts", "status", "--json");
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("sk-", output, StringComparison.Ordinal);
        using JsonDocument status = JsonDocument.Parse(output);
        JsonElement[] rows = [.. status.RootElement.EnumerateArray().Where(r => r.GetProperty("backend").GetString() == "sim")];
        Assert.Equal(["spent", "fresh", "extra"], rows.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal("cooling_down", rows[0].GetProperty("state").GetString());
        Assert.Equal("rate_limited", rows[0].GetProperty("cooldown_reason").GetString());
        Assert.True(rows[0].GetProperty("cooling_down_until").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(4.9));
        Assert.Equal("upstream_error", rows[1].GetProperty("cooldown_reason").GetString());
        Assert.Equal("API key from $" + _keyVariable, rows[1].GetProperty("login").GetString());
        Assert.Equal("config", rows[1].GetProperty("source").GetString());
        Assert.Equal("ready", rows[2].GetProperty("state").GetString());
    }

    private static async Task<(HttpStatusCode Status, string Text)> PostAsync(HttpClient http, string path, string body, string? providerKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (providerKey is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Provider-Key", providerKey);
        }

        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }
}
