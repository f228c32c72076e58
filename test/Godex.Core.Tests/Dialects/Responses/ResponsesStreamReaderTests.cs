using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;
using Godex.Core.Sse;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Dialects.Responses;

public sealed class ResponsesStreamReaderTests
{
    internal static async Task<List<StreamEvent>> ParseAsync(byte[] sse)
    {
        var parser = new ResponsesStreamReader();
        var events = new List<StreamEvent>();
        foreach (SseEvent item in await UpstreamFrames.ReadAllAsync(sse, TestContext.Current.CancellationToken))
        {
            parser.Feed(item.Data, events);
        }

        parser.Complete(events);
        return events;
    }

    /// <summary>
    /// The recorded stream. It was lifted from a markdown block that lost the blank line ending the last event; the
    /// SSE spec discards an event that is not terminated, so the blank line is put back.
    /// </summary>
    internal static byte[] O3FunctionCall()
    {
        byte[] recorded = Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse");
        return recorded.AsSpan().EndsWith("\n\n"u8) ? recorded : [.. recorded, (byte)'\n'];
    }

    private static byte[] Sse(params string[] data)
    {
        var builder = new StringBuilder();
        foreach (string item in data)
        {
            builder.Append("data: ").Append(item).Append("\n\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    [Fact]
    public async Task Parse_RealO3FunctionCall_EmitsToolCallAndUsage()
    {
        List<StreamEvent> events = await ParseAsync(O3FunctionCall());

        var started = Assert.IsType<ResponseStartedEvent>(events[0]);
        Assert.Equal("resp_68ca7f6f214081939246a7e2385a13970a7529be66016d03", started.ResponseId);
        Assert.Equal("o3", started.Model);

        var reasoning = Assert.Single(events.OfType<ReasoningCompletedEvent>());
        Assert.Equal("rs_68ca7f6f73448193a2a0d794ba786bb20a7529be66016d03", reasoning.Reasoning.ItemId);

        var toolStarted = Assert.Single(events.OfType<ToolCallStartedEvent>());
        Assert.Equal((0, "call_DhtkoVLdnlohlERqrxpUjb25", "get_weather"), (toolStarted.Index, toolStarted.CallId, toolStarted.Name));

        const string Arguments = """{"location":{"x":"Beijing","y":"China"},"units":"celsius"}""";
        Assert.Equal(Arguments, string.Concat(events.OfType<ToolCallArgumentsDeltaEvent>().Select(d => d.Delta)));
        var completed = Assert.Single(events.OfType<ToolCallCompletedEvent>());
        Assert.Equal(Arguments, completed.Call.Arguments);
        Assert.Equal("get_weather", completed.Call.Name);
        Assert.Equal("fc_68ca7f707e2081939c26035e1c47f8670a7529be66016d03", completed.Call.ItemId);

        var done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.ToolCalls, done.FinishReason);
        Assert.Equal(new Usage { InputTokens = 84, CachedInputTokens = 0, OutputTokens = 94, ReasoningTokens = 64 }, done.Usage);
        Assert.IsType<UsageEvent>(events[^2]);
    }

    [Fact]
    public async Task Parse_ElidedReasoningSummary_HasReasoningTextAndStop()
    {
        List<StreamEvent> events = await ParseAsync(Fixtures.Bytes("openai-responses-real/o3-reasoning-summary-text.stream.ELIDED.sse"));

        Assert.IsType<ResponseStartedEvent>(events[0]);
        Assert.NotEmpty(events.OfType<ReasoningDeltaEvent>());
        Assert.NotEmpty(events.OfType<ReasoningCompletedEvent>());
        Assert.NotEmpty(events.OfType<TextDeltaEvent>());
        Assert.DoesNotContain(events, e => e is StreamErrorEvent);
        var done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.Stop, done.FinishReason);
        Assert.True(done.Usage.OutputTokens > 0);
    }

    [Fact]
    public async Task Parse_StreamCutBeforeCompleted_Emits502()
    {
        byte[] full = O3FunctionCall();
        string text = Encoding.UTF8.GetString(full);
        byte[] cut = Encoding.UTF8.GetBytes(text[..text.IndexOf("event: response.function_call_arguments.done", StringComparison.Ordinal)]);

        List<StreamEvent> events = await ParseAsync(cut);

        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(502, error.Error.Status);
        Assert.Contains("response.completed", error.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_ResponseFailed_EmitsErrorWithMessage()
    {
        List<StreamEvent> events = await ParseAsync(Sse(
            """{"type":"response.created","response":{"id":"r1","model":"gpt-5"}}""",
            """{"type":"response.failed","response":{"id":"r1","status":"failed","error":{"code":"server_is_overloaded","message":"Our servers are overloaded"}}}"""));

        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(503, error.Error.Status);
        Assert.Equal("Our servers are overloaded", error.Error.Message);
        Assert.Equal("server_is_overloaded", error.Error.Code);
    }

    [Fact]
    public async Task Parse_ErrorEvent_RateLimitIs429()
    {
        List<StreamEvent> events = await ParseAsync(Sse("""{"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null}"""));

        var error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(429, error.Error.Status);
        Assert.Equal("slow down", error.Error.Message);
    }

    [Fact]
    public async Task Parse_DeltasBeforeAddedAndEmptyDeltas_UseSnapshotOnce()
    {
        List<StreamEvent> events = await ParseAsync(Sse(
            """{"type":"response.created","response":{"id":"r","model":"m"}}""",
            """{"delta":"{}","item_id":"fc_1","type":"response.function_call_arguments.delta"}""",
            """{"type":"response.output_item.added","item":{"type":"function_call","id":"fc_1","call_id":"c1","name":"shell","arguments":""}}""",
            """{"type":"response.function_call_arguments.done","item_id":"fc_1","arguments":"{\"cmd\":\"ls\"}"}""",
            """{"type":"response.output_item.done","item":{"type":"function_call","id":"fc_1","call_id":"c1","name":"shell","arguments":"{\"cmd\":\"ls\"}"}}""",
            """{"type":"response.output_item.added","item":{"type":"custom_tool_call","id":"ct_1","call_id":"c2","name":"apply_patch"}}""",
            """{"type":"response.custom_tool_call_input.delta","item_id":"ct_1","delta":"*** Begin"}""",
            """{"type":"response.custom_tool_call_input.done","item_id":"ct_1","input":"*** Begin"}""",
            """{"type":"response.completed","response":{"id":"r","status":"completed","usage":{"input_tokens":5,"output_tokens":2}}}"""));

        Assert.Equal("{}", Assert.IsType<ToolCallArgumentsDeltaEvent>(events[2]).Delta);
        var calls = events.OfType<ToolCallCompletedEvent>().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("""{"cmd":"ls"}""", calls[0].Call.Arguments);
        Assert.Equal((1, ToolCallKind.Custom, "*** Begin"), (calls[1].Index, calls[1].Call.Kind, calls[1].Call.Arguments));
        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
    }

    [Fact]
    public async Task Parse_Incomplete_IsLength()
    {
        List<StreamEvent> events = await ParseAsync(Sse(
            """{"type":"response.output_text.delta","delta":"Hel","obfuscation":"x"}""",
            """{"type":"response.incomplete","response":{"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}"""));

        Assert.Equal("Hel", Assert.IsType<TextDeltaEvent>(events[1]).Text);
        var done = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(FinishReason.Length, done.FinishReason);
        Assert.Equal("max_output_tokens", done.UpstreamReason);
    }

    [Theory]
    [InlineData("{}{\"command\":\"ls\"}", "{\"command\":\"ls\"}")]
    [InlineData("{\"a\":1}", "{\"a\":1}")]
    [InlineData("", "{}")]
    [InlineData("{\"a\":", "{\"a\":")]
    public void Normalize_ToolArguments(string input, string expected) =>
        Assert.Equal(expected, ToolArguments.Normalize(input));
}
