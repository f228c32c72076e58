using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;
using Godex.Core.Sse;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Dialects.Messages;

/// <summary>
/// The answer to a call made without a stream: one JSON message, fed whole to <see cref="MessagesStreamReader"/> as an
/// event of type <c>message</c>, read into the same canonical events as the stream of the same answer.
/// </summary>
public sealed class MessagesWholeAnswerTests
{
    [Fact]
    public void RecordedAnswer_TextThenToolCall_ServerToolSkipped()
    {
        // Recorded from api.anthropic.com by the Python SDK (a non-streamed tool loop on Opus 4.5): "model" comes
        // before "id", and a server_tool_use block sits between the text and the client's tool call.
        byte[] body = RecordedAnswer(0);

        List<StreamEvent> events = Read(body);

        Assert.Equal(new ResponseStartedEvent("msg_01LAwUK3MeXUxoNW5ZgnPpGy", "claude-opus-4-5-20251101"), events[0]);
        Assert.Equal("I'll check the weather for all three cities in Celsius simultaneously.", Assert.Single(events.OfType<TextDeltaEvent>()).Text);
        ToolCallStartedEvent started = Assert.Single(events.OfType<ToolCallStartedEvent>());
        Assert.Equal(0, started.Index);
        Assert.Equal("get_weather", started.Name);
        ToolCallCompletedEvent call = Assert.Single(events.OfType<ToolCallCompletedEvent>());
        Assert.Equal(started.CallId, call.Call.CallId);
        using (JsonDocument arguments = JsonDocument.Parse(call.Call.Arguments))
        {
            Assert.Equal("San Francisco, CA", arguments.RootElement.GetProperty("location").GetString());
        }

        // Streaming clients get the arguments once, as the delta the stream of this answer would have carried.
        Assert.Equal(call.Call.Arguments, Assert.Single(events.OfType<ToolCallArgumentsDeltaEvent>()).Delta);
        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ToolCalls, completed.FinishReason);
        Assert.Equal("tool_use", completed.UpstreamReason);
        Assert.Equal(new Usage { InputTokens = 3182, OutputTokens = 237 }, completed.Usage);
    }

    [Fact]
    public void SameAnswer_AsStreamAndAsWholeMessage_SameEvents()
    {
        const string Whole = """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[{"type":"thinking","thinking":"Think.","signature":"c2ln"},
                        {"type":"text","text":"Hello"},
                        {"type":"tool_use","id":"toolu_1","name":"ls","input":{"path":"/"}},
                        {"type":"redacted_thinking","data":"EmwK"}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":10,"cache_read_input_tokens":4,"cache_creation_input_tokens":2,"output_tokens":7}}
            """;
        const string Stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":10,"cache_read_input_tokens":4,"cache_creation_input_tokens":2,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Think."}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"ls","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"path\":\"/\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: content_block_start
            data: {"type":"content_block_start","index":3,"content_block":{"type":"redacted_thinking","data":"EmwK"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":3}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":7}}

            event: message_stop
            data: {"type":"message_stop"}


            """;

        List<StreamEvent> whole = Read(Encoding.UTF8.GetBytes(Whole));
        List<StreamEvent> streamed = ReadStream(Stream);

        Assert.Equal(streamed, whole);
        Assert.Equal(new ReasoningPart { Text = "Think.", Signature = "c2ln" }, whole.OfType<ReasoningCompletedEvent>().First().Reasoning);
        Assert.Equal(new Usage { InputTokens = 16, CachedInputTokens = 4, CacheCreationInputTokens = 2, OutputTokens = 7 }, Assert.IsType<ResponseCompletedEvent>(whole[^1]).Usage);
    }

    [Fact]
    public void MembersInAnyOrder_ContentFirst()
    {
        List<StreamEvent> events = Read("""{"content":[{"type":"text","text":"Hi"}],"usage":{"input_tokens":3,"output_tokens":1},"stop_reason":"max_tokens","model":"m","type":"message","id":"msg_2"}"""u8.ToArray());

        Assert.Equal(
            [
                new ResponseStartedEvent("msg_2", "m"),
                new TextDeltaEvent("Hi"),
                new ResponseCompletedEvent(FinishReason.Length, new Usage { InputTokens = 3, OutputTokens = 1 }) { UpstreamReason = "max_tokens" },
            ],
            events);
    }

    [Fact]
    public void EmptyContent_StartedAndCompleted()
    {
        List<StreamEvent> events = Read("""{"id":"msg_3","type":"message","model":"m","content":[],"stop_reason":"refusal","usage":{"input_tokens":5,"output_tokens":0}}"""u8.ToArray());

        Assert.Equal(2, events.Count);
        Assert.Equal(FinishReason.ContentFilter, Assert.IsType<ResponseCompletedEvent>(events[1]).FinishReason);
    }

    [Fact]
    public void ErrorBody_IsTheMappedError()
    {
        List<StreamEvent> events = Read("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""u8.ToArray());

        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(529, error.Error.Status);
        Assert.Equal("Overloaded", error.Error.Message);
    }

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("""{"id":"msg_4","role":"assistant"}""")]
    [InlineData("\"message\"")]
    public void NotAMessage_IsAnUpstreamFault(string body)
    {
        List<StreamEvent> events = Read(Encoding.UTF8.GetBytes(body));

        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(502, error.Error.Status);
    }

    [Fact]
    public void InvalidJson_IsAnUpstreamFault()
    {
        List<StreamEvent> events = Read("""{"id":"msg_5","type":"message","content":[{"type":"text","text":"Hi"}"""u8.ToArray());

        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(502, error.Error.Status);
    }

    /// <summary>What <c>UpstreamEventStream</c> does with a JSON answer: one event of type <c>message</c>, then the end.</summary>
    private static List<StreamEvent> Read(byte[] body)
    {
        var reader = new MessagesStreamReader();
        Assert.True(reader.ReadsWholeAnswers);
        var events = new List<StreamEvent>();
        reader.Feed(new SseEvent("message", body), events);
        reader.Complete(events);
        return events;
    }

    private static List<StreamEvent> ReadStream(string sse) =>
        MessagesStreamReaderTests.ParseAsync(Encoding.UTF8.GetBytes(sse)).GetAwaiter().GetResult();

    private static byte[] RecordedAnswer(int exchange)
    {
        using JsonDocument recorded = JsonDocument.Parse(Fixtures.Bytes("anthropic-sdk-python/recorded-nonstream-tool-loop-opus.json"));
        return Encoding.UTF8.GetBytes(recorded.RootElement[exchange].GetProperty("response").GetProperty("body").GetRawText());
    }
}
