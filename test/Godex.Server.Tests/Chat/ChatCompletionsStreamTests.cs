using System.Net;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Chat;

public sealed class ChatCompletionsStreamTests
{
    private const string StreamBody = """{"model":"gpt-5.2-codex","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""";

    private static readonly Usage s_usage = new() { InputTokens = 14, OutputTokens = 30, CachedInputTokens = 4, ReasoningTokens = 2 };

    private static async Task<(HttpResponseMessage Response, List<string> Data)> PostStreamAsync(KestrelTestHost host, string body = StreamBody)
    {
        HttpResponseMessage response = await host.Client.PostAsync("v1/chat/completions", ChatTestServer.Json(body), TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response, ChatTestServer.DataLines(text));
    }

    [Fact]
    public async Task Stream_Text_ExactChunkSequenceWithUsageAndDone()
    {
        var backend = new FakeChatBackend("codex",
            new ResponseStartedEvent("resp_1", "gpt-5.2-codex"),
            new ReasoningDeltaEvent("thinking..."),
            new TextDeltaEvent("Hel"),
            new TextDeltaEvent("lo"),
            new UsageEvent(s_usage),
            new ResponseCompletedEvent(FinishReason.Stop, Usage.Empty));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (HttpResponseMessage response, List<string> data) = await PostStreamAsync(host);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());

        string id = ChatTestServer.ParseJson(data[0]).GetProperty("id").GetString()!;
        Assert.StartsWith("chatcmpl-", id, StringComparison.Ordinal);
        long created = ChatTestServer.Now.ToUnixTimeSeconds();
        string head = $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":{{created}},"model":"gpt-5.2-codex","system_fingerprint":null,"choices":""";
        string[] expected =
        [
            head + """[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}""",
            head + """[{"index":0,"delta":{"reasoning_content":"thinking..."},"logprobs":null,"finish_reason":null}]}""",
            head + """[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]}""",
            head + """[{"index":0,"delta":{"content":"lo"},"logprobs":null,"finish_reason":null}]}""",
            head + """[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}""",
            head + """[],"usage":{"prompt_tokens":14,"completion_tokens":30,"total_tokens":44,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}""",
            "[DONE]",
        ];
        Assert.Equal(expected, data);
        Assert.Equal("gpt-5.2-codex", Assert.Single(backend.Requests).Model);
    }

    [Fact]
    public async Task Stream_WithoutIncludeUsage_NoUsageChunk()
    {
        var backend = new FakeChatBackend("codex", new TextDeltaEvent("x"), new ResponseCompletedEvent(FinishReason.Stop, s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (_, List<string> data) = await PostStreamAsync(host, """{"model":"gpt-5.2-codex","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(4, data.Count);
        Assert.Equal("stop", ChatTestServer.ParseJson(data[2]).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("[DONE]", data[3]);
        Assert.DoesNotContain(data, d => d.Contains("\"usage\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_TwoParallelToolCalls_OfficialDeltaShapes()
    {
        var backend = new FakeChatBackend("codex",
            new ToolCallStartedEvent(0, "call_a", "get_weather"),
            new ToolCallArgumentsDeltaEvent(0, "{\"city\":"),
            new ToolCallArgumentsDeltaEvent(0, "\"Paris\"}"),
            new ToolCallCompletedEvent(0, new ToolCallPart("call_a", "get_weather", "{\"city\":\"Paris\"}")),
            new ToolCallStartedEvent(1, "call_b", "get_stock_price"),
            // Only the done snapshot carries call b's arguments: they must still reach the client.
            new ToolCallCompletedEvent(1, new ToolCallPart("call_b", "get_stock_price", "{\"ticker\":\"AAPL\"}")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (_, List<string> data) = await PostStreamAsync(host);

        string[] deltas = [.. data.Take(data.Count - 2).Select(d => ChatTestServer.ParseJson(d).GetProperty("choices")[0].GetProperty("delta").GetRawText())];
        string[] expected =
        [
            """{"role":"assistant","content":null}""",
            """{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}""",
            """{"tool_calls":[{"index":0,"function":{"arguments":"{\u0022city\u0022:"}}]}""",
            """{"tool_calls":[{"index":0,"function":{"arguments":"\u0022Paris\u0022}"}}]}""",
            """{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_stock_price","arguments":""}}]}""",
            """{"tool_calls":[{"index":1,"function":{"arguments":"{\u0022ticker\u0022:\u0022AAPL\u0022}"}}]}""",
            """{}""",
        ];
        Assert.Equal(expected.Length, deltas.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertJson(expected[i], ChatTestServer.ParseJson(deltas[i]));
        }

        Assert.Equal("tool_calls", ChatTestServer.ParseJson(data[^3]).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, ChatTestServer.ParseJson(data[^2]).GetProperty("choices").GetArrayLength());
        Assert.Equal("[DONE]", data[^1]);
    }

    [Theory]
    [InlineData("length")]
    [InlineData("content_filter")]
    [InlineData("tool_calls")]
    [InlineData("stop")]
    public async Task Stream_FinishReason_IsPassedThrough(string reason)
    {
        var backend = new FakeChatBackend("codex", new TextDeltaEvent("partial"), new ResponseCompletedEvent(new FinishReason(reason), s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (_, List<string> data) = await PostStreamAsync(host);

        JsonElement finish = ChatTestServer.ParseJson(data[^3]);
        Assert.Equal(reason, finish.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("{}", finish.GetProperty("choices")[0].GetProperty("delta").GetRawText());
    }

    [Fact]
    public async Task Stream_Refusal_RefusalDeltas()
    {
        var backend = new FakeChatBackend("codex", new RefusalDeltaEvent("I can't"), new ResponseCompletedEvent(FinishReason.Stop, s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (_, List<string> data) = await PostStreamAsync(host);

        Assert.Equal("""{"role":"assistant","content":null,"refusal":""}""", ChatTestServer.ParseJson(data[0]).GetProperty("choices")[0].GetProperty("delta").GetRawText());
        AssertJson("""{"refusal":"I can't"}""", ChatTestServer.ParseJson(data[1]).GetProperty("choices")[0].GetProperty("delta"));
    }

    [Fact]
    public async Task Stream_ErrorAfterFirstByte_InBandErrorThenDone()
    {
        var backend = new FakeChatBackend("codex",
            new TextDeltaEvent("partial"),
            new StreamErrorEvent(new BackendError(502, "api_error", "upstream stream cut") { Code = "stream_cut" }));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (HttpResponseMessage response, List<string> data) = await PostStreamAsync(host);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"error":{"message":"upstream stream cut","type":"api_error","code":"stream_cut"}}""", data[^2]);
        Assert.Equal("[DONE]", data[^1]);
    }

    [Fact]
    public async Task Stream_BackendEndsWithoutTerminalEvent_InBandErrorNotHang()
    {
        var backend = new FakeChatBackend("codex", new TextDeltaEvent("partial"));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (_, List<string> data) = await PostStreamAsync(host);

        Assert.Contains("\"error\"", data[^2], StringComparison.Ordinal);
        Assert.Equal("[DONE]", data[^1]);
    }

    [Fact]
    public async Task Stream_ClientDisconnects_BackendCancelledWithinTwoSeconds()
    {
        var backend = new FakeChatBackend("codex", (_, ct) => SlowAsync(ct));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        // No drain on dispose: the default handler would keep reading for 2 s to reuse the connection.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = host.BaseAddress };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ChatTestServer.Json(StreamBody) })
        using (HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Stream body = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            byte[] buffer = new byte[256];
            Assert.True(await body.ReadAsync(buffer, TestContext.Current.CancellationToken) > 0);
        }

        Task finished = await Task.WhenAny(backend.Cancelled, Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken));
        Assert.Same(backend.Cancelled, finished);

        static async IAsyncEnumerable<StreamEvent> SlowAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            yield return new TextDeltaEvent("first");
            await Task.Delay(Timeout.Infinite, ct);
            yield return new ResponseCompletedEvent(FinishReason.Stop, Usage.Empty);
        }
    }

    [Fact]
    public async Task NonStream_TextWithUsageDetails_OfficialShape()
    {
        var backend = new FakeChatBackend("codex",
            new ResponseStartedEvent("resp_1", "gpt-5.2-codex"),
            new TextDeltaEvent("Hello"),
            new TextDeltaEvent(" world"),
            new ResponseCompletedEvent(FinishReason.Stop, s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        HttpResponseMessage response = await host.Client.PostAsync("v1/chat/completions",
            ChatTestServer.Json("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}"""), TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = ChatTestServer.ParseJson(body);
        string id = root.GetProperty("id").GetString()!;
        string expected = """
            {"id":"ID","object":"chat.completion","created":CREATED,"model":"gpt-5.2-codex","system_fingerprint":null,
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello world","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],
             "usage":{"prompt_tokens":14,"completion_tokens":30,"total_tokens":44,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},
                      "completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}
            """;
        AssertJson(expected.Replace("ID", id, StringComparison.Ordinal).Replace("CREATED", ChatTestServer.Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), root);
        Assert.False(backend.WasCancelled);
    }

    [Fact]
    public async Task NonStream_ToolCalls_ContentNullAndToolCallsArray()
    {
        var backend = new FakeChatBackend("codex",
            new ToolCallStartedEvent(0, "call_a", "f"),
            new ToolCallCompletedEvent(0, new ToolCallPart("call_a", "f", "{}")),
            new ToolCallStartedEvent(1, "call_b", "g"),
            new ToolCallCompletedEvent(1, new ToolCallPart("call_b", "g", "{\"x\":1}")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        HttpResponseMessage response = await host.Client.PostAsync("v1/chat/completions",
            ChatTestServer.Json("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}"""), TestContext.Current.CancellationToken);
        JsonElement choice = ChatTestServer.ParseJson(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).GetProperty("choices")[0];

        Assert.Equal(JsonValueKind.Null, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        JsonElement calls = choice.GetProperty("message").GetProperty("tool_calls");
        Assert.Equal(2, calls.GetArrayLength());
        AssertJson("""{"id":"call_b","type":"function","function":{"name":"g","arguments":"{\"x\":1}"}}""", calls[1]);
    }

    private static void AssertJson(string expected, JsonElement actual) =>
        Assert.True(JsonElement.DeepEquals(ChatTestServer.ParseJson(expected), actual), "expected " + expected + "\nactual   " + actual.GetRawText());
}
