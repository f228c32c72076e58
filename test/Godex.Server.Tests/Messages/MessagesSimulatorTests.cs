using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Messages;

/// <summary>
/// <c>POST /v1/messages</c> on a real godex whose providers talk HTTP to the built-in simulator: a Claude model
/// (translated to the Anthropic provider) and a GPT model (translated to the Codex backend).
/// </summary>
public sealed class MessagesSimulatorTests
{
    private const string WeatherTool = """
        {"name":"get_weather","description":"Current weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}
        """;

    private static string Body(string model, bool stream, string messages, string extra = "", int maxTokens = 1024) =>
        $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":{{messages}}{{extra}}}""";

    private static async Task<List<SseFrame>> StreamAsync(GodexAppHarness godex, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages?beta=true") { Content = content };
        request.Headers.Add("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14,some-future-beta");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using HttpResponseMessage response = await godex.Http.SendAsync(request, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        List<SseFrame> frames = SseFrame.Parse(text);
        AssertWellFormed(frames);
        return frames;
    }

    private static async Task<JsonElement> CreateAsync(GodexAppHarness godex, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/messages", content, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The grammar of a Messages stream: start, blocks opened/closed in index order, one ping, delta, stop.</summary>
    internal static void AssertWellFormed(List<SseFrame> frames)
    {
        Assert.Equal("message_start", frames[0].Event);
        Assert.Equal("message_stop", frames[^1].Event);
        Assert.Equal("message_delta", frames[^2].Event);
        int? open = null;
        int next = 0;
        foreach (SseFrame frame in frames)
        {
            Assert.Equal(frame.Event, frame.Json.GetProperty("type").GetString());
            switch (frame.Event)
            {
                case "content_block_start":
                    Assert.Null(open);
                    Assert.Equal(next, frame.Json.GetProperty("index").GetInt32());
                    open = next++;
                    break;
                case "content_block_delta":
                    Assert.Equal(open, frame.Json.GetProperty("index").GetInt32());
                    break;
                case "content_block_stop":
                    Assert.Equal(open, frame.Json.GetProperty("index").GetInt32());
                    open = null;
                    break;
            }
        }

        Assert.Null(open);
        if (next > 0)
        {
            int firstStart = frames.FindIndex(f => f.Event == "content_block_start");
            Assert.Equal("ping", frames[firstStart + 1].Event);
        }
    }

    private static string Deltas(List<SseFrame> frames, string deltaType, string field) => string.Concat(frames
        .Where(f => f.Event == "content_block_delta" && f.Json.GetProperty("delta").GetProperty("type").GetString() == deltaType)
        .Select(f => f.Json.GetProperty("delta").GetProperty(field).GetString()));

    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("gpt-5.2-codex")]
    public async Task Stream_Text_HasRealInputTokensAndEndTurn(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        List<SseFrame> frames = await StreamAsync(godex, Body(model, true, """[{"role":"user","content":"Stream a greeting"}]""", ",\"system\":\"You are terse.\""));

        JsonElement message = frames[0].Json.GetProperty("message");
        Assert.StartsWith("msg_", message.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.True(message.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.Contains("Stream a greeting", Deltas(frames, "text_delta", "text"), StringComparison.Ordinal);
        JsonElement delta = frames[^2].Json;
        Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.True(delta.GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
        Assert.True(delta.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("gpt-5.2-codex")]
    public async Task Create_Text_ReturnsMessage(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        JsonElement message = await CreateAsync(godex, Body(model, false, """[{"role":"user","content":[{"type":"text","text":"Say hello"}]}]"""));

        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        JsonElement text = Assert.Single(message.GetProperty("content").EnumerateArray());
        Assert.Equal("text", text.GetProperty("type").GetString());
        Assert.Contains("Say hello", text.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(message.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.True(message.GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", true)]
    [InlineData("claude-sonnet-4-5", false)]
    [InlineData("gpt-5.2-codex", true)]
    [InlineData("gpt-5.2-codex", false)]
    public async Task ToolUse_ThenToolResult_AnswersFromResult(string model, bool stream)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string tools = $$""","tools":[{{WeatherTool}}]""";
        const string Question = """{"role":"user","content":"What is the weather in Paris? Use the get_weather tool."}""";

        string id, name, input;
        if (stream)
        {
            List<SseFrame> frames = await StreamAsync(godex, Body(model, true, $"[{Question}]", tools));
            SseFrame start = frames.Single(f => f.Event == "content_block_start" && f.Json.GetProperty("content_block").GetProperty("type").GetString() == "tool_use");
            id = start.Json.GetProperty("content_block").GetProperty("id").GetString()!;
            name = start.Json.GetProperty("content_block").GetProperty("name").GetString()!;
            input = Deltas(frames, "input_json_delta", "partial_json");
            Assert.Equal("tool_use", frames[^2].Json.GetProperty("delta").GetProperty("stop_reason").GetString());
        }
        else
        {
            JsonElement message = await CreateAsync(godex, Body(model, false, $"[{Question}]", tools));
            Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
            JsonElement block = message.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
            id = block.GetProperty("id").GetString()!;
            name = block.GetProperty("name").GetString()!;
            input = block.GetProperty("input").GetRawText();
        }

        Assert.Equal("get_weather", name);
        using (JsonDocument arguments = JsonDocument.Parse(input))
        {
            Assert.Equal(JsonValueKind.String, arguments.RootElement.GetProperty("city").ValueKind);
        }

        string turn2 = $$"""
            [{{Question}},
             {"role":"assistant","content":[{"type":"tool_use","id":"{{id}}","name":"get_weather","input":{{input}}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"{{id}}","content":"18 degrees and sunny"}]}]
            """;
        JsonElement answer = await CreateAsync(godex, Body(model, false, turn2, tools));
        Assert.Equal("end_turn", answer.GetProperty("stop_reason").GetString());
        string text = answer.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "text").GetProperty("text").GetString()!;
        Assert.Contains("18 degrees and sunny", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", """{"type":"enabled","budget_tokens":2048}""")]
    [InlineData("gpt-5.2-codex", """{"type":"adaptive"}""")]
    public async Task Thinking_StreamsSignedBlock_ThatRoundTrips(string model, string thinking)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string extra = $$""","thinking":{{thinking}}""";

        // The API wants max_tokens above the thinking budget.
        List<SseFrame> frames = await StreamAsync(godex, Body(model, true, """[{"role":"user","content":"Think, then greet me"}]""", extra, maxTokens: 4096));

        SseFrame start = frames.First(f => f.Event == "content_block_start");
        JsonElement block = start.Json.GetProperty("content_block");
        Assert.Equal("thinking", block.GetProperty("type").GetString());
        Assert.Equal("", block.GetProperty("thinking").GetString());
        Assert.Equal("", block.GetProperty("signature").GetString());
        string thought = Deltas(frames, "thinking_delta", "thinking");
        string signature = Deltas(frames, "signature_delta", "signature");
        Assert.NotEmpty(thought);
        Assert.NotEmpty(signature);
        int signatureAt = frames.FindIndex(f => f.Event == "content_block_delta" && f.Json.GetProperty("delta").GetProperty("type").GetString() == "signature_delta");
        Assert.Equal("content_block_stop", frames[signatureAt + 1].Event);
        if (model.StartsWith("gpt", StringComparison.Ordinal))
        {
            Assert.StartsWith("godex1:", signature, StringComparison.Ordinal);
        }

        // Turn 2 echoes the thinking block with its signature, the way Claude Code does.
        string text = Deltas(frames, "text_delta", "text");
        string turn2 = $$"""
            [{"role":"user","content":"Think, then greet me"},
             {"role":"assistant","content":[{"type":"thinking","thinking":{{JsonSerializerString(thought)}},"signature":"{{signature}}"},{"type":"text","text":{{JsonSerializerString(text)}}}]},
             {"role":"user","content":"Again"}]
            """;
        JsonElement answer = await CreateAsync(godex, Body(model, false, turn2, extra, maxTokens: 4096));
        Assert.Equal("end_turn", answer.GetProperty("stop_reason").GetString());
        Assert.Equal("thinking", answer.GetProperty("content")[0].GetProperty("type").GetString());
    }

    /// <summary>A translated answer has the same blocks, in the same order, whether the client streams or not.</summary>
    [Fact]
    public async Task Translated_NonStreamedBlocks_MatchTheStreamedOnes()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string extra = $$""","thinking":{"type":"enabled","budget_tokens":4096},"tools":[{{WeatherTool}}]""";
        const string Messages = """[{"role":"user","content":"Think, then check the weather in Paris. Use the get_weather tool."}]""";

        List<SseFrame> frames = await StreamAsync(godex, Body("gpt-5.2-codex", true, Messages, extra));
        JsonElement message = await CreateAsync(godex, Body("gpt-5.2-codex", false, Messages, extra));

        var streamed = new List<string>();
        foreach (SseFrame frame in frames.Where(f => f.Event == "content_block_start"))
        {
            int index = frame.Json.GetProperty("index").GetInt32();
            string type = frame.Json.GetProperty("content_block").GetProperty("type").GetString()!;
            IEnumerable<JsonElement> deltas = frames.Where(f => f.Event == "content_block_delta" && f.Json.GetProperty("index").GetInt32() == index).Select(f => f.Json.GetProperty("delta"));
            string content = type switch
            {
                "thinking" => string.Concat(deltas.Where(d => d.GetProperty("type").GetString() == "thinking_delta").Select(d => d.GetProperty("thinking").GetString())),
                "text" => string.Concat(deltas.Select(d => d.GetProperty("text").GetString())),
                _ => frame.Json.GetProperty("content_block").GetProperty("name").GetString() + " " + JsonDocument.Parse(string.Concat(deltas.Select(d => d.GetProperty("partial_json").GetString()))).RootElement.GetRawText(),
            };
            streamed.Add(type + ": " + content);
        }

        List<string> aggregated = message.GetProperty("content").EnumerateArray().Select(block => block.GetProperty("type").GetString() switch
        {
            "thinking" => "thinking: " + block.GetProperty("thinking").GetString(),
            "text" => "text: " + block.GetProperty("text").GetString(),
            var type => type + ": " + block.GetProperty("name").GetString() + " " + block.GetProperty("input").GetRawText(),
        }).ToList();
        Assert.Equal(["thinking", "tool_use"], streamed.Select(b => b[..b.IndexOf(':', StringComparison.Ordinal)]).Distinct());
        Assert.Equal(streamed, aggregated);
        Assert.Equal(frames[^2].Json.GetProperty("delta").GetProperty("stop_reason").GetString(), message.GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("claude-request.json")]
    [InlineData("claude-request-turn2-tool-result.json")]
    public async Task CapturedClaudeCodeRequests_OnBothBackends_Complete(string file)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        using JsonDocument capture = JsonDocument.Parse(Fixtures.Text("captured-clients/" + file));
        string body = capture.RootElement.GetProperty("body").GetRawText();

        foreach (string model in new[] { "claude-sonnet-4-5", "gpt-5.2-codex" })
        {
            string routed = body.Replace(capture.RootElement.GetProperty("body").GetProperty("model").GetString()!, model, StringComparison.Ordinal);
            List<SseFrame> frames = await StreamAsync(godex, routed);
            Assert.True(frames[0].Json.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64() > 1000, model);
        }
    }

    [Fact]
    public async Task HeadAndGetRoot_Answer200()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using HttpResponseMessage head = await godex.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"), TestContext.Current.CancellationToken);
        using HttpResponseMessage get = await godex.Http.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnthropicBashTool_OnAGptModel_ComesBackAsTheSameToolUse(bool stream)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string body = Body("gpt-5.2-codex", stream, """[{"role":"user","content":"List the files. Use the bash tool."}]""", ""","tools":[{"type":"bash_20250124","name":"bash"}]""");

        JsonElement input;
        if (stream)
        {
            List<SseFrame> frames = await StreamAsync(godex, body);
            JsonElement start = frames.Single(f => f.Event == "content_block_start" && f.Json.GetProperty("content_block").GetProperty("type").GetString() == "tool_use").Json;
            Assert.Equal("bash", start.GetProperty("content_block").GetProperty("name").GetString());
            input = JsonDocument.Parse(Deltas(frames, "input_json_delta", "partial_json")).RootElement;
            Assert.Equal("tool_use", frames[^2].Json.GetProperty("delta").GetProperty("stop_reason").GetString());
        }
        else
        {
            JsonElement message = await CreateAsync(godex, body);
            JsonElement toolUse = message.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
            Assert.Equal("bash", toolUse.GetProperty("name").GetString());
            input = toolUse.GetProperty("input");
        }

        // The simulator fills the schema's required fields only, and bash requires none (restart needs no command).
        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        Assert.All(input.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "command", "restart" }));
    }

    [Theory]
    [InlineData("""{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}""", 400, "invalid_request_error", "max_tokens")]
    [InlineData("""{"model":"gpt-5.2-codex","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"computer_20250124","name":"computer","display_width_px":1024,"display_height_px":768}]}""", 400, "invalid_request_error", "computer_20250124 can only run on Anthropic")]
    // (A Claude model's body is validated by Anthropic itself, behind the byte-for-byte passthrough; godex validates
    // what it translates.)
    [InlineData("""{"model":"gpt-5.2-codex","max_tokens":10,"messages":[{"role":"user","content":[{"type":"x"}]}]}""", 400, "invalid_request_error", "messages[0].content[0].type: unknown block type \"x\"")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10}""", 400, "invalid_request_error", "messages")]
    [InlineData("""not json""", 400, "invalid_request_error", "invalid JSON")]
    [InlineData("""{"model":"no-such-model-xyz","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", 404, "not_found_error", "no-such-model-xyz")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"[sim:429] hi"}]}""", 429, "rate_limit_error", "")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"[sim:529] hi"}]}""", 529, "overloaded_error", "")]
    public async Task BadInput_GetsAnthropicErrorShape(string body, int status, string type, string messagePart)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Backends.Anthropic.RetryMax = 0;
            o.Proxy.Backends.Codex.RetryMax = 0;
            o.Routing.Default = null; // routing.default: "" keeps unmatched models a 404
        });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/messages", content, TestContext.Current.CancellationToken);

        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == (int)response.StatusCode, text);
        JsonElement root = JsonDocument.Parse(text).RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal(type, root.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(messagePart, root.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        if (status == 429)
        {
            Assert.True(response.Headers.RetryAfter is not null, "retry-after expected");
        }
    }

    [Fact]
    public async Task TooLargeBody_Gets413RequestTooLarge()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.MaxRequestBodyBytes = 100);
        using var content = new StringContent(Body("claude-sonnet-4-5", false, $$"""[{"role":"user","content":"{{new string('a', 200)}}"}]"""), Encoding.UTF8, "application/json");

        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/messages", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        JsonElement root = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("request_too_large", root.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task WrongClientKey_Gets401AuthenticationError()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.ApiKey = "right-key");
        using var content = new StringContent(Body("claude-sonnet-4-5", false, """[{"role":"user","content":"hi"}]"""), Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages?beta=true") { Content = content };
        request.Headers.Add("x-api-key", "wrong-key");

        using HttpResponseMessage response = await godex.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonElement root = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("authentication_error", root.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task SilentUpstream_GetsPingKeepAlives()
    {
        TimeSpan? saved = Godex.Server.FrontDoors.FrontDoor.Messages.KeepAliveInterval;
        Godex.Server.FrontDoors.FrontDoor.Messages.KeepAliveInterval = TimeSpan.FromMilliseconds(40);
        try
        {
            await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

            List<SseFrame> frames = await StreamAsync(godex, Body("gpt-5.2-codex", true, """[{"role":"user","content":"[sim:slow=150] Greet me slowly"}]"""));

            Assert.True(frames.Count(f => f.Event == "ping") > 1, "expected keep-alive pings besides the first one");
            Assert.Contains("Greet me slowly", Deltas(frames, "text_delta", "text"), StringComparison.Ordinal);
        }
        finally
        {
            Godex.Server.FrontDoors.FrontDoor.Messages.KeepAliveInterval = saved;
        }
    }

    private static string JsonSerializerString(string value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
