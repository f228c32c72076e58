using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Tests.Dialects.Responses;

/// <summary>
/// The JSON edges of one Responses stream event, as the reader has always read them (these held for the
/// <c>JsonDocument</c> reader and hold for the forward <c>Utf8JsonReader</c> pass of issue 21): any member order,
/// escapes unescaped, the last of a repeated member counts (also a second <c>type</c>), a value of the wrong kind is
/// absent, an ignored event still has to be valid JSON.
/// </summary>
public sealed class ResponsesStreamReaderEdgeTests
{
    private static List<StreamEvent> Feed(params string[] events)
    {
        var reader = new ResponsesStreamReader();
        var output = new List<StreamEvent>();
        foreach (string data in events)
        {
            reader.Feed(Encoding.UTF8.GetBytes(data), output);
        }

        reader.Complete(output);
        return output;
    }

    [Fact]
    public void Feed_MembersInAnyOrderEscapedAndRepeated_ReadByNameLastOneCounts()
    {
        List<StreamEvent> events = Feed(
            """{"response":{"tools":[{"a":{"b":[1,2,{"c":null}]}}],"model":"gpt-x","id":"resp_1"},"sequence_number":0,"type":"response.created"}""",
            """{"delta":"caf\u00e9 \"ok\"","item_id":"msg_1","type":"response.output_text.delta"}""",
            """{"type":"response.output_text.delta","delta":"first","delta":"second"}""",
            """{"type":"response.output_text.delta","delta":5}""",
            """{"type":"response.content_part.done","part":{"type":"output_text","text":"ignored"},"delta":"not a text delta"}""",
            """{"type":"response.unknown_event","delta":"kept by the last type","type":"response.output_text.delta"}""",
            """{"response":{"usage":{"output_tokens_details":{"reasoning_tokens":3},"input_tokens_details":[],"output_tokens":5,"input_tokens":1.5},"output":[{"type":"message","content":[{"type":"output_text","text":"x"}]}],"status":"completed"},"type":"response.completed"}""");

        Assert.Equal(new ResponseStartedEvent("resp_1", "gpt-x"), events[0]);
        Assert.Equal(["café \"ok\"", "second", "kept by the last type"], events.OfType<TextDeltaEvent>().Select(e => e.Text));
        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal("completed", completed.UpstreamReason);

        // 1.5 is not a count and a details array is not an object: both read as 0.
        Assert.Equal(new Usage { InputTokens = 0, OutputTokens = 5, CachedInputTokens = 0, ReasoningTokens = 3 }, completed.Usage);
    }

    [Fact]
    public void Feed_FunctionCallItemMembersInAnyOrder_ArgumentsUnescaped()
    {
        List<StreamEvent> events = Feed(
            """{"type":"response.created","response":{"id":"resp_2","model":"m"}}""",
            """{"item":{"arguments":"","name":"get_weather","call_id":"call_1","id":"fc_1","status":"in_progress","type":"function_call"},"output_index":0,"type":"response.output_item.added"}""",
            """{"delta":"{\"city\":","item_id":"fc_1","type":"response.function_call_arguments.delta"}""",
            """{"type":"response.function_call_arguments.delta","item_id":"fc_1","delta":"\"Par\u00eds\"}"}""",
            """{"item":{"type":"function_call","arguments":"{\"city\":\"Par\u00eds\"}","name":"get_weather","call_id":"call_1","id":"fc_1"},"type":"response.output_item.done"}""",
            """{"type":"response.completed","response":{"status":"completed"}}""");

        Assert.Equal(new ToolCallStartedEvent(0, "call_1", "get_weather") { Kind = ToolCallKind.Function, ItemId = "fc_1" },
            Assert.Single(events.OfType<ToolCallStartedEvent>()));
        ToolCallCompletedEvent call = Assert.Single(events.OfType<ToolCallCompletedEvent>());
        Assert.Equal("get_weather", call.Call.Name);
        Assert.Equal("call_1", call.Call.CallId);
        Assert.Equal("""{"city":"París"}""", call.Call.Arguments);
        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
    }

    [Fact]
    public void Feed_ReasoningItemSummaryAndEncryptedContent_ReadFromTheDoneItem()
    {
        List<StreamEvent> events = Feed(
            """{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","summary_index":0,"delta":"one"}""",
            """{"summary_index":1.0,"delta":"two","item_id":"rs_1","type":"response.reasoning_summary_text.delta"}""",
            """{"item":{"summary":[{"text":"One.","type":"summary_text"},{"type":"summary_text","text":""},"odd",{"text":"Two."}],"encrypted_content":"gAAA\u003d","id":"rs_1","type":"reasoning"},"type":"response.output_item.done"}""",
            """{"type":"response.completed","response":{"status":"completed"}}""");

        // summary_index 1.0 is not an integer: part 0, as before.
        Assert.Equal([0, 0], events.OfType<ReasoningDeltaEvent>().Select(e => e.SummaryIndex));
        ReasoningCompletedEvent reasoning = Assert.Single(events.OfType<ReasoningCompletedEvent>());
        Assert.Equal("One.\n\nTwo.", reasoning.Reasoning.Text);
        Assert.Equal(["One.", "Two."], reasoning.Reasoning.SummaryParts);
        Assert.Equal("gAAA=", reasoning.Reasoning.EncryptedContent);
        Assert.Equal("rs_1", reasoning.Reasoning.ItemId);
    }

    [Theory]
    [InlineData("""{"type":"response.content_part.added","part":{"a":[1,}}""")]
    [InlineData("""{"type":"response.output_text.delta","delta":"x"} x""")]
    [InlineData("""{"type":"response.in_progress"}{}""")]
    [InlineData("")]
    public void Feed_NotOneJsonValue_Is502EvenForAnIgnoredEvent(string data)
    {
        List<StreamEvent> events = Feed(data);

        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(502, error.Error.Status);
        Assert.StartsWith("the upstream sent an event that is not valid JSON: ", error.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"code":"rate_limit_exceeded","message":"slow down","type":"error"}""", 429, "rate_limit_exceeded", "slow down")]
    [InlineData("""{"error":{"message":"too long","type":"invalid_request_error"},"message":"outer","type":"error"}""", 400, "invalid_request_error", "too long")]
    [InlineData("""{"type":"error","error":{"code":"server_is_overloaded"},"message":"outer"}""", 503, "server_is_overloaded", "outer")]
    [InlineData("""{"type":"error","error":"flat","code":"timeout"}""", 504, "timeout", "upstream stream error")]
    public void Feed_ErrorShapes_CodeAndMessage(string data, int status, string code, string message)
    {
        StreamErrorEvent error = Assert.IsType<StreamErrorEvent>(Assert.Single(Feed(data)));

        Assert.Equal(status, error.Error.Status);
        Assert.Equal(code, error.Error.Code);
        Assert.Equal(message, error.Error.Message);
    }

    [Fact]
    public void Feed_FailedAndIncomplete_ReadFromTheResponseObject()
    {
        StreamErrorEvent failed = Assert.IsType<StreamErrorEvent>(Assert.Single(Feed(
            """{"response":{"error":{"type":"server_error","message":"boom"},"status":"failed"},"type":"response.failed"}""")));
        Assert.Equal("server_error", failed.Error.Code);
        Assert.Equal("boom", failed.Error.Message);

        List<StreamEvent> incomplete = Feed(
            """{"response":{"usage":{"input_tokens":4,"output_tokens":2},"incomplete_details":{"reason":"content_filter"},"id":"resp_3"},"type":"response.incomplete"}""");
        Assert.Equal(new ResponseStartedEvent("resp_3", ""), incomplete[0]);
        var completed = Assert.IsType<ResponseCompletedEvent>(incomplete[^1]);
        Assert.Equal(FinishReason.ContentFilter, completed.FinishReason);
        Assert.Equal("content_filter", completed.UpstreamReason);
        Assert.Equal(new Usage { InputTokens = 4, OutputTokens = 2 }, completed.Usage);
    }
}
