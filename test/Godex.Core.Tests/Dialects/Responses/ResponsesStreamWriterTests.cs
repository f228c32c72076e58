using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;
using Godex.Core.Sse;

namespace Godex.Core.Tests.Dialects.Responses;

public sealed class ResponsesStreamWriterTests
{
    private static async Task<List<JsonElement>> RenderAsync(string requestJson, params StreamEvent[] events)
    {
        Assert.True(ResponsesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(requestJson), "m", out ResponsesRequest? request, out _));
        using var body = new MemoryStream();
        using (var sse = new SseWriter(body))
        {
            var renderer = new ResponsesStreamWriter(sse, request!, "resp_1", 1700000000, "m");
            await renderer.StartAsync(CancellationToken.None);
            foreach (StreamEvent e in events)
            {
                if (await renderer.WriteAsync(e, CancellationToken.None))
                {
                    break;
                }
            }
        }

        var frames = new List<JsonElement>();
        foreach (string block in Encoding.UTF8.GetString(body.ToArray()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            JsonElement json = JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone();
            Assert.Equal(lines[0]["event: ".Length..], json.GetProperty("type").GetString());
            Assert.Equal(frames.Count, json.GetProperty("sequence_number").GetInt32());
            frames.Add(json);
        }

        return frames;
    }

    private static string[] Types(List<JsonElement> frames) => [.. frames.Select(f => f.GetProperty("type").GetString()!)];

    [Fact]
    public async Task Render_ReasoningTextUsage_OfficialOrderAndFields()
    {
        List<JsonElement> frames = await RenderAsync("""{"input":"x"}""",
            new ReasoningDeltaEvent("Think") { ItemId = "rs_up" },
            new ReasoningDeltaEvent("ing"),
            new ReasoningCompletedEvent(new ReasoningPart { Text = "Thinking", EncryptedContent = "enc", ItemId = "rs_up" }),
            new TextDeltaEvent("Hel"),
            new TextDeltaEvent("lo"),
            new ResponseCompletedEvent(FinishReason.Stop, new Usage { InputTokens = 10, OutputTokens = 5, CachedInputTokens = 2, ReasoningTokens = 3 }));

        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.completed",
        ], Types(frames));
        Assert.Equal("rs_up", frames[2].GetProperty("item").GetProperty("id").GetString());
        JsonElement reasoningDone = frames[8].GetProperty("item");
        Assert.Equal("enc", reasoningDone.GetProperty("encrypted_content").GetString());
        Assert.Equal("Thinking", reasoningDone.GetProperty("summary")[0].GetProperty("text").GetString());
        Assert.Equal(1, frames[9].GetProperty("output_index").GetInt32());
        Assert.Equal("Hello", frames[13].GetProperty("text").GetString());
        JsonElement response = frames[^1].GetProperty("response");
        Assert.Equal("completed", response.GetProperty("status").GetString());
        Assert.Equal(2, response.GetProperty("output").GetArrayLength());
        Assert.Equal("""{"input_tokens":10,"input_tokens_details":{"cached_tokens":2},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":15}""",
            response.GetProperty("usage").GetRawText());
    }

    [Fact]
    public async Task Render_FunctionCallWithSnapshotOnly_StreamsArgumentsThenDone()
    {
        List<JsonElement> frames = await RenderAsync("""{"input":"x","tools":[{"type":"function","name":"f"}]}""",
            new ToolCallStartedEvent(0, "call_1", "f") { ItemId = "fc_up" },
            new ToolCallCompletedEvent(0, new ToolCallPart("call_1", "f", """{"a":1}""")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, Usage.Empty));

        Assert.Equal(
        [
            "response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done", "response.completed",
        ], Types(frames));
        Assert.Equal("", frames[2].GetProperty("item").GetProperty("arguments").GetString());
        Assert.Equal("""{"a":1}""", frames[4].GetProperty("arguments").GetString());
        Assert.Equal("fc_up", frames[5].GetProperty("item").GetProperty("id").GetString());
        Assert.Equal("call_1", frames[5].GetProperty("item").GetProperty("call_id").GetString());
    }

    [Fact]
    public async Task Render_AnthropicThinkingAndCustomToolAsFunction_EnvelopeAndCustomToolCall()
    {
        List<JsonElement> frames = await RenderAsync("""{"input":"x","tools":[{"type":"custom","name":"apply_patch"}]}""",
            new ReasoningDeltaEvent("hmm"),
            new ReasoningCompletedEvent(new ReasoningPart { Text = "hmm", Signature = "SIG" }),
            new ToolCallStartedEvent(0, "toolu_1", "apply_patch"),
            new ToolCallArgumentsDeltaEvent(0, """{"input":"*** Begin"""),
            new ToolCallArgumentsDeltaEvent(0, """ Patch"}"""),
            new ToolCallCompletedEvent(0, new ToolCallPart("toolu_1", "apply_patch", """{"input":"*** Begin Patch"}""")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, Usage.Empty));

        JsonElement reasoning = frames.First(f => f.GetProperty("type").GetString() == "response.output_item.done").GetProperty("item");
        ReasoningPart restored = ResponsesReasoningEnvelope.Decode(reasoning.GetProperty("encrypted_content").GetString(), "", null);
        Assert.Equal(("hmm", "SIG"), (restored.Text, restored.Signature));
        JsonElement done = Assert.Single(frames, f => f.GetProperty("type").GetString() == "response.custom_tool_call_input.done");
        Assert.Equal("*** Begin Patch", done.GetProperty("input").GetString());
        JsonElement delta = Assert.Single(frames, f => f.GetProperty("type").GetString() == "response.custom_tool_call_input.delta");
        Assert.Equal("*** Begin Patch", delta.GetProperty("delta").GetString());
        JsonElement item = frames[^1].GetProperty("response").GetProperty("output")[1];
        Assert.Equal(("custom_tool_call", "*** Begin Patch"), (item.GetProperty("type").GetString(), item.GetProperty("input").GetString()));
    }

    [Theory]
    [InlineData("length", "max_output_tokens")]
    [InlineData("content_filter", "content_filter")]
    public async Task Render_CutShort_ResponseIncomplete(string finish, string reason)
    {
        List<JsonElement> frames = await RenderAsync("""{"input":"x"}""",
            new TextDeltaEvent("Hi"),
            new ResponseCompletedEvent(new FinishReason(finish), Usage.Empty));

        Assert.Equal("response.incomplete", frames[^1].GetProperty("type").GetString());
        Assert.Equal(reason, frames[^1].GetProperty("response").GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal("response.output_item.done", frames[^2].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Render_ErrorAfterStart_ResponseFailed()
    {
        List<JsonElement> frames = await RenderAsync("""{"input":"x"}""",
            new TextDeltaEvent("Hi"),
            new StreamErrorEvent(BackendError.Upstream(502, "connection reset")));

        JsonElement response = frames[^1].GetProperty("response");
        Assert.Equal("response.failed", frames[^1].GetProperty("type").GetString());
        Assert.Equal(("server_error", "connection reset"), (response.GetProperty("error").GetProperty("code").GetString(), response.GetProperty("error").GetProperty("message").GetString()));
    }
}
