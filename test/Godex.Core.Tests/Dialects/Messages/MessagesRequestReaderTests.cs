using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Dialects.Messages;

public sealed class MessagesRequestReaderTests
{
    private const string DefaultModel = "claude-sonnet-4-5";

    private static ChatRequest Parse(string json)
    {
        bool ok = MessagesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), DefaultModel, out ChatRequest? request, out BackendError? error);
        Assert.True(ok, error?.Message);
        return request!;
    }

    private static BackendError Reject(string json)
    {
        bool ok = MessagesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), DefaultModel, out _, out BackendError? error);
        Assert.False(ok);
        Assert.Equal(400, error!.Status);
        Assert.Equal("invalid_request_error", error.Type);
        return error;
    }

    private static string Request(string messages, string extra = "") =>
        $$"""{"model":"claude-x","max_tokens":100,"messages":{{messages}}{{extra}}}""";

    [Fact]
    public void Minimal_TextMessage()
    {
        ChatRequest request = Parse("""{"model":"claude-x","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal("claude-x", request.Model);
        Assert.Equal(100, request.MaxOutputTokens);
        ChatMessage message = Assert.Single(request.Messages);
        Assert.Equal(ChatRole.User, message.Role);
        Assert.Equal("hi", message.Text);
        Assert.False(request.Stream);
        Assert.Null(request.Reasoning);
        Assert.Null(request.PromptCacheKey);
    }

    [Fact]
    public void SystemBlocks_AndInPlaceSystemMessages_KeepTheirPositions()
    {
        ChatRequest request = Parse(Request(
            """[{"role":"user","content":"a"},{"role":"system","content":"mid"},{"role":"assistant","content":"b"}]""",
            ""","system":[{"type":"text","text":"one"},{"type":"text","text":"two","cache_control":{"type":"ephemeral"}}]"""));

        Assert.Equal(["system:one", "system:two", "user:a", "system:mid", "assistant:b"], request.Messages.Select(m => m.Role + ":" + m.Text));
    }

    [Fact]
    public void PromptCacheKey_IsStableAcrossTurns_AndFollowsSystemAndTools()
    {
        const string Tools = ""","tools":[{"name":"t","input_schema":{"type":"object"}}]""";
        string key1 = Parse(Request("""[{"role":"user","content":"a"}]""", ""","system":"S" """ + Tools)).PromptCacheKey!;
        string key2 = Parse(Request("""[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]""", ""","system":"S" """ + Tools)).PromptCacheKey!;
        string key3 = Parse(Request("""[{"role":"user","content":"a"}]""", ""","system":"T" """ + Tools)).PromptCacheKey!;

        Assert.StartsWith("godex-", key1, StringComparison.Ordinal);
        Assert.Equal(key1, key2);
        Assert.NotEqual(key1, key3);
    }

    [Fact]
    public void AllBlockTypes_MapToCanonicalParts()
    {
        string envelope = ThinkingBlocks.Encode("rs_1", "gAAAA-enc");
        ChatRequest request = Parse(Request($$$"""
            [{"role":"user","content":[
               {"type":"text","text":"look"},
               {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},
               {"type":"image","source":{"type":"url","url":"https://example.test/a.png"}},
               {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"},"title":"a.pdf"},
               {"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain"}}]},
             {"role":"assistant","content":[
               {"type":"thinking","thinking":"hmm","signature":"sig-abc"},
               {"type":"thinking","thinking":"gpt","signature":"{{{envelope}}}"},
               {"type":"redacted_thinking","data":"EncRedacted"},
               {"type":"text","text":"calling"},
               {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},
               {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
               {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}]},
             {"role":"user","content":[
               {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"out"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}}],"is_error":true},
               {"type":"text","text":"next"}]}]
            """));

        ChatMessage user = request.Messages[0];
        Assert.Equal("look", Assert.IsType<TextPart>(user.Parts[0]).Text);
        Assert.Equal(("image/png", "iVBOR"), (Assert.IsType<ImagePart>(user.Parts[1]).MediaType, ((ImagePart)user.Parts[1]).Data));
        Assert.Equal("https://example.test/a.png", Assert.IsType<ImagePart>(user.Parts[2]).Url);
        FilePart pdf = Assert.IsType<FilePart>(user.Parts[3]);
        Assert.Equal(("application/pdf", "JVBER", "a.pdf"), (pdf.MediaType, pdf.Data, pdf.FileName));
        FilePart text = Assert.IsType<FilePart>(user.Parts[4]);
        Assert.Equal("plain", Encoding.UTF8.GetString(Convert.FromBase64String(text.Data!)));

        ChatMessage assistant = request.Messages[1];
        Assert.Equal(ChatRole.Assistant, assistant.Role);
        ReasoningPart signed = Assert.IsType<ReasoningPart>(assistant.Parts[0]);
        Assert.Equal(("hmm", "sig-abc"), (signed.Text, signed.Signature));
        ReasoningPart godex = Assert.IsType<ReasoningPart>(assistant.Parts[1]);
        Assert.Equal(("gpt", null, "gAAAA-enc", "rs_1"), (godex.Text, godex.Signature, godex.EncryptedContent, godex.ItemId));
        Assert.Equal("EncRedacted", Assert.IsType<ReasoningPart>(assistant.Parts[2]).RedactedData);
        Assert.Equal("calling", Assert.IsType<TextPart>(assistant.Parts[3]).Text);
        Assert.Equal("anthropic", Assert.IsType<RawPart>(assistant.Parts[4]).Dialect);
        Assert.Equal("web_search_tool_result", Assert.IsType<RawPart>(assistant.Parts[5]).Json.GetProperty("type").GetString());
        ToolCallPart call = Assert.IsType<ToolCallPart>(assistant.Parts[6]);
        Assert.Equal(("toolu_1", "Bash"), (call.CallId, call.Name));
        Assert.Equal("ls", JsonDocument.Parse(call.Arguments).RootElement.GetProperty("command").GetString());

        ChatMessage tool = request.Messages[2];
        Assert.Equal(ChatRole.Tool, tool.Role);
        ToolResultPart result = Assert.IsType<ToolResultPart>(Assert.Single(tool.Parts));
        Assert.Equal("toolu_1", result.CallId);
        Assert.True(result.IsError);
        Assert.Equal("out", result.Text);
        Assert.IsType<ImagePart>(result.Content[1]);
        Assert.Equal(ChatRole.User, request.Messages[3].Role);
        Assert.Equal("next", request.Messages[3].Text);
    }

    [Fact]
    public void ToolsChoiceAndSampling_Map()
    {
        ChatRequest request = Parse(Request("""[{"role":"user","content":"hi"}]""", """
            ,"tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object","properties":{"city":{"type":"string"}}},"cache_control":{"type":"ephemeral"}},
                      {"type":"web_search_20250305","name":"web_search","max_uses":3}],
             "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
             "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":40,
             "metadata":{"user_id":"u-1"},"stream":true,
             "context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"some_future_field":1
            """));

        ChatTool tool = Assert.Single(request.Tools);
        Assert.Equal(("get_weather", "d"), (tool.Name, tool.Description));
        Assert.Equal("object", tool.Parameters!.Value.GetProperty("type").GetString());
        HostedTool hosted = Assert.Single(request.HostedTools);
        Assert.Equal("web_search", hosted.Type);
        Assert.Equal(3, hosted.Raw!.Value.GetProperty("max_uses").GetInt32());
        Assert.Equal(new ToolChoice(ToolChoiceMode.Named, "get_weather"), request.ToolChoice);
        Assert.False(request.ParallelToolCalls);
        Assert.Equal(["END"], request.StopSequences);
        Assert.Equal((0.5, 0.9, 40), (request.Temperature!.Value, request.TopP!.Value, request.TopK!.Value));
        Assert.Equal("u-1", request.User);
        Assert.True(request.Stream);
    }

    [Theory]
    [InlineData("auto", ToolChoiceMode.Auto)]
    [InlineData("any", ToolChoiceMode.Required)]
    [InlineData("none", ToolChoiceMode.None)]
    public void ToolChoice_Modes(string type, ToolChoiceMode mode)
    {
        ChatRequest request = Parse(Request("""[{"role":"user","content":"hi"}]""", $$""","tool_choice":{"type":"{{type}}"}"""));

        Assert.Equal(mode, request.ToolChoice!.Mode);
        Assert.Null(request.ParallelToolCalls);
    }

    [Theory]
    [InlineData("""{"type":"enabled","budget_tokens":2048}""", null, "low", 2048)]
    [InlineData("""{"type":"enabled","budget_tokens":16000}""", null, "high", 16000)]
    [InlineData("""{"type":"adaptive"}""", null, "medium", null)]
    [InlineData("""{"type":"adaptive"}""", "high", "high", null)]
    [InlineData("""{"type":"adaptive"}""", "max", "xhigh", null)]
    [InlineData("""{"type":"disabled"}""", null, null, null)]
    public void Thinking_MapsToReasoning(string thinking, string? effort, string? expectedEffort, int? expectedBudget)
    {
        string extra = $$""","thinking":{{thinking}}""" + (effort is null ? "" : $$""","output_config":{"effort":"{{effort}}"}""");

        ReasoningOptions? reasoning = Parse(Request("""[{"role":"user","content":"hi"}]""", extra)).Reasoning;

        Assert.Equal(expectedEffort, reasoning?.Effort);
        Assert.Equal(expectedBudget, reasoning?.BudgetTokens);
    }

    [Theory]
    [InlineData("claude-request.json")]
    [InlineData("claude-request-turn2-tool-result.json")]
    public void CapturedClaudeCodeRequests_Parse(string file)
    {
        using JsonDocument capture = JsonDocument.Parse(Fixtures.Text("captured-clients/" + file));

        ChatRequest request = Parse(capture.RootElement.GetProperty("body").GetRawText());

        Assert.True(request.Stream);
        Assert.Equal("high", request.Reasoning!.Effort);
        Assert.True(request.Tools.Count >= 20);
        Assert.NotNull(request.PromptCacheKey);
        Assert.StartsWith("{", request.User, StringComparison.Ordinal);
        Assert.Equal(3, request.Messages.TakeWhile(m => m.Role == ChatRole.System).Count());
        Assert.True(Godex.Core.Tokens.PromptTokenCount.Count(request) > 1000);
        if (file.Contains("turn2", StringComparison.Ordinal))
        {
            ReasoningPart thinking = request.Messages.SelectMany(m => m.Parts).OfType<ReasoningPart>().Single();
            Assert.Equal("ZmFrZS1zaWduYXR1cmU=", thinking.Signature);
            ToolCallPart call = request.Messages.SelectMany(m => m.Parts).OfType<ToolCallPart>().Single();
            ToolResultPart result = request.Messages.SelectMany(m => m.Parts).OfType<ToolResultPart>().Single();
            Assert.Equal(call.CallId, result.CallId);
            Assert.Equal("hello-from-tool", result.Text);
        }
        else
        {
            Assert.Contains(request.Messages.Skip(3), m => m.Role == ChatRole.System);
        }
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":"x","messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":1}""", "messages")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[]}""", "messages")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"bot","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"x"}]}]}""", "messages[1].content[0].type")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages[0].content[0].text")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}]}""", "messages[0].content[0].source.type")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}""", "messages[0].content[0].tool_use_id")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"a","input":{}}]}]}""", "messages[0].content[0].id")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"i","name":"a","input":[]}]}]}""", "messages[0].content[0].input")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"system":5}""", "system")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"system":[{"type":"image"}]}""", "system[0].type")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"tools":[{"name":"t"}]}""", "tools[0].input_schema")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"tool_choice":{"type":"tool"}}""", "tool_choice.name")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"tool_choice":{"type":"maybe"}}""", "tool_choice.type")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled"}}""", "thinking.budget_tokens")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled","budget_tokens":10}}""", "thinking.budget_tokens")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"sometimes"}}""", "thinking.type")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"output_config":{"effort":"extreme"}}""", "output_config.effort")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"stop_sequences":[1]}""", "stop_sequences[0]")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"metadata":{"user_id":5}}""", "metadata.user_id")]
    public void BadInput_Is400NamingTheField(string json, string param)
    {
        BackendError error = Reject(json);

        Assert.Equal(param, error.Param);
        Assert.StartsWith(param, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownBlockType_MessageQuotesTheType()
    {
        BackendError error = Reject("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"x"}]}]}""");

        Assert.Equal("messages[1].content[0].type: unknown block type \"x\"", error.Message);
    }

    [Fact]
    public void GodexSignature_RoundTrips_AndRejectsOthers()
    {
        string signature = ThinkingBlocks.Encode(null, "enc");

        Assert.True(ThinkingBlocks.TryDecode(signature, out string? itemId, out string? encrypted));
        Assert.Null(itemId);
        Assert.Equal("enc", encrypted);
        Assert.False(ThinkingBlocks.TryDecode("ZmFrZS1zaWduYXR1cmU=", out _, out _));
        Assert.False(ThinkingBlocks.TryDecode("godex1:!!!", out _, out _));
    }
}
