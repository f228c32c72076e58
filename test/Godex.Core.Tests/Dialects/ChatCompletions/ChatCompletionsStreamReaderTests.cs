using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Sse;

namespace Godex.Core.Tests.Dialects.ChatCompletions;

/// <summary>
/// Upstream Chat Completions chunks → canonical events, for each way OpenAI-compatible servers differ from OpenAI
/// (the chunks are shaped as each server sends them).
/// </summary>
public sealed class ChatCompletionsStreamReaderTests
{
    [Fact]
    public void OpenAIShape_StreamedToolCall_ThenUsageChunkWithEmptyChoices_ThenDone()
    {
        List<StreamEvent> events = Read(
            """{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}""",
            """{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}""",
            """{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}""",
            """{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"id":"chatcmpl-1","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}""",
            "[DONE]");

        Assert.Equal(new ResponseStartedEvent("chatcmpl-1", "gpt-4o"), events[0]);
        Assert.Equal(new ToolCallStartedEvent(0, "call_abc", "get_weather"), events[1]);
        Assert.Equal(new ToolCallArgumentsDeltaEvent(0, "{\"city\":"), events[2]);
        Assert.Equal(new ToolCallArgumentsDeltaEvent(0, "\"Paris\"}"), events[3]);
        ToolCallCompletedEvent completed = Assert.IsType<ToolCallCompletedEvent>(events[4]);
        Assert.Equal(new ToolCallPart("call_abc", "get_weather", "{\"city\":\"Paris\"}"), completed.Call);
        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[5]);
        Assert.Equal(FinishReason.ToolCalls, done.FinishReason);
        Assert.Equal(new Usage { InputTokens = 12, OutputTokens = 7, CachedInputTokens = 4, ReasoningTokens = 2 }, done.Usage);
        Assert.Equal(6, events.Count);
    }

    [Fact]
    public void AChoiceIndexThatIsNotAWholeNumber_IsReadAsNoIndex_NotThrownOn()
    {
        List<StreamEvent> events = Read(
            """{"id":"c","model":"m","choices":[{"index":1.5,"delta":{"content":"a"}}]}""",
            """{"id":"c","model":"m","choices":[{"index":1e12,"delta":{"content":"b"},"finish_reason":"stop"}]}""",
            "[DONE]");

        Assert.Equal("ab", string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text)));
        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Fact]
    public void GeminiShape_ToolCallWholeInTheFinishingChunk_WithoutId_UsageOnThatChunk()
    {
        List<StreamEvent> events = Read(
            """{"id":"chatcmpl-g","model":"gemini-2.5-flash","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":30,"completion_tokens":9,"total_tokens":39}}""",
            "[DONE]");

        string id = ChatCompletionsStreamReader.SyntheticId("chatcmpl-g", 0);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal(new ToolCallStartedEvent(0, id, "get_weather"), events[1]);
        Assert.Equal(new ToolCallArgumentsDeltaEvent(0, "{\"city\":\"Paris\"}"), events[2]);
        Assert.Equal(new ToolCallPart(id, "get_weather", "{\"city\":\"Paris\"}"), Assert.IsType<ToolCallCompletedEvent>(events[3]).Call);
        ResponseCompletedEvent done = Assert.IsType<ResponseCompletedEvent>(events[4]);
        Assert.Equal(FinishReason.ToolCalls, done.FinishReason);
        Assert.Equal(39, done.Usage.TotalTokens);
    }

    [Fact]
    public void MissingIds_AreStable_TheSameStreamGivesTheSameIds_TwoCallsGetTwoIds()
    {
        string[] chunks =
        [
            """{"id":"chatcmpl-x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"a","arguments":"{}"}},{"index":1,"function":{"name":"b","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}""",
        ];
        string[] first = [.. Read(chunks).OfType<ToolCallCompletedEvent>().Select(c => c.Call.CallId)];
        string[] again = [.. Read(chunks).OfType<ToolCallCompletedEvent>().Select(c => c.Call.CallId)];

        Assert.Equal(2, first.Length);
        Assert.NotEqual(first[0], first[1]);
        Assert.Equal(first, again);
    }

    [Fact]
    public void NoDone_TheBodyEndingAfterTheFinishReasonCompletesTheAnswer()
    {
        List<StreamEvent> events = Read(
            """{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}""",
            """{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""");

        Assert.Equal(new TextDeltaEvent("Hi"), events[1]);
        Assert.Equal(FinishReason.Stop, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
    }

    [Fact]
    public void BodyEndingWithoutAFinishReason_IsAnError_NotASuccess()
    {
        List<StreamEvent> events = Read("""{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}""");

        Assert.Equal(502, Assert.IsType<StreamErrorEvent>(events[^1]).Error.Status);
    }

    [Fact]
    public void StopAfterToolCalls_IsReportedAsToolCalls()
    {
        List<StreamEvent> events = Read(
            """{"id":"o","choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_1","function":{"name":"ls","arguments":"{}"}}]},"finish_reason":null}]}""",
            """{"id":"o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
            "[DONE]");

        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
    }

    [Fact]
    public void ErrorObjectInsideTheStream_IsATerminalErrorWithItsStatus()
    {
        List<StreamEvent> events = Read(
            """{"id":"r","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}""",
            """{"error":{"message":"Provider returned error","code":429}}""",
            """{"id":"r","choices":[{"index":0,"delta":{"content":"ignored"},"finish_reason":null}]}""");

        BackendError error = Assert.IsType<StreamErrorEvent>(events[^1]).Error;
        Assert.Equal(429, error.Status);
        Assert.Equal("Provider returned error", error.Message);
        Assert.DoesNotContain(events, e => e is TextDeltaEvent { Text: "ignored" });
    }

    [Fact]
    public void ReasoningContent_IsReasoning()
    {
        List<StreamEvent> events = Read(
            """{"id":"d","choices":[{"index":0,"delta":{"reasoning_content":"Thinking"},"finish_reason":null}]}""",
            """{"id":"d","choices":[{"index":0,"delta":{"reasoning":" more"},"finish_reason":null}]}""",
            """{"id":"d","choices":[{"index":0,"delta":{"content":"Answer"},"finish_reason":"stop"}]}""");

        Assert.Equal(new ReasoningDeltaEvent("Thinking"), events[1]);
        Assert.Equal(new ReasoningDeltaEvent(" more"), events[2]);
        Assert.Equal(new TextDeltaEvent("Answer"), events[3]);
    }

    [Fact]
    public void CustomToolCall_ComesBackAsACustomCallWithItsRawInput()
    {
        List<StreamEvent> events = Read(
            new HashSet<string> { "apply_patch" },
            """{"id":"p","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_p","function":{"name":"apply_patch","arguments":"{\"input\":\"*** Begin Patch\\n*** End Patch\"}"}}]},"finish_reason":"tool_calls"}]}""");

        Assert.Equal(ToolCallKind.Custom, Assert.IsType<ToolCallStartedEvent>(events[1]).Kind);
        ToolCallPart call = Assert.IsType<ToolCallCompletedEvent>(events[2]).Call;
        Assert.Equal(ToolCallKind.Custom, call.Kind);
        Assert.Equal("*** Begin Patch\n*** End Patch", call.Arguments);
    }

    internal static List<StreamEvent> Read(params string[] chunks) => Read(null, chunks);

    /// <summary>Feeds the chunks to a fresh reader and completes it (also for <see cref="ChatCompletionsStreamReaderChunkTests"/>).</summary>
    internal static List<StreamEvent> Read(IReadOnlySet<string>? customTools, params string[] chunks)
    {
        var reader = new ChatCompletionsStreamReader(customTools);
        var events = new List<StreamEvent>();
        foreach (string chunk in chunks)
        {
            reader.Feed(new SseEvent("message", Encoding.UTF8.GetBytes(chunk)), events);
        }

        reader.Complete(events);
        return events;
    }
}
