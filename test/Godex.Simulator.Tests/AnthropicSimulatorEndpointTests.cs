using System.Net;
using System.Text.Json;
using Godex.TestUtilities;

namespace Godex.Simulator.Tests;

public sealed class AnthropicSimulatorEndpointTests
{
    private const string Path = "/v1/messages?beta=true";

    private const string WeatherTool = """
        {"name":"get_weather","description":"Get the weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}
        """;

    private static string Body(string prompt, bool stream = true, string tools = "[]", string extra = "", int maxTokens = 1024) => $$"""
        {"model":"claude-sonnet-4-5","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},{{extra}}
         "messages":[{"role":"user","content":[{"type":"text","text":"<system-reminder>ignore</system-reminder>"},{"type":"text","text":{{JsonSerializer.Serialize(prompt)}}}]}],
         "tools":{{tools}}}
        """;

    // An event plus the block or delta type it carries: the unit the fixtures are compared by.
    private static string Key(SseFrame frame)
    {
        JsonElement json = frame.Json;
        if (json.TryGetProperty("delta", out JsonElement delta) && delta.TryGetProperty("type", out JsonElement deltaType))
        {
            return frame.Event + "/" + deltaType.GetString();
        }

        return json.TryGetProperty("content_block", out JsonElement block) ? frame.Event + "/" + block.GetProperty("type").GetString() : frame.Event!;
    }

    private static List<string> Shape(List<SseFrame> frames) =>
        [.. frames.Select(Key).Where((key, i) => !key.StartsWith("content_block_delta", StringComparison.Ordinal) || i == 0 || Key(frames[i - 1]) != key)];

    private static void AssertSameFields(List<SseFrame> recorded, List<SseFrame> actual)
    {
        foreach (SseFrame frame in actual)
        {
            SseFrame model = recorded.First(f => Key(f) == Key(frame));
            Assert.Equal(frame.Event, frame.Json.GetProperty("type").GetString());
            Assert.Superset(SseFrame.FieldNames(model.Json), SseFrame.FieldNames(frame.Json));
            foreach (string nested in new[] { "message", "content_block", "delta" })
            {
                if (model.Json.TryGetProperty(nested, out JsonElement expected) && expected.ValueKind == JsonValueKind.Object)
                {
                    Assert.Superset(SseFrame.FieldNames(expected), SseFrame.FieldNames(frame.Json.GetProperty(nested)));
                }
            }
        }
    }

    private static async Task<List<SseFrame>> StreamAsync(SimulatorTestClient client, string body)
    {
        using HttpResponseMessage response = await client.PostAsync(Path, body, bearer: null, apiKey: "sk-ant-test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        (string text, bool cut) = await SimulatorTestClient.ReadAllAsync(response);
        Assert.False(cut);
        return SseFrame.Parse(text);
    }

    [Fact]
    public async Task ToolUseStream_MatchesRecordedToolUseShape()
    {
        List<SseFrame> recorded = SseFrame.Parse(Fixtures.Text("anthropic-sdk-python/tool_use_response.sse"));
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("What's the weather in Paris?", tools: "[" + WeatherTool + "]"));

        Assert.Equal(Shape(recorded), Shape(frames));
        AssertSameFields(recorded, frames);
        Assert.Equal("tool_use", frames.Single(f => f.Event == "message_delta").Json.GetProperty("delta").GetProperty("stop_reason").GetString());
        string json = string.Concat(frames.Where(f => Key(f) == "content_block_delta/input_json_delta").Select(f => f.Json.GetProperty("delta").GetProperty("partial_json").GetString()));
        Assert.True(frames.Count(f => Key(f) == "content_block_delta/input_json_delta") > 2);
        using JsonDocument input = JsonDocument.Parse(json);
        Assert.Equal("Paris", input.RootElement.GetProperty("location").GetString());
        JsonElement toolUse = frames.Single(f => Key(f) == "content_block_start/tool_use").Json.GetProperty("content_block");
        Assert.StartsWith("toolu_01", toolUse.GetProperty("id").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyPatchDeclaredAsInputFunction_StreamsThePatch()
    {
        // How godex forwards Codex CLI's freeform apply_patch tool to Anthropic: a function with one string "input".
        const string ApplyPatch = """{"name":"apply_patch","input_schema":{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}}""";
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("use apply_patch to create hello.txt", tools: "[" + WeatherTool + "," + ApplyPatch + "]"));

        Assert.Equal("apply_patch", frames.Single(f => Key(f) == "content_block_start/tool_use").Json.GetProperty("content_block").GetProperty("name").GetString());
        string json = string.Concat(frames.Where(f => Key(f) == "content_block_delta/input_json_delta").Select(f => f.Json.GetProperty("delta").GetProperty("partial_json").GetString()));
        using JsonDocument input = JsonDocument.Parse(json);
        Assert.Equal("*** Begin Patch\n*** Add File: hello.txt\n+hello from godex simulator\n*** End Patch\n", input.RootElement.GetProperty("input").GetString());
    }

    [Fact]
    public async Task ThinkingStream_MatchesRecordedThinkingShape()
    {
        List<SseFrame> recorded = SseFrame.Parse(Fixtures.Text("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse"));
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("what is an eclipse? [sim:refusal]", extra: "\"thinking\":{\"type\":\"adaptive\"},"));

        Assert.Equal(Shape(recorded), Shape(frames));

        // The synthetic fixture's message_start/message_delta carry newer usage extras (iterations, stop_details); blocks are compared in full.
        AssertSameFields(recorded, [.. frames.Where(f => f.Event!.StartsWith("content_block", StringComparison.Ordinal))]);
        JsonElement signature = frames.Single(f => Key(f) == "content_block_delta/signature_delta").Json.GetProperty("delta");
        Assert.False(string.IsNullOrEmpty(signature.GetProperty("signature").GetString()));
        Assert.Equal("refusal", frames.Single(f => f.Event == "message_delta").Json.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData(false, HttpStatusCode.OK)]
    [InlineData(true, HttpStatusCode.BadRequest)]
    public async Task ThinkingSignature_CoversTheText_AsTheRealApiChecks(bool tamper, HttpStatusCode expected)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        using HttpResponseMessage first = await client.PostAsync(Path, Body("think first", stream: false, extra: "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},", maxTokens: 4096), bearer: null, apiKey: "sk-ant-test");
        using JsonDocument turn1 = JsonDocument.Parse(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement thinking = turn1.RootElement.GetProperty("content")[0];
        Assert.Equal("thinking", thinking.GetProperty("type").GetString());
        string text = thinking.GetProperty("thinking").GetString()! + (tamper ? " " : "");
        string turn2 = $$"""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"think first"},
             {"role":"assistant","content":[{"type":"thinking","thinking":{{JsonSerializer.Serialize(text)}},"signature":"{{thinking.GetProperty("signature").GetString()}}"},{"type":"text","text":"ok"}]},
             {"role":"user","content":"and now?"}]}
            """;

        using HttpResponseMessage second = await client.PostAsync(Path, turn2, bearer: null, apiKey: "sk-ant-test");

        Assert.Equal(expected, second.StatusCode);
        if (tamper)
        {
            Assert.Contains("Invalid `signature` in `thinking` block", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TextStream_EchoesLastTextBlockAndReportsUsage()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("hello claude"));

        string text = string.Concat(frames.Where(f => Key(f) == "content_block_delta/text_delta").Select(f => f.Json.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("Hello from the godex simulator (model claude-sonnet-4-5). You said: hello claude", text);
        JsonElement startUsage = frames[0].Json.GetProperty("message").GetProperty("usage");
        Assert.True(startUsage.GetProperty("input_tokens").GetInt32() > 0);
        Assert.Equal(0, startUsage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(0, startUsage.GetProperty("cache_creation_input_tokens").GetInt32());
        JsonElement delta = frames[^2].Json;
        Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(frames.Count(f => Key(f) == "content_block_delta/text_delta"), delta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("message_stop", frames[^1].Event);
        Assert.Equal("ping", frames[2].Event);
    }

    [Fact]
    public async Task NonStream_MaxTokensHonoured()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("one two three four five", stream: false, maxTokens: 3), bearer: "oauth-token");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement message = json.RootElement;
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("max_tokens", message.GetProperty("stop_reason").GetString());
        Assert.Equal(3, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("Hello from the", message.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task NoCredentials_Returns401AuthenticationError()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("hi"), bearer: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("authentication_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task MissingMaxTokens_Returns400InvalidRequest()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, """{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]}""", bearer: null, apiKey: "k");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("max_tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[sim:429]", HttpStatusCode.TooManyRequests, "rate_limit_error")]
    [InlineData("[sim:529]", (HttpStatusCode)529, "overloaded_error")]
    [InlineData("[sim:500]", HttpStatusCode.InternalServerError, "api_error")]
    public async Task FaultDirective_ReturnsAnthropicErrorBody(string directive, HttpStatusCode status, string type)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("hi " + directive), bearer: null, apiKey: "k");

        Assert.Equal(status, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(type, json.RootElement.GetProperty("error").GetProperty("type").GetString());
        if (status == HttpStatusCode.TooManyRequests)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }
    }

    [Fact]
    public async Task CutDirective_StreamEndsWithoutMessageStop()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("a fairly long prompt to echo [sim:cut]"), bearer: null, apiKey: "k");
        (string text, bool cut) = await SimulatorTestClient.ReadAllAsync(response);

        Assert.True(cut);
        Assert.Contains("text_delta", text, StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowDirective_SpacesDeltas()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        List<SseFrame> frames = await StreamAsync(client, Body("x [sim:slow=30]"));

        int deltas = frames.Count(f => f.Event == "content_block_delta");
        Assert.True(clock.ElapsedMilliseconds >= deltas * 30 * 0.8, $"{deltas} deltas in {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task CountTokensAndModels_ReturnAnthropicShapes()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage count = await client.PostAsync("/v1/messages/count_tokens", """{"model":"claude-opus-4-5","messages":[{"role":"user","content":"hello"}]}""", bearer: null, apiKey: "k");
        using JsonDocument counted = JsonDocument.Parse(await count.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(counted.RootElement.GetProperty("input_tokens").GetInt32() > 0);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("x-api-key", "k");
        using HttpResponseMessage models = await client.Http.SendAsync(request, TestContext.Current.CancellationToken);
        using JsonDocument list = JsonDocument.Parse(await models.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement data = list.RootElement.GetProperty("data");
        Assert.Contains(data.EnumerateArray(), m => m.GetProperty("id").GetString() == "claude-sonnet-4-5" && m.GetProperty("type").GetString() == "model");
        Assert.False(list.RootElement.GetProperty("has_more").GetBoolean());
        Assert.Equal(data[0].GetProperty("id").GetString(), list.RootElement.GetProperty("first_id").GetString());
        Assert.Equal(data[data.GetArrayLength() - 1].GetProperty("id").GetString(), list.RootElement.GetProperty("last_id").GetString());
    }
}
