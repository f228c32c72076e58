using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;
using Godex.Core.Sse;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Dialects.Messages;

public sealed class MessagesStreamWriterTests
{
    private static readonly AnthropicMessageHeader s_header = new("msg_test", "claude-sonnet-4-5", 42);

    private static async Task<string> RenderAsync(IEnumerable<StreamEvent> events, AnthropicMessageHeader? header = null)
    {
        using var body = new MemoryStream();
        using (var sse = new SseWriter(body))
        {
            var renderer = new MessagesStreamWriter(sse, header ?? s_header);
            foreach (StreamEvent e in events)
            {
                if (await renderer.WriteAsync(e, TestContext.Current.CancellationToken))
                {
                    break;
                }
            }
        }

        return Encoding.UTF8.GetString(body.ToArray());
    }

    private static List<(string Event, JsonElement Data)> Frames(string text)
    {
        var frames = new List<(string, JsonElement)>();
        foreach (string block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = block.Split('\n');
            string name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            string data = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
            frames.Add((name, JsonDocument.Parse(data).RootElement.Clone()));
        }

        return frames;
    }

    /// <summary>Parses a recorded Anthropic stream to canonical events with the provider's own parser.</summary>
    private static List<StreamEvent> Canonical(string fixture)
    {
        var events = new List<StreamEvent>();
        var parser = new MessagesStreamReader();
        foreach ((string name, JsonElement data) in Frames(Fixtures.Text(fixture).Replace("\r\n", "\n", StringComparison.Ordinal).Trim()))
        {
            parser.Feed(name, Encoding.UTF8.GetBytes(data.GetRawText()), events);
        }

        parser.Complete(events);
        return events;
    }

    /// <summary>The shape of a stream: event names, block indexes and types, delta types — no text.</summary>
    private static List<string> Shape(List<(string Event, JsonElement Data)> frames) => frames.Select(f => f.Event switch
    {
        "content_block_start" => $"start {f.Data.GetProperty("index").GetInt32()} {f.Data.GetProperty("content_block").GetProperty("type").GetString()}",
        "content_block_delta" => $"delta {f.Data.GetProperty("index").GetInt32()} {f.Data.GetProperty("delta").GetProperty("type").GetString()}",
        "content_block_stop" => $"stop {f.Data.GetProperty("index").GetInt32()}",
        _ => f.Event,
    }).ToList();

    [Fact]
    public async Task TextTurn_ExactBytes()
    {
        string text = await RenderAsync([
            new ResponseStartedEvent("resp_1", "gpt-5.2-codex"),
            new TextDeltaEvent("Hi"),
            new TextDeltaEvent(" there"),
            new ResponseCompletedEvent(FinishReason.Stop, new Usage { InputTokens = 30, CachedInputTokens = 10, OutputTokens = 5 }),
        ]);

        Assert.Equal(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_test\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":42,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":0}}}\n\n" +
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
            "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n" +
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\n\n" +
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":20,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":10,\"output_tokens\":5}}\n\n" +
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            text);
    }

    [Fact]
    public async Task RecordedToolUseStream_RendersTheSameShapeAndMeaning()
    {
        List<(string Event, JsonElement Data)> recorded = Frames(Fixtures.Text("anthropic-sdk-python/tool_use_response.sse").Trim());

        List<(string Event, JsonElement Data)> rendered = Frames(await RenderAsync(Canonical("anthropic-sdk-python/tool_use_response.sse")));

        // Same frames apart from how the text is cut into deltas (the recording also sends an empty first input delta).
        Assert.Equal(
            Shape(recorded).Where(s => !s.StartsWith("delta", StringComparison.Ordinal)),
            Shape(rendered).Where(s => !s.StartsWith("delta", StringComparison.Ordinal)));
        JsonElement toolStart = rendered.Single(f => f.Event == "content_block_start" && f.Data.GetProperty("index").GetInt32() == 1).Data.GetProperty("content_block");
        Assert.Equal(("toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather"), (toolStart.GetProperty("id").GetString(), toolStart.GetProperty("name").GetString()));
        string input = string.Concat(rendered.Where(f => f.Event == "content_block_delta" && f.Data.GetProperty("index").GetInt32() == 1)
            .Select(f => f.Data.GetProperty("delta").GetProperty("partial_json").GetString()));
        Assert.Equal("""{"location": "Paris"}""", input);
        JsonElement delta = rendered[^2].Data;
        Assert.Equal("tool_use", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(377, delta.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.Equal(65, delta.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        Assert.Equal(
            SseFieldNames(recorded[0].Data.GetProperty("message")).Except(["usage"]),
            SseFieldNames(rendered[0].Data.GetProperty("message")).Except(["usage"]));
    }

    [Fact]
    public async Task RecordedThinkingRefusalStream_RendersThinkingSignatureAndRefusal()
    {
        List<(string Event, JsonElement Data)> recorded = Frames(Fixtures.Text("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse").Trim());

        List<(string Event, JsonElement Data)> rendered = Frames(await RenderAsync(Canonical("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse")));

        List<string> expected = Shape(recorded).Where(s => s != "delta 0 thinking_delta").ToList();
        List<string> actual = Shape(rendered).Where(s => s != "delta 0 thinking_delta").ToList();
        Assert.Equal(expected, actual);
        JsonElement start = rendered[1].Data.GetProperty("content_block");
        Assert.Equal(("thinking", "", ""), (start.GetProperty("type").GetString(), start.GetProperty("thinking").GetString(), start.GetProperty("signature").GetString()));
        string signature = rendered.Single(f => f.Event == "content_block_delta" && f.Data.GetProperty("delta").GetProperty("type").GetString() == "signature_delta")
            .Data.GetProperty("delta").GetProperty("signature").GetString()!;
        Assert.Equal("c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU=", signature);
        Assert.Equal("refusal", rendered[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task CodexReasoning_GetsGodexSignature_ThatParsesBackToEncryptedContent()
    {
        List<(string Event, JsonElement Data)> frames = Frames(await RenderAsync([
            new ReasoningDeltaEvent("plan"),
            new ReasoningCompletedEvent(new ReasoningPart { Text = "plan", EncryptedContent = "gAAAAenc", ItemId = "rs_9" }),
            new ToolCallStartedEvent(0, "call_1", "Bash"),
            new ToolCallArgumentsDeltaEvent(0, "{\"command\":"),
            new ToolCallCompletedEvent(0, new ToolCallPart("call_1", "Bash", "{\"command\":\"ls\"}")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, new Usage { InputTokens = 9, OutputTokens = 3 }) { UpstreamReason = "completed" },
        ]));

        Assert.Equal(
            ["message_start", "start 0 thinking", "ping", "delta 0 thinking_delta", "delta 0 signature_delta", "stop 0",
             "start 1 tool_use", "delta 1 input_json_delta", "delta 1 input_json_delta", "stop 1", "message_delta", "message_stop"],
            Shape(frames));
        string signature = frames[4].Data.GetProperty("delta").GetProperty("signature").GetString()!;
        Assert.True(ThinkingBlocks.TryDecode(signature, out string? itemId, out string? encrypted));
        Assert.Equal(("rs_9", "gAAAAenc"), (itemId, encrypted));
        Assert.Equal("\"ls\"}", frames[8].Data.GetProperty("delta").GetProperty("partial_json").GetString());
        Assert.Equal("tool_use", frames[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task ErrorAfterStart_IsAnErrorEvent()
    {
        List<(string Event, JsonElement Data)> frames = Frames(await RenderAsync([
            new TextDeltaEvent("partial"),
            new StreamErrorEvent(new BackendError(529, "overloaded_error", "busy")),
        ]));

        Assert.Equal("error", frames[^1].Event);
        Assert.Equal("""{"type":"error","error":{"type":"overloaded_error","message":"busy"}}""", frames[^1].Data.GetRawText());
    }

    [Theory]
    [InlineData("stop", null, "end_turn")]
    [InlineData("length", null, "max_tokens")]
    [InlineData("tool_calls", null, "tool_use")]
    [InlineData("content_filter", null, "refusal")]
    [InlineData("stop", "stop_sequence", "stop_sequence")]
    [InlineData("stop", "pause_turn", "pause_turn")]
    [InlineData("stop", "completed", "end_turn")]
    public void StopReason_Maps(string finish, string? upstream, string expected) =>
        Assert.Equal(expected, MessagesJsonWriter.StopReason(new FinishReason(finish), upstream));

    [Theory]
    [InlineData(400, null, "invalid_request_error")]
    [InlineData(401, null, "authentication_error")]
    [InlineData(404, null, "not_found_error")]
    [InlineData(413, null, "request_too_large")]
    [InlineData(429, null, "rate_limit_error")]
    [InlineData(500, null, "api_error")]
    [InlineData(502, null, "api_error")]
    [InlineData(529, null, "overloaded_error")]
    [InlineData(500, "overloaded_error", "overloaded_error")]
    public void ErrorType_Maps(int status, string? code, string expected) =>
        Assert.Equal(expected, MessagesJsonWriter.ErrorType(new BackendError(status, "x", "m") { Code = code }));

    [Fact]
    public void NonStreamMessage_HasBlocksStopReasonAndUsage()
    {
        var response = new ChatResponse
        {
            Id = "msg_x",
            Model = "gpt-5.2-codex",
            Text = "done",
            Reasoning = [new ReasoningPart { Text = "t", Signature = "sig" }, new ReasoningPart { RedactedData = "red" }],
            ToolCalls = [new ToolCallPart("toolu_1", "Bash", "{\"command\":\"ls\"}")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 10, OutputTokens = 2 },
        };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            MessagesJsonWriter.WriteMessage(writer, s_header, response);
        }

        Assert.Equal(
            """{"id":"msg_test","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"t","signature":"sig"},{"type":"redacted_thinking","data":"red"},{"type":"text","text":"done"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static IEnumerable<string> SseFieldNames(JsonElement element) => element.EnumerateObject().Select(p => p.Name).Order();
}
