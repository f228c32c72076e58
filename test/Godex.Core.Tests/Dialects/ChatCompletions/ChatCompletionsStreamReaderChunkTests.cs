using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.TestUtilities;
using RecordedFrame = Godex.TestUtilities.SseFrame;

namespace Godex.Core.Tests.Dialects.ChatCompletions;

/// <summary>
/// The chunk reading of <see cref="ChatCompletionsStreamReader"/> (one <c>Utf8JsonReader</c> pass per chunk, issue 21):
/// what a forward reader makes reachable that the <c>JsonDocument</c> reads it replaced handled by lookup (members in any
/// order, unknown and repeated members, nulls and values of the wrong kind, malformed data with the document's own
/// error text), and the recorded gpt-4o streams with several choices, parallel tool calls and a refusal.
/// </summary>
public sealed class ChatCompletionsStreamReaderChunkTests
{
    private const string ToolCallStream =
        """{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}""";

    [Fact]
    public void MembersInAnyOrder_ReadTheSameAsInOpenAIsOrder()
    {
        List<StreamEvent> inOrder = Read(
            """{"id":"c1","model":"m","choices":[{"index":0,"delta":{"reasoning_content":"think","content":"Hi","tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":null}]}""",
            """{"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":2}}}""");
        List<StreamEvent> reversed = Read(
            """{"choices":[{"finish_reason":null,"delta":{"tool_calls":[{"function":{"arguments":"{\"a\":","name":"f"},"id":"call_1","index":0}],"content":"Hi","reasoning_content":"think"},"index":0}],"model":"m","id":"c1"}""",
            """{"usage":{"completion_tokens_details":{"reasoning_tokens":2},"prompt_tokens_details":{"cached_tokens":1},"completion_tokens":4,"prompt_tokens":3},"choices":[{"finish_reason":"tool_calls","delta":{"tool_calls":[{"function":{"arguments":"1}"},"index":0}]},"index":0}],"model":"m","id":"c1"}""");

        Assert.Equal(inOrder, reversed);
        Assert.Equal(new ResponseStartedEvent("c1", "m"), reversed[0]);
        Assert.Equal(new ReasoningDeltaEvent("think"), reversed[1]);
        Assert.Equal(new TextDeltaEvent("Hi"), reversed[2]);
        Assert.Equal(new ToolCallPart("call_1", "f", "{\"a\":1}"), Assert.IsType<ToolCallCompletedEvent>(reversed[^2]).Call);
        Assert.Equal(new Usage { InputTokens = 3, OutputTokens = 4, CachedInputTokens = 1, ReasoningTokens = 2 }, Assert.IsType<ResponseCompletedEvent>(reversed[^1]).Usage);
    }

    [Fact]
    public void UnknownMembers_AtEveryLevel_AreSkipped_EvenWhenTheyHoldKnownNames()
    {
        List<StreamEvent> plain = Read(
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"A","tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":6}}""");
        List<StreamEvent> padded = Read(
            """{"x":{"id":"no","choices":[{"delta":{"content":"no"}}]},"id":"c","obfuscation":"zz","model":"m","system_fingerprint":null,"choices":[{"logprobs":{"content":[{"token":"no"}]},"index":0,"delta":{"role":"assistant","extra":[{"content":"no"}],"content":"A","tool_calls":[{"type":"function","index":0,"meta":{"index":9,"id":"no"},"id":"call_1","function":{"name":"f","strict":true,"arguments":"{}","more":{"name":"no"}}}]},"finish_reason":"stop","native_finish_reason":"no"}],"usage":{"prompt_tokens":5,"cost":0.1,"extra":{"prompt_tokens":9},"completion_tokens":6}}""");

        Assert.Equal(plain, padded);
        Assert.Equal(new TextDeltaEvent("A"), padded[1]);
        Assert.Equal(new Usage { InputTokens = 5, OutputTokens = 6 }, Assert.IsType<ResponseCompletedEvent>(padded[^1]).Usage);
    }

    [Fact]
    public void NullsAndValuesOfTheWrongKind_ReadAsAbsent()
    {
        List<StreamEvent> events = Read(
            """{"id":null,"model":7,"error":null,"choices":[{"index":null,"delta":{"content":null,"refusal":null,"reasoning_content":null,"reasoning":"r","tool_calls":null},"finish_reason":null}],"usage":null}""",
            """{"choices":[{"delta":null,"finish_reason":null},{"delta":[1],"finish_reason":7},{"delta":{"content":["no"],"tool_calls":{"index":0}}}]}""",
            """{"choices":[{"delta":{"tool_calls":[null,3,{"index":null,"id":null,"function":null},{"function":{"name":null,"arguments":{"a":1}}}]}}]}""",
            """{"choices":null}""",
            """{"choices":[null,"x",1],"usage":{"prompt_tokens":null,"completion_tokens":"2","prompt_tokens_details":null,"completion_tokens_details":[3]}}""",
            """{"choices":[{"delta":{"content":"B"},"finish_reason":"stop"}]}""");

        Assert.Equal(new ResponseStartedEvent("", ""), events[0]);
        Assert.Equal(new ReasoningDeltaEvent("r"), events[1]);
        Assert.Equal(new TextDeltaEvent("B"), events[2]);

        // The two objects in tool_calls made one call without a name (a fragment without index or id continues the last one).
        ToolCallCompletedEvent call = Assert.IsType<ToolCallCompletedEvent>(Assert.Single(events, e => e is ToolCallCompletedEvent));
        Assert.Equal("", call.Call.Name);
        Assert.Equal("{}", call.Call.Arguments);
        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ToolCalls, done.FinishReason);
        Assert.Equal(Usage.Empty, done.Usage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{\"id\":\"c\",\"choices\":[")]
    [InlineData("{\"id\":\"c\"")]
    [InlineData("{\"id\":\"c\",}")]
    [InlineData("{\"id\":\"c\"} x")]
    [InlineData("{\"id\":\"c\"}{\"id\":\"d\"}")]
    [InlineData("{'id':'c'}")]
    [InlineData("{\"id\":01}")]
    [InlineData("{\"id\":NaN}")]
    [InlineData("{\"id\":\"c\"} // comment")]
    [InlineData("\uFEFF{\"id\":\"c\"}")]
    [InlineData("{\"error\":{\"message\":\"m\"},}")]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"a\u0001\"}}]}")]
    [InlineData("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"}]}}]}")]
    public void MalformedChunk_IsTheSame502AsBefore_WithTheDocumentParsersMessage(string data)
    {
        List<StreamEvent> events = Read(
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}""",
            data,
            """{"id":"c","choices":[{"index":0,"delta":{"content":"ignored"},"finish_reason":"stop"}]}""");

        // The error JsonDocument.Parse gave for the same bytes: the reader is the one it used, so the text is the same.
        JsonException parse = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(Encoding.UTF8.GetBytes(data)).Dispose());
        Assert.Equal(BackendError.Upstream(502, $"the upstream sent an invalid chunk: {parse.Message}"), Assert.IsType<StreamErrorEvent>(events[^1]).Error);
        Assert.Equal(3, events.Count);
        Assert.DoesNotContain(events, e => e is TextDeltaEvent { Text: "ignored" });
    }

    [Fact]
    public void JsonNestedDeeperThanTheDocumentsLimit_IsTheSameError()
    {
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", 65)) + "1" + new string('}', 65);
        JsonException parse = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(deep).Dispose());

        List<StreamEvent> events = Read(deep);

        Assert.Equal(BackendError.Upstream(502, $"the upstream sent an invalid chunk: {parse.Message}"), Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error);
    }

    [Fact]
    public void ADataValueThatIsNotAnObject_IsIgnored()
    {
        List<StreamEvent> events = Read("[1,2]", "\"x\"", "42", "null", "true", """{"id":"c","choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}""");

        Assert.Equal(new ResponseStartedEvent("c", ""), events[0]);
        Assert.Equal(new TextDeltaEvent("a"), events[1]);
        Assert.IsType<ResponseCompletedEvent>(events[2]);
    }

    [Fact]
    public void RepeatedMembers_CountByTheirLastOccurrence()
    {
        List<StreamEvent> events = Read(
            """{"id":"first","id":"c","choices":[{"delta":{"content":"lost"}}],"choices":[{"index":1,"index":0,"delta":{"content":"lost","tool_calls":[{"index":0,"function":{"name":"lost"}}]},"delta":{"content":"kept","content":"Kept"}}]}""",
            """{"choices":[{"delta":{"tool_calls":[{"index":5}],"tool_calls":[{"index":0,"id":"call_1","function":{"name":"lost","arguments":"x"},"function":{"name":"f"}}]}}]}""",
            """{"choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"prompt_tokens":9,"prompt_tokens_details":{"cached_tokens":2},"prompt_tokens_details":null},"usage":{"prompt_tokens":3,"completion_tokens":4,"completion_tokens":5}}""");

        Assert.Equal(new ResponseStartedEvent("c", ""), events[0]);
        Assert.Equal(new TextDeltaEvent("Kept"), events[1]);
        Assert.Equal(new ToolCallStartedEvent(0, "call_1", "f"), events[2]);
        Assert.Equal(new ToolCallPart("call_1", "f", "{}"), Assert.IsType<ToolCallCompletedEvent>(events[3]).Call);
        Assert.Equal(new Usage { InputTokens = 3, OutputTokens = 5 }, Assert.IsType<ResponseCompletedEvent>(events[4]).Usage);
        Assert.Equal(5, events.Count);
    }

    [Theory]
    [InlineData("1", false)]
    [InlineData("-1", false)]
    [InlineData("0", true)]
    [InlineData("0.0", true)]
    [InlineData("1.5", true)]
    [InlineData("2147483648", true)]
    [InlineData("\"1\"", true)]
    [InlineData("{\"n\":1}", true)]
    [InlineData("[1]", true)]
    [InlineData("null", true)]
    public void AChoiceIndex_OnlyAWholeNumberOtherThanZeroSkipsTheChoice(string index, bool read)
    {
        List<StreamEvent> events = Read(
            $$"""{"id":"c","choices":[{"delta":{"content":"a"},"index":{{index}}}]}""",
            """{"choices":[{"finish_reason":"stop"}]}""");

        Assert.Equal(read, events.Contains(new TextDeltaEvent("a")));
        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Fact]
    public void SeveralChoicesInOneChunk_EveryFirstChoiceIsReadInOrder_OthersAreSkipped()
    {
        List<StreamEvent> events = Read(
            """{"id":"c","choices":[{"delta":{"content":"a"}},{"index":1,"delta":{"content":"x"}},{"index":0,"delta":{"content":"b"}},5,{"index":2,"delta":{"content":"y"},"finish_reason":"length"},{"delta":{"content":"c"},"finish_reason":"stop"}]}""");

        Assert.Equal("abc", string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text)));
        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.Stop, done.FinishReason);
    }

    [Fact]
    public void RecordedThreeChoices_OnlyChoiceZeroIsTheAnswer()
    {
        List<StreamEvent> events = ReadRecorded("gpt-4o-n3-multiple-choices.sse");

        Assert.Equal(new ResponseStartedEvent("chatcmpl-ABfw2KKFuVXmEJgVwYfBvejMAdWtq", "gpt-4o-2024-08-06"), events[0]);
        Assert.Equal("""{"city":"San Francisco","temperature":65,"units":"f"}""", string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text)));
        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.Stop, done.FinishReason);
        Assert.Equal(new Usage { InputTokens = 79, OutputTokens = 42 }, done.Usage);
    }

    [Fact]
    public void RecordedParallelToolCalls_ArgumentDeltasSplitAcrossChunks_MakeTwoCalls()
    {
        List<StreamEvent> events = ReadRecorded("gpt-4o-parallel-tool-calls.sse");

        ToolCallStartedEvent[] started = [new(0, "call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs"), new(1, "call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price")];
        Assert.Equal(started, events.OfType<ToolCallStartedEvent>());
        Assert.Equal("""{"city": "Edinburgh", "country": "GB", "units": "c"}""", string.Concat(events.OfType<ToolCallArgumentsDeltaEvent>().Where(e => e.Index == 0).Select(e => e.Delta)));
        Assert.True(events.OfType<ToolCallArgumentsDeltaEvent>().Count(e => e.Index == 0) > 1);
        ToolCallPart[] calls =
        [
            new("call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs", """{"city": "Edinburgh", "country": "GB", "units": "c"}"""),
            new("call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price", """{"ticker": "AAPL", "exchange": "NASDAQ"}"""),
        ];
        Assert.Equal(calls, events.OfType<ToolCallCompletedEvent>().Select(e => e.Call));
        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ToolCalls, done.FinishReason);
        Assert.Equal(new Usage { InputTokens = 149, OutputTokens = 60 }, done.Usage);
    }

    [Fact]
    public void RecordedRefusal_IsRefusalDeltas()
    {
        List<StreamEvent> events = ReadRecorded("gpt-4o-refusal.sse");

        Assert.Equal("I'm sorry, I can't assist with that request.", string.Concat(events.OfType<RefusalDeltaEvent>().Select(e => e.Text)));
        Assert.DoesNotContain(events, e => e is TextDeltaEvent);
        Assert.Equal(new Usage { InputTokens = 79, OutputTokens = 11 }, Assert.IsType<ResponseCompletedEvent>(events[^1]).Usage);
    }

    [Fact]
    public void ArgumentsBeforeTheName_AreSentWhenTheCallIsNamed()
    {
        List<StreamEvent> events = Read(
            """{"id":"c","choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}}]}""",
            """{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"late","function":{"name":"f","arguments":":1}"}}]}}]}""",
            """{"choices":[{"finish_reason":"tool_calls"}]}""");

        string id = ChatCompletionsStreamReader.SyntheticId("c", 0);
        Assert.Equal(new ToolCallStartedEvent(0, id, "f"), events[1]);
        Assert.Equal(new ToolCallArgumentsDeltaEvent(0, "{\"a\""), events[2]);
        Assert.Equal(new ToolCallArgumentsDeltaEvent(0, ":1}"), events[3]);
        Assert.Equal(new ToolCallPart(id, "f", "{\"a\":1}"), Assert.IsType<ToolCallCompletedEvent>(events[4]).Call);
    }

    [Fact]
    public void UsageOnlyFinalChunk_AfterTheFinishReason_IsTheAnswersUsage()
    {
        List<StreamEvent> events = Read(
            """{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}""",
            """{"usage":{"prompt_tokens":1.5,"completion_tokens":99999999999999999999,"completion_tokens_details":{"reasoning_tokens":3}},"choices":[],"id":"c"}""",
            "[DONE]");

        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(new Usage { ReasoningTokens = 3 }, done.Usage);
        Assert.Equal(3, events.Count);
    }

    [Fact]
    public void ReasoningContent_WinsOverReasoning_EvenWhenEmpty()
    {
        List<StreamEvent> events = Read(
            """{"id":"c","choices":[{"delta":{"reasoning":"lost","reasoning_content":""}}]}""",
            """{"choices":[{"delta":{"reasoning":"r2","reasoning_content":null}}]}""",
            """{"choices":[{"delta":{"refusal":"no","content":"t","reasoning":"r3"},"finish_reason":"stop"}]}""");

        StreamEvent[] expected = [new ResponseStartedEvent("c", ""), new ReasoningDeltaEvent("r2"), new ReasoningDeltaEvent("r3"), new TextDeltaEvent("t"), new RefusalDeltaEvent("no")];
        Assert.Equal(expected, events.Take(events.Count - 1));
    }

    [Theory]
    [InlineData("""{"error":"boom"}""", 502, "boom", null)]
    [InlineData("""{"error":[1]}""", 502, "the upstream reported an error (no details)", null)]
    [InlineData("""{"error":{}}""", 502, "the upstream reported an error (no details)", null)]
    [InlineData("""{"error":{"code":"429"}}""", 429, "the upstream reported an error (429)", "429")]
    [InlineData("""{"error":{"code":4.29e2,"message":"m"}}""", 502, "m", "4.29e2")]
    [InlineData("""{"error":{"code":{"n":1},"type":"overloaded_error"}}""", 529, "the upstream reported an error (overloaded_error)", null)]
    [InlineData("""{"choices":[{"delta":{"content":"lost"}}],"error":{"message":"late","code":500}}""", 502, "late", "500")]
    public void ErrorMember_AnywhereInTheChunk_IsTheTerminalError(string chunk, int status, string message, string? code)
    {
        List<StreamEvent> events = Read(chunk, """{"id":"c","choices":[{"delta":{"content":"ignored"},"finish_reason":"stop"}]}""");

        BackendError error = Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error;
        Assert.Equal(status, error.Status);
        Assert.Equal(message, error.Message);
        Assert.Equal(code, error.Code);
    }

    [Theory]
    [InlineData("""{"x":1,"input":"second"}""", "second")]
    [InlineData("""{"input":"a","input":"b"}""", "b")]
    [InlineData("""{"input":"a","input":2}""", """{"input":"a","input":2}""")]
    [InlineData("""{"input":1}""", """{"input":1}""")]
    [InlineData("""{"input":"a"} x""", """{"input":"a"} x""")]
    [InlineData("not json", "not json")]
    [InlineData("[1]", "[1]")]
    [InlineData("", "")]
    public void CustomToolInput_IsTheInputStringOfTheOneArgumentObject_OrTheWholeText(string arguments, string input)
    {
        string chunk = $$$"""{"id":"p","choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_p","function":{"name":"apply_patch","arguments":"{{{JsonEncodedText.Encode(arguments)}}}"}}]},"finish_reason":"tool_calls"}]}""";

        List<StreamEvent> events = Read(new HashSet<string> { "apply_patch" }, chunk);

        ToolCallPart call = Assert.IsType<ToolCallCompletedEvent>(events[2]).Call;
        Assert.Equal(ToolCallKind.Custom, call.Kind);
        Assert.Equal(input, call.Arguments);
    }

    private static List<StreamEvent> ReadRecorded(string file) =>
        Read([.. RecordedFrame.Parse(Fixtures.Text($"openai-python-chat-recorded/{file}")).Select(f => f.Data)]);

    private static List<StreamEvent> Read(params string[] chunks) => ChatCompletionsStreamReaderTests.Read(chunks);

    private static List<StreamEvent> Read(IReadOnlySet<string>? customTools, params string[] chunks) => ChatCompletionsStreamReaderTests.Read(customTools, chunks);
}
