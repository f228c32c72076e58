using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Messages;
using Godex.Core.Dialects.Responses;
using Godex.Core.Sse;
using Godex.Core.Tests.Dialects.Responses;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Dialects;

/// <summary>
/// Transcripts for the translation fixes of issue 16: recorded upstream bytes in (or a client body in), exact bytes out.
/// </summary>
public sealed class FidelityTranscriptTests
{
    private static readonly MessagesWriterOptions s_anthropic = new(8192, new AnthropicBackendOptions().OAuthSystemPrefix);

    private static string Compact(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.RootElement.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static ChatRequest ReadMessages(string body)
    {
        Assert.True(MessagesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(body), "m", out ChatRequest? request, out BackendError? error), error?.Message);
        return request!;
    }

    private static ChatRequest ReadChat(string body)
    {
        Assert.True(ChatCompletionsRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(body), "m", out ChatCompletionsRequest? request, out BackendError? error), error?.Message);
        return request!.Request;
    }

    [Fact]
    public async Task ResponsesToResponses_RecordedThreePartSummary_PartsStayApart()
    {
        byte[] recorded = Fixtures.Bytes("openai-responses-real/o3-reasoning-summary-text.stream.ELIDED.sse");
        List<StreamEvent> events = await ResponsesStreamReaderTests.ParseAsync(recorded);
        string upstreamItem = Encoding.UTF8.GetString(recorded).Split('\n')
            .Where(l => l.StartsWith("data: ", StringComparison.Ordinal) && l.Contains("\"response.output_item.done\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.GetProperty("item"))
            .First(i => i.GetProperty("type").GetString() == "reasoning")
            .GetProperty("summary").GetRawText();

        Assert.Equal(3, Assert.Single(events.OfType<ReasoningCompletedEvent>()).Reasoning.SummaryParts.Count);
        List<JsonElement> frames = await RenderResponsesAsync(events);

        JsonElement item = frames.First(f => f.GetProperty("type").GetString() == "response.output_item.done").GetProperty("item");
        Assert.Equal(Compact(upstreamItem), Compact(item.GetProperty("summary").GetRawText()));
        // The recording elides every delta of part 1: the two parts that streamed stay two parts (numbered 0, 1).
        Assert.Equal([0, 1], frames.Where(f => f.GetProperty("type").GetString() == "response.reasoning_summary_part.added").Select(f => f.GetProperty("summary_index").GetInt32()));
    }

    [Fact]
    public void ResponsesInput_ThreeSummaryParts_ToCodexAsThreeParts()
    {
        string body = """{"model":"gpt-5.2-codex","input":[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"A"},{"type":"summary_text","text":"B"},{"type":"summary_text","text":"C"}],"encrypted_content":"enc"},{"type":"message","role":"user","content":"go on"}],"text":{"verbosity":"low"}}""";
        Assert.True(ResponsesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(body), "m", out ResponsesRequest? request, out _));
        ChatRequest chat = ResponsesRequestReader.ToChatRequest(request!, request!.Input, []);

        string sent = Encoding.UTF8.GetString(ResponsesRequestWriter.Translate(chat, "DEFAULT"));

        Assert.Contains(Compact("""{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"A"},{"type":"summary_text","text":"B"},{"type":"summary_text","text":"C"}],"encrypted_content":"enc"}"""), sent, StringComparison.Ordinal);
        Assert.EndsWith("""
            "text":{"verbosity":"low"}}
            """, sent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("output_config", """{"type":"object","additionalProperties":false,"properties":{"city":{"type":"string"}},"required":["city"]}""", true)]
    [InlineData("output_format", """{"type":"object","additionalProperties":false,"properties":{"city":{"type":"string"},"note":{"type":"string"}},"required":["city"]}""", false)]
    public void MessagesStructuredOutput_ToCodexTextFormat(string field, string schema, bool strict)
    {
        string format = $$"""{"type":"json_schema","schema":{{schema}}}""";
        string wrapped = field == "output_config" ? $$"""{"format":{{format}}}""" : format;
        ChatRequest request = ReadMessages($$"""{"model":"gpt-5.2-codex","max_tokens":100,"messages":[{"role":"user","content":"hi"}],"{{field}}":{{wrapped}}}""");

        string sent = Encoding.UTF8.GetString(ResponsesRequestWriter.Translate(request, "DEFAULT"));

        string expected = "{\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"output\",\"schema\":" + schema + ",\"strict\":" + (strict ? "true" : "false") + "}}}";
        Assert.EndsWith(Compact(expected)[1..], sent, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatStructuredOutput_ToAnthropic_ObjectsClosed()
    {
        ChatRequest request = ReadChat("""
            {"model":"sonnet","messages":[{"role":"user","content":"hi"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object","properties":{"list":{"type":"array","items":{"type":"object","properties":{"x":{"type":"string"}}}}},"additionalProperties":true}}}}
            """);

        string sent = Encoding.UTF8.GetString(MessagesRequestWriter.Translate(request, s_anthropic, oauth: false));

        Assert.Contains(Compact("""{"output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"list":{"type":"array","items":{"type":"object","properties":{"x":{"type":"string"}},"additionalProperties":false}}},"additionalProperties":false}}}}""")[1..^1], sent, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatToolLoop_WithoutThinkingBlocks_ContinuationSentWithoutThinking()
    {
        ChatRequest request = ReadChat("""
            {"model":"sonnet","reasoning_effort":"low","messages":[
              {"role":"user","content":"weather?"},
              {"role":"assistant","content":"Calling.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"toolu_1","content":"sunny"}]}
            """);

        Assert.Equal(
            Compact("""
                {"model":"sonnet","max_tokens":8192,"messages":[
                 {"role":"user","content":[{"type":"text","text":"weather?"}]},
                 {"role":"assistant","content":[{"type":"text","text":"Calling."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
                 {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}],"stream":true}
                """),
            Encoding.UTF8.GetString(MessagesRequestWriter.Translate(request, s_anthropic, oauth: false)));
    }

    [Fact]
    public void ChatToolLoop_WithThinkingBlocks_SignedBlockFirstAndThinkingOn()
    {
        ChatRequest request = ReadChat("""
            {"model":"sonnet","reasoning_effort":"low","messages":[
              {"role":"user","content":"weather?"},
              {"role":"assistant","content":"Calling.","reasoning_content":"I should call it.","thinking_blocks":[{"type":"thinking","thinking":"I should call it.","signature":"c2lnbmVk"}],
               "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"toolu_1","content":"sunny"}]}
            """);

        Assert.Equal(
            Compact("""
                {"model":"sonnet","max_tokens":8192,"messages":[
                 {"role":"user","content":[{"type":"text","text":"weather?"}]},
                 {"role":"assistant","content":[{"type":"thinking","thinking":"I should call it.","signature":"c2lnbmVk"},{"type":"text","text":"Calling."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
                 {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}],
                 "thinking":{"type":"enabled","budget_tokens":1024},"stream":true}
                """),
            Encoding.UTF8.GetString(MessagesRequestWriter.Translate(request, s_anthropic, oauth: false)));
    }

    [Fact]
    public void AssistantTurn_ThinkingAfterTextAndAtTheEnd_ReorderedAndTrailingDropped()
    {
        var request = new ChatRequest
        {
            Model = "claude",
            Messages =
            [
                new ChatMessage(ChatRole.User, "hi"),
                new ChatMessage(ChatRole.Assistant, [new TextPart("a"), new ReasoningPart { Text = "t", Signature = "s" }, new TextPart("b"), new ReasoningPart { Text = "late", Signature = "s2" }]),
                new ChatMessage(ChatRole.User, "again"),
            ],
        };

        Assert.Equal(
            Compact("""
                {"model":"claude","max_tokens":8192,"messages":[
                 {"role":"user","content":[{"type":"text","text":"hi"}]},
                 {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                 {"role":"user","content":[{"type":"text","text":"again"}]}],"stream":false}
                """),
            Encoding.UTF8.GetString(MessagesRequestWriter.Translate(request, s_anthropic, oauth: false)));
    }

    [Fact]
    public async Task AnthropicToChat_RecordedThinkingStream_ReasoningContentThenSignedBlock()
    {
        byte[] recorded = Fixtures.Bytes("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse");
        var reader = new MessagesStreamReader();
        var events = new List<StreamEvent>();
        foreach (SseEvent item in await UpstreamFrames.ReadAllAsync(recorded, TestContext.Current.CancellationToken))
        {
            reader.Feed(item, events);
        }

        reader.Complete(events);
        ReasoningPart thinking = Assert.Single(events.OfType<ReasoningCompletedEvent>()).Reasoning;

        using var body = new MemoryStream();
        using (var sse = new SseWriter(body))
        {
            var writer = new ChatCompletionsStreamWriter(sse, new ChatCompletionHeader("chatcmpl-1", 1, "claude"), includeUsage: false);
            foreach (StreamEvent e in events.Where(e => e is not ResponseStartedEvent))
            {
                if (await writer.WriteAsync(e, TestContext.Current.CancellationToken))
                {
                    break;
                }
            }
        }

        List<string> deltas = [.. Encoding.UTF8.GetString(body.ToArray()).Split('\n')
            .Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.GetProperty("choices")[0].GetProperty("delta").GetRawText())];
        string reasoning = string.Concat(deltas.Where(d => d.StartsWith("{\"reasoning_content\"", StringComparison.Ordinal)).Select(d => JsonDocument.Parse(d).RootElement.GetProperty("reasoning_content").GetString()));
        Assert.Equal(thinking.Text, reasoning);
        using var expected = new MemoryStream();
        using (var w = new Utf8JsonWriter(expected))
        {
            w.WriteStartObject();
            w.WriteStartArray("thinking_blocks");
            w.WriteStartObject();
            w.WriteString("type", "thinking");
            w.WriteString("thinking", thinking.Text);
            w.WriteString("signature", thinking.Signature);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        Assert.Contains(Compact(Encoding.UTF8.GetString(expected.ToArray())), deltas.Select(Compact));
    }

    private static async Task<List<JsonElement>> RenderResponsesAsync(List<StreamEvent> events)
    {
        Assert.True(ResponsesRequestReader.TryParseRequest("""{"model":"o3","input":"hi"}"""u8.ToArray(), "m", out ResponsesRequest? request, out _));
        using var body = new MemoryStream();
        using (var sse = new SseWriter(body))
        {
            var renderer = new ResponsesStreamWriter(sse, request!, "resp_1", 1700000000, "o3");
            await renderer.StartAsync(TestContext.Current.CancellationToken);
            foreach (StreamEvent e in events.Where(e => e is not ResponseStartedEvent))
            {
                if (await renderer.WriteAsync(e, TestContext.Current.CancellationToken))
                {
                    break;
                }
            }
        }

        return [.. Encoding.UTF8.GetString(body.ToArray()).Split('\n')
            .Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone())];
    }
}
