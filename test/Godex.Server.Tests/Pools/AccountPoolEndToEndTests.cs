using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Server.Tests.EndToEnd;
using Godex.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using OpenAI.Chat;

namespace Godex.Server.Tests.Pools;

/// <summary>
/// Backends with several accounts, end to end: a real godex whose Codex and Anthropic backends each have two logins on
/// the simulator, every simulated account with its own quota (usage headers on each answer, the real 429 once spent).
/// Which account served is read from the pool (<see cref="PoolAccount.Requests"/>) and from the simulator's quota use.
/// </summary>
public sealed class AccountPoolEndToEndTests
{
    [Fact]
    public async Task TwoCodexAccounts_OneSpent_FiftyRequestsAllServedByTheOther_ThenTheSpentOneServesAfterItsReset()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using Pool pool = await Pool.StartAsync(time, [new SimulatorAccount("key-a", 10, 10), new SimulatorAccount("key-b", 1000)]);
        ChatClient client = pool.Chat("gpt-5.2-codex");

        for (int i = 0; i < 50; i++)
        {
            // A new conversation each time: round-robin would put every other one on the spent account.
            ChatCompletion completion = (await client.CompleteChatAsync([new UserChatMessage($"Question number {i}")], cancellationToken: TestContext.Current.CancellationToken)).Value;
            Assert.Contains($"Question number {i}", completion.Content[0].Text, StringComparison.Ordinal);
        }

        AccountPool codex = pool.Codex;
        Assert.Equal(0, codex.Accounts[0].Requests);
        Assert.Equal(50, codex.Accounts[1].Requests);
        Assert.Equal("usage_limit_reached", codex.Accounts[0].CooldownReason);
        Assert.Equal(1, pool.Simulator.State.QuotaRefusals("key-a"));

        // The simulator's window (5 h) starts again; the cooldown the 429's resets_at gave ends with it.
        time.Advance(TimeSpan.FromHours(5) + TimeSpan.FromMinutes(1));
        for (int i = 0; i < 4; i++)
        {
            await client.CompleteChatAsync([new UserChatMessage($"After the reset {i}")], cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, codex.Accounts[0].Requests);
        Assert.Equal(52, codex.Accounts[1].Requests);
        Assert.Null(codex.Accounts[0].CooldownUntil);
    }

    [Fact]
    public async Task CodexConversation_TwentyTurnsStayOnOneAccount_ASecondConversationGoesToTheOther()
    {
        await using Pool pool = await Pool.StartAsync(null, [new SimulatorAccount("key-a", 1000), new SimulatorAccount("key-b", 1000)]);

        // As the Codex CLI sends it: Responses, streamed, prompt_cache_key = its session id, the input growing each turn.
        var input = new JsonArray();
        for (int turn = 0; turn < 20; turn++)
        {
            input.Add(new JsonObject { ["type"] = "message", ["role"] = "user", ["content"] = $"turn {turn}" });
            await pool.ResponsesAsync("conversation-one", input);
            input.Add(new JsonObject { ["type"] = "message", ["role"] = "assistant", ["content"] = "ok" });
        }

        AccountPool codex = pool.Codex;
        int first = codex.Accounts[0].Requests == 20 ? 0 : 1;
        Assert.Equal(20, codex.Accounts[first].Requests);
        Assert.Equal(0, codex.Accounts[1 - first].Requests);

        for (int turn = 0; turn < 3; turn++)
        {
            await pool.ResponsesAsync("conversation-two", new JsonArray { new JsonObject { ["type"] = "message", ["role"] = "user", ["content"] = $"other {turn}" } });
        }

        Assert.Equal(20, codex.Accounts[first].Requests);
        Assert.Equal(3, codex.Accounts[1 - first].Requests);
    }

    [Fact]
    public async Task ClaudeConversation_StaysOnOneAccountByItsSession_ASecondConversationGoesToTheOther()
    {
        await using Pool pool = await Pool.StartAsync(null, [new SimulatorAccount("ant-a", 1000), new SimulatorAccount("ant-b", 1000)], anthropicKeys: ["ant-a", "ant-b"]);

        for (int turn = 0; turn < 10; turn++)
        {
            await pool.MessagesAsync("user_abc_account__session_one", $"turn {turn}");
        }

        AccountPool anthropic = pool.Anthropic;
        int first = anthropic.Accounts[0].Requests == 10 ? 0 : 1;
        Assert.Equal(10, anthropic.Accounts[first].Requests);
        Assert.Equal(0, anthropic.Accounts[1 - first].Requests);

        await pool.MessagesAsync("user_abc_account__session_two", "hello");
        Assert.Equal(1, anthropic.Accounts[1 - first].Requests);
        Assert.NotNull(anthropic.Accounts[first].Primary);
    }

    [Fact]
    public async Task Proactive_AnAccountReporting95PercentGetsNoNewConversation_WhileAnotherReports10()
    {
        await using Pool pool = await Pool.StartAsync(null, [new SimulatorAccount("key-a", 100, 94), new SimulatorAccount("key-b", 100, 9)]);
        ChatClient client = pool.Chat("gpt-5.2-codex");

        // The first two conversations learn each account's usage (round-robin: one each).
        await client.CompleteChatAsync([new UserChatMessage("first")], cancellationToken: TestContext.Current.CancellationToken);
        await client.CompleteChatAsync([new UserChatMessage("second")], cancellationToken: TestContext.Current.CancellationToken);
        AccountPool codex = pool.Codex;
        Assert.Equal(95, codex.Accounts[0].Primary!.UsedPercent);
        Assert.Equal(10, codex.Accounts[1].Primary!.UsedPercent);

        for (int i = 0; i < 10; i++)
        {
            await client.CompleteChatAsync([new UserChatMessage($"new conversation {i}")], cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, codex.Accounts[0].Requests);
        Assert.Equal(11, codex.Accounts[1].Requests);
        Assert.Null(codex.Accounts[0].CooldownUntil);
    }

    [Fact]
    public async Task InBandOverloadBeforeContent_OnOneAccount_IsServedByTheNext()
    {
        await using Pool pool = await Pool.StartAsync(null, [new SimulatorAccount("key-a", 1000), new SimulatorAccount("key-b", 1000)]);
        ChatClient client = pool.Chat("gpt-5.2-codex");

        ChatCompletion completion = (await client.CompleteChatAsync([new UserChatMessage("[sim:overload-once] Hello there")], cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Contains("Hello there", completion.Content[0].Text, StringComparison.Ordinal);
        AccountPool codex = pool.Codex;
        Assert.Equal(0, codex.Accounts[0].Requests);
        Assert.Equal(1, codex.Accounts[1].Requests);
        Assert.Equal("upstream_error", codex.Accounts[0].CooldownReason);
    }

    [Fact]
    public async Task AFailover_IsCountedInTheMetrics_WithItsBackendAndReason()
    {
        await using Pool pool = await Pool.StartAsync(null, [new SimulatorAccount("key-a", 1000), new SimulatorAccount("key-b", 1000)],
            configure: o => o.Proxy.Metrics.Enabled = true);

        await pool.Chat("gpt-5.2-codex").CompleteChatAsync([new UserChatMessage("[sim:overload-once] Hello there")], cancellationToken: TestContext.Current.CancellationToken);

        string metrics = await pool.Godex.Http.GetStringAsync(new Uri(pool.Godex.App.BaseUrl, "/metrics"), TestContext.Current.CancellationToken);
        string failovers = Assert.Single(metrics.Split('\n'), line => line.StartsWith("godex_upstream_failovers_total{", StringComparison.Ordinal));
        Assert.Contains("backend=\"codex\"", failovers, StringComparison.Ordinal);
        Assert.Contains("reason=\"upstream_error\"", failovers, StringComparison.Ordinal);
        Assert.EndsWith(" 1", failovers, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryCodexAccountCooling_TheFallbackModelAnswers_AndTheResponseNamesIt()
    {
        await using Pool pool = await Pool.StartAsync(
            null,
            [new SimulatorAccount("key-a", 1, 1), new SimulatorAccount("key-b", 1, 1)],
            configure: o => o.Routing.Fallbacks["gpt-5.2-codex"] = ["claude-sonnet-4-5"]);
        ChatClient client = pool.Chat("gpt-5.2-codex");

        ChatCompletion completion = (await client.CompleteChatAsync([new UserChatMessage("Who answers?")], cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Contains("Who answers?", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("claude-sonnet-4-5", completion.Model, StringComparison.Ordinal);
        Assert.True(pool.Codex.IsExhausted());

        // Now the router knows before sending: the next request goes straight to the fallback.
        int refusals = pool.Simulator.State.QuotaRefusals("key-a") + pool.Simulator.State.QuotaRefusals("key-b");
        completion = (await client.CompleteChatAsync([new UserChatMessage("And now?")], cancellationToken: TestContext.Current.CancellationToken)).Value;
        Assert.StartsWith("claude-sonnet-4-5", completion.Model, StringComparison.Ordinal);
        Assert.Equal(refusals, pool.Simulator.State.QuotaRefusals("key-a") + pool.Simulator.State.QuotaRefusals("key-b"));
    }

    [Fact]
    public async Task Cooldowns_SurviveARestart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string state = Path.Combine(Path.GetTempPath(), "godex-pool-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (Pool pool = await Pool.StartAsync(time, [new SimulatorAccount("key-a", 1, 1), new SimulatorAccount("key-b", 1000)], stateDirectory: state))
            {
                await pool.Chat("gpt-5.2-codex").CompleteChatAsync([new UserChatMessage("spend")], cancellationToken: TestContext.Current.CancellationToken);
                Assert.NotNull(pool.Codex.Accounts[0].CooldownUntil);
            }

            await using (Pool again = await Pool.StartAsync(time, [new SimulatorAccount("key-a", 1, 1), new SimulatorAccount("key-b", 1000)], stateDirectory: state))
            {
                Assert.Equal("usage_limit_reached", again.Codex.Accounts[0].CooldownReason);
                for (int i = 0; i < 4; i++)
                {
                    await again.Chat("gpt-5.2-codex").CompleteChatAsync([new UserChatMessage($"after restart {i}")], cancellationToken: TestContext.Current.CancellationToken);
                }

                Assert.Equal(0, again.Simulator.State.QuotaRefusals("key-a"));
                Assert.Equal(4, again.Codex.Accounts[1].Requests);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    /// <summary>A simulator with quota accounts and a godex whose backends have one account per simulated key.</summary>
    private sealed class Pool : IAsyncDisposable
    {
        private readonly string _logins;

        private Pool(SimulatorHost simulator, GodexAppHarness godex, string logins)
        {
            Simulator = simulator;
            Godex = godex;
            _logins = logins;
        }

        public SimulatorHost Simulator { get; }

        public GodexAppHarness Godex { get; }

        public AccountPool Codex => Godex.App.Services.GetRequiredService<AccountPools>().All.Single(p => p.Backend == "codex");

        public AccountPool Anthropic => Godex.App.Services.GetRequiredService<AccountPools>().All.Single(p => p.Backend == "anthropic");

        public static async Task<Pool> StartAsync(
            FakeTimeProvider? time,
            IReadOnlyList<SimulatorAccount> accounts,
            string[]? anthropicKeys = null,
            Action<GodexOptions>? configure = null,
            string? stateDirectory = null)
        {
            SimulatorHost simulator = await SimulatorHost.StartAsync(
                new SimulatorOptions { Accounts = accounts, TimeProvider = time ?? TimeProvider.System }, TestContext.Current.CancellationToken);
            string logins = Path.Combine(Path.GetTempPath(), "godex-pool-logins-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(logins);
            string root = simulator.BaseUrl.ToString().TrimEnd('/');
            GodexAppHarness godex = await GodexAppHarness.StartAsync(
                options =>
                {
                    options.Proxy.Simulator = "off";
                    if (stateDirectory is not null)
                    {
                        options.Proxy.Database = Path.Combine(stateDirectory, "godex.db");
                    }

                    CodexBackendOptions codex = options.Proxy.Backends.Codex;
                    codex.BaseUrl = root + "/backend-api/codex";
                    codex.RefreshUrl = root + "/oauth/token";
                    foreach (SimulatorAccount account in accounts.Where(a => anthropicKeys?.Contains(a.Key) != true))
                    {
                        string path = Path.Combine(logins, account.Key + ".json");
                        CredentialFile.WriteAtomic(path, new JsonObject { ["auth_mode"] = "api_key", ["OPENAI_API_KEY"] = account.Key });
                        codex.Accounts.Add(new AccountOptions { Name = account.Key, AuthPath = path });
                    }

                    if (codex.Accounts.Count == 0)
                    {
                        string path = Path.Combine(logins, "codex.json");
                        CredentialFile.WriteAtomic(path, new JsonObject { ["auth_mode"] = "api_key", ["OPENAI_API_KEY"] = "codex-unlimited" });
                        codex.AuthPath = path;
                    }

                    AnthropicBackendOptions anthropic = options.Proxy.Backends.Anthropic;
                    anthropic.BaseUrl = root;
                    anthropic.RefreshUrl = root + "/oauth/token";
                    anthropic.ApiKey = "anthropic-unlimited";
                    foreach (string key in anthropicKeys ?? [])
                    {
                        anthropic.Accounts.Add(new AccountOptions { Name = key, ApiKey = key });
                    }

                    configure?.Invoke(options);
                },
                time);
            return new Pool(simulator, godex, logins);
        }

        public ChatClient Chat(string model) =>
            new(model, new ApiKeyCredential("any-local-key"), new OpenAIClientOptions { Endpoint = Godex.OpenAIEndpoint, NetworkTimeout = TimeSpan.FromSeconds(30) });

        public async Task ResponsesAsync(string session, JsonArray input)
        {
            var body = new JsonObject
            {
                ["model"] = "gpt-5.2-codex",
                ["instructions"] = "You are Codex.",
                ["input"] = input.DeepClone(),
                ["stream"] = true,
                ["store"] = false,
                ["prompt_cache_key"] = session,
            };
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await Godex.Http.PostAsync("v1/responses", content, TestContext.Current.CancellationToken);
            string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Contains("response.completed", text, StringComparison.Ordinal);
        }

        public async Task MessagesAsync(string userId, string prompt)
        {
            var body = new JsonObject
            {
                ["model"] = "claude-sonnet-4-5",
                ["max_tokens"] = 100,
                ["metadata"] = new JsonObject { ["user_id"] = userId },
                ["messages"] = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = prompt } },
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Add("anthropic-version", "2023-06-01");
            using HttpResponseMessage response = await Godex.Http.SendAsync(request, TestContext.Current.CancellationToken);
            string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        }

        public async ValueTask DisposeAsync()
        {
            await Godex.DisposeAsync();
            await Simulator.DisposeAsync();
            Directory.Delete(_logins, recursive: true);
        }
    }
}
