using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Godex.Server.Tests.Simulator;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Messages;

/// <summary>
/// Recorded real Anthropic streams (../shared/wire-fixtures/anthropic-sdk-python) replayed by a test upstream and
/// asked for by a Messages client for a Claude model. Today they go through translation (canonical events and back),
/// so the assertions are about meaning: the same blocks, stop reason and usage. Passthrough will make them byte-equal.
/// </summary>
public sealed class MessagesRecordedUpstreamTests : IAsyncLifetime
{
    private FixtureUpstream _upstream = null!;
    private GodexAppHarness _godex = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FixtureUpstream.StartAsync();
        _godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Simulator = "off";
            options.Proxy.Backends.Anthropic.BaseUrl = _upstream.BaseUrl.ToString().TrimEnd('/');
            options.Proxy.Backends.Anthropic.ApiKey = "sk-ant-test";
            options.Proxy.Backends.Anthropic.RetryMax = 0;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static List<SseFrame> Recorded(string fixture) => SseFrame.Parse(Fixtures.Text("anthropic-sdk-python/" + fixture));

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(bool stream)
    {
        string body = $$"""{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"What is the weather in Paris?"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _godex.Http.PostAsync("/v1/messages?beta=true", content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>Blocks as (type, concatenated text/thinking/input, signature, tool id) from a stream.</summary>
    private static List<(string Type, string Content, string Signature, string Id)> Blocks(List<SseFrame> frames)
    {
        var blocks = new List<(string Type, StringBuilder Content, StringBuilder Signature, string Id)>();
        foreach (SseFrame frame in frames)
        {
            if (frame.Event == "content_block_start")
            {
                JsonElement block = frame.Json.GetProperty("content_block");
                blocks.Add((block.GetProperty("type").GetString()!, new StringBuilder(), new StringBuilder(),
                    block.TryGetProperty("id", out JsonElement id) ? id.GetString()! : ""));
            }
            else if (frame.Event == "content_block_delta")
            {
                JsonElement delta = frame.Json.GetProperty("delta");
                var current = blocks[frame.Json.GetProperty("index").GetInt32()];
                switch (delta.GetProperty("type").GetString())
                {
                    case "text_delta": current.Content.Append(delta.GetProperty("text").GetString()); break;
                    case "thinking_delta": current.Content.Append(delta.GetProperty("thinking").GetString()); break;
                    case "input_json_delta": current.Content.Append(delta.GetProperty("partial_json").GetString()); break;
                    case "signature_delta": current.Signature.Append(delta.GetProperty("signature").GetString()); break;
                }
            }
        }

        return [.. blocks.Select(b => (b.Type, b.Content.ToString(), b.Signature.ToString(), b.Id))];
    }

    private static JsonElement FinalUsage(List<SseFrame> frames) => frames.Last(f => f.Event == "message_delta").Json.GetProperty("usage");

    [Theory]
    [InlineData("tool_use_response.sse")]
    [InlineData("thinking-signature-refusal.synthetic.sse")]
    [InlineData("basic_response.sse")]
    [InlineData("refusal_response.sse")]
    public async Task RecordedStream_Stream_SameBlocksStopReasonAndUsage(string fixture)
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/" + fixture));
        List<SseFrame> recorded = Recorded(fixture);

        (HttpStatusCode status, string body) = await PostAsync(stream: true);

        Assert.Equal(HttpStatusCode.OK, status);
        List<SseFrame> frames = SseFrame.Parse(body);
        MessagesSimulatorTests.AssertWellFormed(frames);
        // An empty text block (refusal_response.sse) has no canonical event, so translation cannot reproduce it.
        Assert.Equal(Blocks(recorded).Where(b => b is not ("text", "", "", "")), Blocks(frames));
        Assert.Equal(
            recorded.Last(f => f.Event == "message_delta").Json.GetProperty("delta").GetProperty("stop_reason").GetString(),
            frames[^2].Json.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(FinalUsage(recorded).GetProperty("output_tokens").GetInt64(), FinalUsage(frames).GetProperty("output_tokens").GetInt64());
        long recordedInput = recorded[0].Json.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64();
        Assert.Equal(recordedInput, FinalUsage(frames).GetProperty("input_tokens").GetInt64());
        Assert.True(frames[0].Json.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.Equal(recorded[0].Json.GetProperty("message").GetProperty("id").GetString(), frames[0].Json.GetProperty("message").GetProperty("id").GetString());
    }

    [Fact]
    public async Task RecordedToolUse_NonStream_SameBlocksStopReasonAndUsage()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/tool_use_response.sse"));

        (HttpStatusCode status, string body) = await PostAsync(stream: false);

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement message = JsonDocument.Parse(body).RootElement;
        Assert.Equal("msg_019Q1hrJbZG26Fb9BQhrkHEr", message.GetProperty("id").GetString());
        Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
        JsonElement content = message.GetProperty("content");
        Assert.Equal("I'll check the current weather in Paris for you.", content[0].GetProperty("text").GetString());
        Assert.Equal("toolu_01NRLabsLyVHZPKxbKvkfSMn", content[1].GetProperty("id").GetString());
        Assert.Equal("Paris", content[1].GetProperty("input").GetProperty("location").GetString());
        Assert.Equal(377, message.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.Equal(65, message.GetProperty("usage").GetProperty("output_tokens").GetInt64());
    }

    [Theory]
    [InlineData("recorded-429-429-then-stream.json", 0)]
    [InlineData("recorded-tool-loop-then-400.json", 1)]
    public async Task RecordedErrorResponses_KeepStatusAndAnthropicType(string file, int exchange)
    {
        using JsonDocument recording = JsonDocument.Parse(Fixtures.Text("anthropic-sdk-python/" + file));
        JsonElement response = recording.RootElement[exchange].GetProperty("response");
        int status = response.GetProperty("status_code").GetInt32();
        JsonElement recordedBody = response.GetProperty("body");
        string bodyText = recordedBody.ValueKind == JsonValueKind.String ? recordedBody.GetString()! : recordedBody.GetRawText();
        _upstream.Enqueue(Encoding.UTF8.GetBytes(bodyText), status, "application/json");

        (HttpStatusCode actualStatus, string body) = await PostAsync(stream: true);

        Assert.Equal(status, (int)actualStatus);
        using JsonDocument expected = JsonDocument.Parse(bodyText);
        using JsonDocument actual = JsonDocument.Parse(body);
        Assert.Equal("error", actual.RootElement.GetProperty("type").GetString());
        Assert.Equal(
            expected.RootElement.GetProperty("error").GetProperty("type").GetString(),
            actual.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(
            expected.RootElement.GetProperty("error").GetProperty("message").GetString(),
            actual.RootElement.GetProperty("error").GetProperty("message").GetString());
    }
}
