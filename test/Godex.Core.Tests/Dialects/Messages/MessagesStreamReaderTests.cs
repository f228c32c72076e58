using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;
using Godex.Core.Sse;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Dialects.Messages;

public sealed class MessagesStreamReaderTests
{
    [Fact]
    public async Task Parse_ToolUseResponse_TextThenToolCallWithArguments()
    {
        List<StreamEvent> events = await ParseAsync(Fixtures.Bytes("anthropic-sdk-python/tool_use_response.sse"));

        Assert.Equal(new ResponseStartedEvent("msg_019Q1hrJbZG26Fb9BQhrkHEr", "claude-sonnet-4-20250514"), events[0]);
        Assert.Equal("I'll check the current weather in Paris for you.", string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text)));
        Assert.Equal(new ToolCallStartedEvent(0, "toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather"), Assert.Single(events.OfType<ToolCallStartedEvent>()));
        Assert.Equal("""{"location": "Paris"}""", string.Concat(events.OfType<ToolCallArgumentsDeltaEvent>().Select(e => e.Delta)));
        ToolCallCompletedEvent call = Assert.Single(events.OfType<ToolCallCompletedEvent>());
        Assert.Equal(new ToolCallPart("toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather", """{"location": "Paris"}"""), call.Call);
        Assert.Equal(0, call.Index);

        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ToolCalls, completed.FinishReason);
        Assert.Equal("tool_use", completed.UpstreamReason);
        Assert.Equal(new Usage { InputTokens = 377, OutputTokens = 65 }, completed.Usage);
    }

    [Fact]
    public async Task Parse_ThinkingSignatureRefusal_ReasoningKeptVerbatimAndContentFilter()
    {
        List<StreamEvent> events = await ParseAsync(Fixtures.Bytes("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse"));

        ReasoningCompletedEvent reasoning = Assert.Single(events.OfType<ReasoningCompletedEvent>());
        Assert.Equal(
            "Simple educational question about what a solar eclipse is. This is benign general knowledge — definitions are fine. "
            + "Also the user called me \"claudius\" — I'm Claude. Minor correction or just roll with it politely.",
            reasoning.Reasoning.Text);
        Assert.Equal("c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU=", reasoning.Reasoning.Signature);
        Assert.Equal(reasoning.Reasoning.Text, string.Concat(events.OfType<ReasoningDeltaEvent>().Select(e => e.Text)));

        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ContentFilter, completed.FinishReason);
        Assert.Equal("refusal", completed.UpstreamReason);
    }

    [Fact]
    public async Task Parse_RefusalResponse_ContentFilterWithNoText()
    {
        List<StreamEvent> events = await ParseAsync(Fixtures.Bytes("anthropic-sdk-python/refusal_response.sse"));

        Assert.Empty(events.OfType<TextDeltaEvent>());
        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ContentFilter, completed.FinishReason);
        Assert.Equal(new Usage { InputTokens = 20, OutputTokens = 0 }, completed.Usage);
    }

    [Fact]
    public async Task Parse_BasicResponse_TextAndStop()
    {
        List<StreamEvent> events = await ParseAsync(Fixtures.Bytes("anthropic-sdk-python/basic_response.sse"));

        Assert.Equal(
            [
                new ResponseStartedEvent("msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK", "claude-3-opus-latest"),
                new TextDeltaEvent("Hello"),
                new TextDeltaEvent(" there"),
                new TextDeltaEvent("!"),
                new ResponseCompletedEvent(FinishReason.Stop, new Usage { InputTokens = 11, OutputTokens = 6 }) { UpstreamReason = "end_turn" },
            ],
            events);
    }

    [Fact]
    public async Task Parse_IncompletePartialJson_CutByMaxTokens_IsLengthWithoutCompletedCall()
    {
        List<StreamEvent> events = await ParseAsync(Fixtures.Bytes("anthropic-sdk-python/incomplete_partial_json_response.sse"));

        Assert.Empty(events.OfType<ToolCallCompletedEvent>());
        Assert.Empty(events.OfType<StreamErrorEvent>());
        ToolCallStartedEvent started = Assert.Single(events.OfType<ToolCallStartedEvent>());
        Assert.Equal("make_file", started.Name);
        Assert.StartsWith("{\"filename\": \"taxes.txt", string.Concat(events.OfType<ToolCallArgumentsDeltaEvent>().Select(d => d.Delta)), StringComparison.Ordinal);
        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.Length, completed.FinishReason);
        Assert.Equal("max_tokens", completed.UpstreamReason);
    }

    [Fact]
    public async Task Parse_ToolCallOpenAtMessageStopWithoutLimit_Returns502()
    {
        string text = Fixtures.Text("anthropic-sdk-python/incomplete_partial_json_response.sse").Replace("\"max_tokens\"", "\"end_turn\"", StringComparison.Ordinal);

        List<StreamEvent> events = await ParseAsync(Encoding.UTF8.GetBytes(text));

        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(502, error.Error.Status);
        Assert.Contains("make_file", error.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_StreamWithoutMessageStop_Returns502()
    {
        byte[] body = Fixtures.Bytes("anthropic-sdk-python/basic_response.sse");
        string text = Encoding.UTF8.GetString(body);
        text = text[..text.IndexOf("event: message_delta", StringComparison.Ordinal)];

        List<StreamEvent> events = await ParseAsync(Encoding.UTF8.GetBytes(text));

        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(new BackendError(502, BackendErrorTypes.Server, "upstream stream ended before message_stop"), error.Error);
        Assert.Equal(3, events.OfType<TextDeltaEvent>().Count());
    }

    [Fact]
    public async Task Parse_CacheUsageRedactedThinkingAndOverloadedError()
    {
        string sse = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"ls","input":{"path":"/"}}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: some_future_event
            data: {"type":"some_future_event","x":1}

            event: error
            data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

            event: message_stop
            data: {"type":"message_stop"}


            """;

        List<StreamEvent> events = await ParseAsync(Encoding.UTF8.GetBytes(sse));

        Assert.Equal(new ReasoningPart { RedactedData = "EmwKAhgB" }, Assert.Single(events.OfType<ReasoningCompletedEvent>()).Reasoning);
        Assert.Equal(new ToolCallArgumentsDeltaEvent(0, """{"path":"/"}"""), Assert.Single(events.OfType<ToolCallArgumentsDeltaEvent>()));
        Assert.Equal("""{"path":"/"}""", Assert.Single(events.OfType<ToolCallCompletedEvent>()).Call.Arguments);
        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(529, error.Error.Status);
        Assert.Equal(BackendErrorTypes.Overloaded, error.Error.Type);
        Assert.Equal("overloaded_error", error.Error.Code);
        Assert.Empty(events.OfType<ResponseCompletedEvent>());
    }

    [Fact]
    public void MapStopReason_KnownAndUnknown()
    {
        Assert.Equal(FinishReason.Stop, MessagesStreamReader.MapStopReason("end_turn"));
        Assert.Equal(FinishReason.Stop, MessagesStreamReader.MapStopReason("stop_sequence"));
        Assert.Equal(FinishReason.Stop, MessagesStreamReader.MapStopReason("pause_turn"));
        Assert.Equal(FinishReason.Length, MessagesStreamReader.MapStopReason("max_tokens"));
        Assert.Equal(FinishReason.Length, MessagesStreamReader.MapStopReason("model_context_window_exceeded"));
        Assert.Equal(FinishReason.ToolCalls, MessagesStreamReader.MapStopReason("tool_use"));
        Assert.Equal(FinishReason.ContentFilter, MessagesStreamReader.MapStopReason("refusal"));
        Assert.Equal(FinishReason.Stop, MessagesStreamReader.MapStopReason("something_new"));
    }

    internal static async Task<List<StreamEvent>> ParseAsync(byte[] body)
    {
        var parser = new MessagesStreamReader();
        var events = new List<StreamEvent>();
        foreach (SseEvent sse in await UpstreamFrames.ReadAllAsync(body, TestContext.Current.CancellationToken))
        {
            parser.Feed(sse, events);
        }

        parser.Complete(events);
        return events;
    }
}
