using System.Net;
using System.Text;
using System.Text.Json;
using Godex.TestUtilities;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// Recorded real upstream streams (test/fixtures) served byte for byte by a test upstream must come out
/// of godex's /v1/chat/completions as correct chat completions, streamed and not.
/// </summary>
public sealed class RecordedUpstreamTests : IAsyncLifetime
{
    private FixtureUpstream _upstream = null!;
    private GodexAppHarness _godex = null!;
    private string _home = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FixtureUpstream.StartAsync();
        _home = Directory.CreateTempSubdirectory("godex-e2e-").FullName;
        string authPath = Path.Combine(_home, "auth.json");
        await File.WriteAllTextAsync(authPath, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""", TestContext.Current.CancellationToken);
        string root = _upstream.BaseUrl.ToString().TrimEnd('/');
        _godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Simulator = "off";
            options.Proxy.Backends.Codex.BaseUrl = root + "/backend-api/codex";
            options.Proxy.Backends.Codex.AuthPath = authPath;
            options.Proxy.Backends.Codex.RetryMax = 0;
            options.Proxy.Backends.Anthropic.BaseUrl = root;
            options.Proxy.Backends.Anthropic.ApiKey = "sk-ant-test";
            options.Proxy.Backends.Anthropic.RetryMax = 0;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task AnthropicToolUse_NonStream_BecomesToolCallWithUsage()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/tool_use_response.sse"));

        using JsonDocument body = await PostAsync("claude-sonnet-4-5", stream: false);

        JsonElement choice = body.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        JsonElement message = choice.GetProperty("message");
        Assert.Equal("I'll check the current weather in Paris for you.", message.GetProperty("content").GetString());
        JsonElement call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("toolu_01NRLabsLyVHZPKxbKvkfSMn", call.GetProperty("id").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        AssertJsonEqual("""{"location": "Paris"}""", call.GetProperty("function").GetProperty("arguments").GetString()!);
        JsonElement usage = body.RootElement.GetProperty("usage");
        Assert.Equal(377, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(65, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(442, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task AnthropicToolUse_AskedByAResponsesClient_BecomesMessageAndFunctionCallItems()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/tool_use_response.sse"));
        const string json = """{"model":"claude-sonnet-4-5","input":"What's the weather in Paris?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}]}""";

        using HttpResponseMessage response = await _godex.Http.PostAsync("/v1/responses", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode, body);
        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement root = document.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        JsonElement[] output = [.. root.GetProperty("output").EnumerateArray()];
        JsonElement message = Assert.Single(output, o => o.GetProperty("type").GetString() == "message");
        Assert.Equal("I'll check the current weather in Paris for you.", message.GetProperty("content")[0].GetProperty("text").GetString());
        JsonElement call = Assert.Single(output, o => o.GetProperty("type").GetString() == "function_call");
        Assert.Equal("toolu_01NRLabsLyVHZPKxbKvkfSMn", call.GetProperty("call_id").GetString());
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        AssertJsonEqual("""{"location": "Paris"}""", call.GetProperty("arguments").GetString()!);
        Assert.Equal(377, root.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(65, root.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task AnthropicToolUse_Stream_StreamsTextAndToolCallDeltas()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/tool_use_response.sse"));

        List<JsonElement> chunks = await PostStreamAsync("claude-sonnet-4-5");

        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("I'll check the current weather in Paris for you.", StreamedText(chunks));
        (string id, string name, string arguments) = StreamedToolCall(chunks, 0);
        Assert.Equal("toolu_01NRLabsLyVHZPKxbKvkfSMn", id);
        Assert.Equal("get_weather", name);
        AssertJsonEqual("""{"location": "Paris"}""", arguments);
        Assert.Equal(["tool_calls"], FinishReasons(chunks));
        JsonElement usage = chunks[^1].GetProperty("usage");
        Assert.Equal(377, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
    }

    [Fact]
    public async Task AnthropicThinkingWithSignatureThenRefusal_IsContentFilter()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse"));

        List<JsonElement> chunks = await PostStreamAsync("claude-sonnet-4-5");

        Assert.Equal("Hi", StreamedText(chunks));
        Assert.Equal(["content_filter"], FinishReasons(chunks));
    }

    [Fact]
    public async Task AnthropicRefusal_NonStream_IsContentFilter()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/refusal_response.sse"));

        using JsonDocument body = await PostAsync("claude-opus-4-5", stream: false);

        Assert.Equal("content_filter", body.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task AnthropicPartialJsonCutByMaxTokens_IsLengthWithThePartialCall()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/incomplete_partial_json_response.sse"));

        List<JsonElement> chunks = await PostStreamAsync("claude-sonnet-4-5");

        Assert.StartsWith("I'll create a comprehensive tax guide", StreamedText(chunks), StringComparison.Ordinal);
        (string id, string name, string arguments) = StreamedToolCall(chunks, 0);
        Assert.Equal("toolu_01EKqbqmZrGRXy18eN7m9kvY", id);
        Assert.Equal("make_file", name);
        Assert.StartsWith("{\"filename\": \"taxes.txt\"", arguments, StringComparison.Ordinal);
        Assert.Equal(["length"], FinishReasons(chunks));
    }

    [Fact]
    public async Task CodexFunctionCall_NonStream_BecomesToolCallWithReasoningUsage()
    {
        _upstream.Enqueue(Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse"));

        using JsonDocument body = await PostAsync("o3", stream: false);

        JsonElement choice = body.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        JsonElement call = Assert.Single(choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_DhtkoVLdnlohlERqrxpUjb25", call.GetProperty("id").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        AssertJsonEqual("""{"location":{"x":"Beijing","y":"China"},"units":"celsius"}""", call.GetProperty("function").GetProperty("arguments").GetString()!);
        JsonElement usage = body.RootElement.GetProperty("usage");
        Assert.Equal(84, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(94, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(64, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task CodexFunctionCall_Stream_ArgumentsArriveInPieces()
    {
        _upstream.Enqueue(Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse"));

        List<JsonElement> chunks = await PostStreamAsync("o3");

        (string id, string name, string arguments) = StreamedToolCall(chunks, 0);
        Assert.Equal("call_DhtkoVLdnlohlERqrxpUjb25", id);
        Assert.Equal("get_weather", name);
        AssertJsonEqual("""{"location":{"x":"Beijing","y":"China"},"units":"celsius"}""", arguments);
        Assert.True(chunks.Count(c => HasToolCallDelta(c)) > 5, "arguments should stream in several chunks");
        Assert.Equal(["tool_calls"], FinishReasons(chunks));
    }

    [Fact]
    public async Task CodexStreamCutBeforeCompleted_Stream_EndsWithInBandErrorThenDone()
    {
        byte[] whole = Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse");
        string text = Encoding.UTF8.GetString(whole);
        int cut = text.IndexOf("event: response.function_call_arguments.done", StringComparison.Ordinal);
        _upstream.Enqueue(Encoding.UTF8.GetBytes(text[..cut]));

        using HttpResponseMessage response = await SendAsync("o3", stream: true);
        string raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string[] events = [.. raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim())];
        Assert.Equal("data: [DONE]", events[^1]);
        using JsonDocument error = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Contains("ended before", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CodexStreamCutBeforeCompleted_NonStream_Is502()
    {
        string text = Fixtures.Text("openai-responses-real/o3-function-call.stream.sse");
        _upstream.Enqueue(Encoding.UTF8.GetBytes(text[..text.IndexOf("event: response.completed", StringComparison.Ordinal)]));

        using HttpResponseMessage response = await SendAsync("o3", stream: false);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains("ended before", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnthropicOverloadedBeforeFirstByte_Is503ForAnOpenAIClient_WithTheMessage()
    {
        _upstream.Enqueue(Encoding.UTF8.GetBytes("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""), 529, "application/json");

        using HttpResponseMessage response = await SendAsync("claude-sonnet-4-5", stream: true);

        // 529 is Anthropic's own status: OpenAI clients know 503 (and retry it).
        Assert.Equal(503, (int)response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Overloaded", error.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    private async Task<JsonDocument> PostAsync(string model, bool stream)
    {
        using HttpResponseMessage response = await SendAsync(model, stream);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body);
    }

    private async Task<List<JsonElement>> PostStreamAsync(string model)
    {
        using HttpResponseMessage response = await SendAsync(model, stream: true);
        string raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {raw}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] events = [.. raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim())];
        Assert.Equal("data: [DONE]", events[^1]);
        return [.. events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone())];
    }

    private Task<HttpResponseMessage> SendAsync(string model, bool stream)
    {
        string streamFields = stream ? "\"stream\":true,\"stream_options\":{\"include_usage\":true}," : "\"stream\":false,";
        string json = "{\"model\":\"" + model + "\"," + streamFields + """
             "messages":[{"role":"user","content":"What's the weather in Paris?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]}
            """;
        return _godex.Http.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
    }

    private static string StreamedText(List<JsonElement> chunks) =>
        string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String ? content.GetString() : ""));

    private static bool HasToolCallDelta(JsonElement chunk) =>
        chunk.GetProperty("choices").GetArrayLength() > 0
        && chunk.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("tool_calls", out _);

    private static (string Id, string Name, string Arguments) StreamedToolCall(List<JsonElement> chunks, int index)
    {
        string? id = null;
        string? name = null;
        var arguments = new StringBuilder();
        foreach (JsonElement chunk in chunks.Where(HasToolCallDelta))
        {
            foreach (JsonElement call in chunk.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls").EnumerateArray())
            {
                if (call.GetProperty("index").GetInt32() != index)
                {
                    continue;
                }

                if (call.TryGetProperty("id", out JsonElement idElement))
                {
                    Assert.Null(id);
                    id = idElement.GetString();
                }

                JsonElement function = call.GetProperty("function");
                if (function.TryGetProperty("name", out JsonElement nameElement))
                {
                    name = nameElement.GetString();
                }

                if (function.TryGetProperty("arguments", out JsonElement args))
                {
                    arguments.Append(args.GetString());
                }
            }
        }

        return (id!, name!, arguments.ToString());
    }

    private static List<string> FinishReasons(List<JsonElement> chunks) =>
        [.. chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("finish_reason"))
            .Where(f => f.ValueKind == JsonValueKind.String)
            .Select(f => f.GetString()!)];

    private static void AssertJsonEqual(string expected, string actual)
    {
        using JsonDocument e = JsonDocument.Parse(expected);
        using JsonDocument a = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement), $"expected {expected}, got {actual}");
    }
}
