using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Server.Tests.EndToEnd;
using Godex.Simulator;

namespace Godex.Server.Tests.Custom;

/// <summary>
/// A custom OpenAI-compatible backend (<c>proxy.backends.custom.sim</c>) on the simulator's chat upstream, through a
/// real godex: chat clients pass through, the other dialects are translated (with the quirky upstream: tool calls
/// whole in the finishing chunk, without ids), the client's <c>X-Provider-Key</c> is the bearer the upstream receives,
/// and discovered models are listed.
/// </summary>
public sealed class OpenAICompatibleBackendTests
{
    private const string ConfiguredKey = "sk-configured";

    [Fact]
    public async Task ChatClient_PassesThroughByteForByte_TheUpstreamGetsTheClientsBodyAndTheClientTheUpstreamsChunks()
    {
        await using Setup setup = await Setup.StartAsync("/openai/v1");
        const string body = """{"messages":[{"role":"user","content":"hello there"}],  "model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}""";

        (HttpStatusCode status, string text) = await setup.PostAsync("v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.OK, status);
        (string path, byte[] received) = Assert.Single(setup.Simulator.State.Bodies, b => b.Path.EndsWith("/chat/completions", StringComparison.Ordinal));
        Assert.Equal("/openai/v1/chat/completions", path);
        Assert.Equal(body, Encoding.UTF8.GetString(received));

        // The simulator's own fingerprint and its choices:[] usage chunk: godex's translated writer sends neither.
        Assert.Contains("\"system_fingerprint\":\"fp_godexsim01\"", text, StringComparison.Ordinal);
        Assert.Contains("\"choices\":[],\"usage\":", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.Equal(ConfiguredKey, setup.Simulator.State.LastBearer("/openai/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatClient_ModelRewritten_OnlyTheModelChanges()
    {
        await using Setup setup = await Setup.StartAsync("/openai/v1", alias: true);
        const string body = """{"model":"local","messages":[{"role":"user","content":"caf\u00e9 1.50"}],"temperature":0.50}""";

        (HttpStatusCode status, string text) = await setup.PostAsync("v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"object\":\"chat.completion\"", text, StringComparison.Ordinal);
        byte[] received = setup.Simulator.State.Bodies.Single(b => b.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).Body;
        Assert.Equal("""{"model":"gpt-4o","messages":[{"role":"user","content":"caf\u00e9 1.50"}],"temperature":0.50}""", Encoding.UTF8.GetString(received));
    }

    [Fact]
    public async Task ProviderKeyHeader_ArrivesUpstreamAsTheBearer_OnPassthroughAndTranslatedRequests()
    {
        await using Setup setup = await Setup.StartAsync("/quirky/v1");

        (HttpStatusCode chat, _) = await setup.PostAsync("v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", providerKey: "sk-client-chat");
        Assert.Equal(HttpStatusCode.OK, chat);
        Assert.Equal("sk-client-chat", setup.Simulator.State.LastBearer("/quirky/v1/chat/completions"));

        (HttpStatusCode responses, _) = await setup.PostAsync("v1/responses", """{"model":"gpt-4o","input":"hi","stream":true}""", providerKey: "sk-client-responses");
        Assert.Equal(HttpStatusCode.OK, responses);
        Assert.Equal("sk-client-responses", setup.Simulator.State.LastBearer("/quirky/v1/chat/completions"));

        (HttpStatusCode messages, _) = await setup.PostAsync("v1/messages", """{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, messages);
        Assert.Equal(ConfiguredKey, setup.Simulator.State.LastBearer("/quirky/v1/chat/completions"));

        // A value no upstream header may carry (oversized) is not sent: the configured key is.
        (HttpStatusCode unsafeKey, _) = await setup.PostAsync("v1/responses", """{"model":"gpt-4o","input":"hi"}""", providerKey: "sk-" + new string('k', 2000));
        Assert.Equal(HttpStatusCode.OK, unsafeKey);
        Assert.Equal(ConfiguredKey, setup.Simulator.State.LastBearer("/quirky/v1/chat/completions"));
    }

    [Fact]
    public async Task RejectedProviderKey_IsNotRetriedWithTheConfiguredKey()
    {
        await using Setup setup = await Setup.StartAsync("/openai/v1", chatApiKey: ConfiguredKey);

        (HttpStatusCode status, string text) = await setup.PostAsync("v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", providerKey: "sk-wrong");

        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.DoesNotContain("sk-wrong", text, StringComparison.Ordinal);
        Assert.Equal(1, setup.Simulator.State.CallCount("/openai/v1/chat/completions"));
    }

    [Fact]
    public async Task MessagesClient_ToolTurnOnTheQuirkyUpstream_GetsAStableCallIdAndItsAnswerIsAccepted()
    {
        await using Setup setup = await Setup.StartAsync("/quirky/v1");
        const string tools = """[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]""";

        (HttpStatusCode first, string answer) = await setup.PostAsync("v1/messages", $$"""{"model":"gpt-4o","max_tokens":200,"tools":{{tools}},"messages":[{"role":"user","content":"use the weather tool for Paris"}]}""");
        Assert.Equal(HttpStatusCode.OK, first);
        using JsonDocument document = JsonDocument.Parse(answer);
        Assert.Equal("tool_use", document.RootElement.GetProperty("stop_reason").GetString());
        JsonElement call = document.RootElement.GetProperty("content").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "tool_use");
        string id = call.GetProperty("id").GetString()!;
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal("get_weather", call.GetProperty("name").GetString());

        // The upstream validates like OpenAI: the tool result must answer the id the call was given.
        string second = $$"""
            {"model":"gpt-4o","max_tokens":200,"stream":true,"tools":{{tools}},"messages":[
              {"role":"user","content":"use the weather tool for Paris"},
              {"role":"assistant","content":[{"type":"tool_use","id":"{{id}}","name":"get_weather","input":{{call.GetProperty("input").GetRawText()}}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"{{id}}","content":"sunny, 21 C"}]}]}
            """;
        (HttpStatusCode status, string text) = await setup.PostAsync("v1/messages", second);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("sunny", text, StringComparison.Ordinal);
        Assert.Contains("event: message_stop", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsEndpoint_ListsTheDiscoveredModels()
    {
        await using Setup setup = await Setup.StartAsync("/openai/v1");

        using HttpResponseMessage response = await setup.Godex.Http.GetAsync("v1/models", TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        using JsonDocument document = JsonDocument.Parse(text);
        string[] discovered = [.. document.RootElement.GetProperty("data").EnumerateArray()
            .Where(m => m.GetProperty("owned_by").GetString() == "sim").Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal(["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3"], discovered);
        Assert.Equal(1, setup.Simulator.State.CallCount("/openai/v1/models"));
    }

    [Fact]
    public async Task OpenAIResponsesType_ResponsesClientPassesThrough_ChatClientIsTranslated()
    {
        // The simulator's Codex endpoint speaks the Responses API (with Codex's own demands: instructions, store, stream).
        await using Setup setup = await Setup.StartAsync("/backend-api/codex", type: "openai-responses");
        const string body = """{"model":"gpt-4o","instructions":"Be brief.","input":[{"type":"message","role":"user","content":"hello"}],"stream":true,"store":false}""";

        (HttpStatusCode relayed, string text) = await setup.PostAsync("v1/responses", body, providerKey: "sk-client-responses");

        Assert.Equal(HttpStatusCode.OK, relayed);
        Assert.Contains("event: response.completed", text, StringComparison.Ordinal);
        Assert.Equal(body, Encoding.UTF8.GetString(setup.Simulator.State.Bodies.Single().Body));
        Assert.Equal("sk-client-responses", setup.Simulator.State.LastBearer("/backend-api/codex/responses"));

        (HttpStatusCode translated, string chat) = await setup.PostAsync("v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}""");
        Assert.Equal(HttpStatusCode.OK, translated);
        Assert.Contains("\"object\":\"chat.completion\"", chat, StringComparison.Ordinal);
        Assert.Equal(ConfiguredKey, setup.Simulator.State.LastBearer("/backend-api/codex/responses"));
    }

    private sealed class Setup : IAsyncDisposable
    {
        private Setup(SimulatorHost simulator, GodexAppHarness godex)
        {
            Simulator = simulator;
            Godex = godex;
        }

        public SimulatorHost Simulator { get; }

        public GodexAppHarness Godex { get; }

        public static async Task<Setup> StartAsync(string prefix, bool alias = false, string? chatApiKey = null, string type = "openai")
        {
            SimulatorHost simulator = await SimulatorHost.StartAsync(new SimulatorOptions { ChatApiKey = chatApiKey }, TestContext.Current.CancellationToken);
            GodexAppHarness godex = await GodexAppHarness.StartAsync(options =>
            {
                options.Proxy.Simulator = "off";
                options.Proxy.Backends.Codex.Enabled = false;
                options.Proxy.Backends.Anthropic.Enabled = false;
                options.Proxy.Backends.Custom.Add(new CustomBackendOptions
                {
                    Name = "sim",
                    Type = type,
                    BaseUrl = simulator.BaseUrl.ToString().TrimEnd('/') + prefix,
                    Auth = new CustomAuthOptions { Type = "api_key", Key = ConfiguredKey },
                    RetryMax = 0,
                });
                options.Routing.Default = null;
                options.Routing.Patterns = [new("sim", ["gpt-4", "o3"])];
                if (alias)
                {
                    options.Routing.Aliases["local"] = "gpt-4o";
                }
            });
            return new Setup(simulator, godex);
        }

        public async Task<(HttpStatusCode Status, string Text)> PostAsync(string path, string body, string? providerKey = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (providerKey is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Provider-Key", providerKey);
            }

            using HttpResponseMessage response = await Godex.Http.SendAsync(request, TestContext.Current.CancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        public async ValueTask DisposeAsync()
        {
            await Godex.DisposeAsync();
            await Simulator.DisposeAsync();
        }
    }
}
