using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;

namespace Godex.Core.Tests.Dialects.Messages;

/// <summary>
/// The JSON edges of one Anthropic stream event, as the reader has always read them (these held for the
/// <c>JsonDocument</c> reader and hold for the forward <c>Utf8JsonReader</c> pass of issue 21): any member order,
/// escapes unescaped, the last of a repeated member counts, a value of the wrong kind is absent, a tool's whole
/// input kept as its raw JSON text, trailing bytes an error.
/// </summary>
public sealed class MessagesStreamReaderEdgeTests
{
    private static List<StreamEvent> Feed(params (string EventType, string Data)[] events)
    {
        var reader = new MessagesStreamReader();
        var output = new List<StreamEvent>();
        foreach ((string eventType, string data) in events)
        {
            reader.Feed(eventType, Encoding.UTF8.GetBytes(data), output);
        }

        reader.Complete(output);
        return output;
    }

    [Fact]
    public void Feed_MembersInAnyOrderEscapedAndRepeated_ReadByNameLastOneCounts()
    {
        List<StreamEvent> events = Feed(
            ("message", """{"message":{"usage":{"input_tokens":10,"output_tokens":1.5},"model":"claude-x","id":"msg_1","content":[]},"type":"message_start"}"""),
            ("message", """{"index":0,"content_block":{"text":"","type":"text"},"type":"content_block_start"}"""),
            ("message", """{"delta":{"text":"caf\u00e9 \"ok\"\n","type":"text_delta"},"index":0,"type":"content_block_delta"}"""),
            ("message", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"first","text":"second"}}"""),
            ("message", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}}"""),
            ("message", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":null}}"""),
            ("message", """{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"""),
            ("message", """{"type":"content_block_stop","index":0}"""),
            ("message", """{"usage":{"output_tokens":7,"input_tokens":null},"delta":{"stop_sequence":null,"stop_reason":"end_turn"},"type":"message_delta"}"""),
            ("message_stop", "{}"));

        Assert.Equal(new ResponseStartedEvent("msg_1", "claude-x"), events[0]);
        Assert.Equal(["café \"ok\"\n", "second"], events.OfType<TextDeltaEvent>().Select(e => e.Text));
        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.Stop, completed.FinishReason);
        Assert.Equal("end_turn", completed.UpstreamReason);

        // 1.5 and null are not counts: the last good value of each field stands.
        Assert.Equal(new Usage { InputTokens = 10, OutputTokens = 7 }, completed.Usage);
    }

    [Fact]
    public void Feed_ToolUseWithWholeInput_KeptAsRawJsonTextWithItsEscapesAndSpacing()
    {
        List<StreamEvent> events = Feed(
            ("message_start", """{"type":"message_start","message":{"id":"msg_2","model":"m","usage":{"input_tokens":3}}}"""),
            ("content_block_start", """{"content_block":{"input":{ "city" : "Par\u00eds", "n": [1, 2.50] },"name":"get_weather","id":"toolu_1","type":"tool_use"},"type":"content_block_start","index":0}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_2","name":"noop","input":{ }}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"\\u00e9\"}"}}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":1}"""),
            ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"""),
            ("message_stop", """{"type":"message_stop"}"""));

        ToolCallCompletedEvent[] calls = [.. events.OfType<ToolCallCompletedEvent>()];
        Assert.Equal(2, calls.Length);
        Assert.Equal(new ToolCallPart("toolu_1", "get_weather", """{ "city" : "Par\u00eds", "n": [1, 2.50] }"""), calls[0].Call);

        // The {} placeholder is not an input: the deltas are, as sent (partial JSON is text, its escapes stay).
        Assert.Equal(new ToolCallPart("toolu_2", "noop", """{"a": "\u00e9"}"""), calls[1].Call);
        Assert.Equal(["""{ "city" : "Par\u00eds", "n": [1, 2.50] }""", """{"a":""", """ "\u00e9"}"""],
            events.OfType<ToolCallArgumentsDeltaEvent>().Select(e => e.Delta));
        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
    }

    [Fact]
    public void Feed_IndexNotAnInt32_BlockIgnored()
    {
        List<StreamEvent> events = Feed(
            ("message_start", """{"type":"message_start","message":{"id":"msg_3","model":"m"}}"""),
            ("content_block_start", """{"type":"content_block_start","index":1.0,"content_block":{"type":"text","text":"a"}}"""),
            ("content_block_start", """{"type":"content_block_start","index":"2","content_block":{"type":"text","text":"b"}}"""),
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"hm","signature":"c2ln"}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"More"}}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("message_stop", """{"type":"message_stop"}"""));

        Assert.Empty(events.OfType<TextDeltaEvent>());
        ReasoningCompletedEvent reasoning = Assert.Single(events.OfType<ReasoningCompletedEvent>());
        Assert.Equal("hm", reasoning.Reasoning.Text);
        Assert.Equal("c2lnMore", reasoning.Reasoning.Signature);
        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Fact]
    public void Feed_TypeNotAStringOrMissing_SseEventTypeCounts()
    {
        List<StreamEvent> events = Feed(
            ("message_start", """{"type":7,"message":{"id":"msg_4","model":"m"}}"""),
            ("ping", """{"type":"ping"}"""),
            ("message_stop", "{}"));

        Assert.Equal(new ResponseStartedEvent("msg_4", "m"), events[0]);
        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Theory]
    [InlineData("""{"type":"ping"} x""")]
    [InlineData("""{"type":"ping","extra":{"a":[1,}}""")]
    [InlineData("")]
    [InlineData("""{"type":"ping"}{}""")]
    public void Feed_NotOneJsonValue_Is502(string data)
    {
        List<StreamEvent> events = Feed(("ping", data));

        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(502, error.Error.Status);
        Assert.StartsWith("upstream sent an invalid stream event (ping): ", error.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_RootNotAnObject_Ignored()
    {
        var reader = new MessagesStreamReader();
        var output = new List<StreamEvent>();
        reader.Feed("message_stop", "[1, {\"type\":\"message_stop\"}]"u8.ToArray(), output);
        reader.Feed("message_stop", "\"message_stop\""u8.ToArray(), output);

        Assert.Empty(output);
        Assert.False(reader.IsCompleted);
    }

    [Fact]
    public void Feed_ErrorWithMembersInAnyOrder_MapsTypeAndMessage()
    {
        List<StreamEvent> events = Feed(
            ("error", """{"error":{"message":"Overloaded \u2014 retry","details":null,"type":"overloaded_error"},"type":"error"}"""));

        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(529, error.Error.Status);
        Assert.Equal("Overloaded — retry", error.Error.Message);
        Assert.Equal("overloaded_error", error.Error.Code);
    }

    public static TheoryData<string> DeltaTexts() => new() { "Hello", " world,", "", "café — ünïcödé", "日本語のテキスト", "🙂👍🏽 emoji", new string('x', 5000) };

    /// <summary>
    /// A text delta in Anthropic's own byte order (read without a JSON reader) gives what the same event with its
    /// members reordered (read by the reader) gives, with the recorded streams' padding before the braces too.
    /// </summary>
    [Theory]
    [MemberData(nameof(DeltaTexts))]
    public void Feed_TextDeltaInAnthropicsOrder_ReadAsTheSameEventInAnyOtherOrder(string text)
    {
        string start = """{"type":"content_block_start","index":7,"content_block":{"type":"text","text":""}}""";
        string typical = $$$"""{"type":"content_block_delta","index":7,"delta":{"type":"text_delta","text":"{{{text}}}"}}""";
        string padded = $$$"""{"type":"content_block_delta","index":7,"delta":{"type":"text_delta","text":"{{{text}}}"}       }  """;
        string reordered = $$$"""{"delta":{"text":"{{{text}}}","type":"text_delta"},"type":"content_block_delta","index":7}""";

        string[] Texts(string delta) => Feed(("content_block_start", start), ("content_block_delta", delta)).OfType<TextDeltaEvent>().Select(e => e.Text).ToArray();

        Assert.Equal(Texts(reordered), Texts(typical));
        Assert.Equal(Texts(reordered), Texts(padded));
        Assert.Equal(text.Length == 0 ? [] : [text], Texts(typical));
    }

    /// <summary>What is not exactly the typical shape is read in full, with the reader's verdict: an error or an ignored delta.</summary>
    [Theory]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}x""", "error")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}}""", "error")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}""", "error")]
    [InlineData("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\u0001b\"}}", "error")]
    [InlineData("""{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"a"}}""", "error")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\"b"}}""", "a\"b")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}""", "b")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"index":1}""", "")]
    [InlineData("""{"type":"content_block_delta","index":12345678901,"delta":{"type":"text_delta","text":"a"}}""", "")]
    public void Feed_AlmostTheTypicalTextDelta_ReadInFull(string delta, string expected)
    {
        List<StreamEvent> events = Feed(
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
            ("content_block_delta", delta));

        if (expected == "error")
        {
            Assert.Empty(events.OfType<TextDeltaEvent>());
            Assert.Contains("invalid stream event", Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(expected.Length == 0 ? [] : [expected], events.OfType<TextDeltaEvent>().Select(e => e.Text));
        }
    }

    /// <summary>
    /// Bytes that are not UTF-8 in a typical delta's text take the reader's path too, which throws when the string is
    /// taken (in the proxy the framing refuses such an event first: UpstreamFaultMatrixTests).
    /// </summary>
    [Fact]
    public void Feed_TypicalTextDeltaWithBytesThatAreNotUtf8_ThrowsAsTheReaderDoes()
    {
        var reader = new MessagesStreamReader();
        var output = new List<StreamEvent>();
        reader.Feed("content_block_start", Encoding.UTF8.GetBytes("""{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""), output);
        byte[] delta = [.. Encoding.UTF8.GetBytes("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}}")];

        Assert.Throws<InvalidOperationException>(() => reader.Feed("content_block_delta", delta, output));
    }
}
