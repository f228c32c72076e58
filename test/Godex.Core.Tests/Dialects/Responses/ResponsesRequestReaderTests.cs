using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Tests.Dialects.Responses;

public sealed class ResponsesRequestReaderTests
{
    private const string DefaultModel = "gpt-5.2-codex";

    private static ResponsesRequest Parse(string json)
    {
        bool ok = ResponsesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), DefaultModel, out ResponsesRequest? request, out BackendError? error);
        Assert.True(ok, error?.Message);
        return request!;
    }

    private static ChatRequest Translate(string json, List<string>? warnings = null)
    {
        ResponsesRequest request = Parse(json);
        return ResponsesRequestReader.ToChatRequest(request, request.Input, warnings ?? []);
    }

    [Fact]
    public void Translate_StringInput_IsOneUserMessageAfterInstructions()
    {
        ChatRequest request = Translate("""{"input":"hi","instructions":"be brief","store":false,"max_output_tokens":50,"prompt_cache_key":"k"}""");

        Assert.Equal(DefaultModel, request.Model);
        Assert.Equal(2, request.Messages.Count);
        Assert.Equal(ChatRole.System, request.Messages[0].Role);
        Assert.Equal("be brief", request.Messages[0].Text);
        Assert.Equal(ChatRole.User, request.Messages[1].Role);
        Assert.Equal("hi", request.Messages[1].Text);
        Assert.Equal(50, request.MaxOutputTokens);
        Assert.Equal("k", request.PromptCacheKey);
        Assert.False(Parse("""{"input":"hi","store":false}""").Store);
        Assert.True(Parse("""{"input":"hi"}""").Store);
    }

    [Fact]
    public void Translate_SingleItemObject_IsAccepted()
    {
        ChatRequest request = Translate("""{"input":{"type":"message","role":"developer","content":[{"type":"input_text","text":"rules"}]}}""");

        Assert.Equal(ChatRole.Developer, Assert.Single(request.Messages).Role);
    }

    [Fact]
    public void Translate_CodexTurnTwo_GroupsReasoningAndCallsAndKeepsOpaqueParts()
    {
        ChatRequest request = Translate("""
            {"input":[
              {"type":"message","role":"developer","content":[{"type":"input_text","text":"base prompt"}]},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"list files"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]},
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"thinking"}],"encrypted_content":"gAAAA"},
              {"type":"function_call","id":"fc_1","call_id":"call_1","name":"exec_command","arguments":"{\"cmd\":\"ls\"}"},
              {"type":"custom_tool_call","call_id":"call_2","name":"apply_patch","input":"*** Begin Patch"},
              {"type":"function_call_output","call_id":"call_1","output":"a.txt"},
              {"type":"custom_tool_call_output","call_id":"call_2","output":[{"type":"input_text","text":"done"}]}
            ],
            "tools":[{"type":"function","name":"exec_command","parameters":{"type":"object"},"strict":false},
                     {"type":"function","function":{"name":"nested","parameters":{"type":"object"}}},
                     {"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"lark","definition":"x"}},
                     {"type":"web_search"},{"type":"tool_search"},{"type":"namespace","name":"ns","tools":[]}],
            "tool_choice":{"type":"custom","name":"apply_patch"},"parallel_tool_calls":true,
            "reasoning":{"effort":"low","summary":"auto"},"text":{"verbosity":"low"},"include":["reasoning.encrypted_content"]}
            """);

        Assert.Equal(5, request.Messages.Count);
        Assert.IsType<ImagePart>(request.Messages[1].Parts[1]);
        ChatMessage assistant = request.Messages[2];
        Assert.Equal(ChatRole.Assistant, assistant.Role);
        ReasoningPart reasoning = Assert.IsType<ReasoningPart>(assistant.Parts[0]);
        Assert.Equal(("thinking", "gAAAA", "rs_1"), (reasoning.Text, reasoning.EncryptedContent, reasoning.ItemId));
        ToolCallPart call = Assert.IsType<ToolCallPart>(assistant.Parts[1]);
        Assert.Equal(("call_1", "exec_command", "fc_1", ToolCallKind.Function), (call.CallId, call.Name, call.ItemId, call.Kind));
        Assert.Equal(ToolCallKind.Custom, Assert.IsType<ToolCallPart>(assistant.Parts[2]).Kind);
        ToolResultPart result = Assert.IsType<ToolResultPart>(Assert.Single(request.Messages[3].Parts));
        Assert.Equal(("call_1", "a.txt"), (result.CallId, result.Text));
        ToolResultPart custom = Assert.IsType<ToolResultPart>(Assert.Single(request.Messages[4].Parts));
        Assert.Equal((ToolCallKind.Custom, "done"), (custom.Kind, custom.Text));

        Assert.Equal(["exec_command", "nested", "apply_patch"], request.Tools.Select(t => t.Name));
        Assert.Equal(ToolCallKind.Custom, request.Tools[2].Kind);
        Assert.Equal(["web_search", "tool_search", "namespace"], request.HostedTools.Select(t => t.Type));
        Assert.NotNull(request.HostedTools[2].Raw);
        Assert.Equal(new ToolChoice(ToolChoiceMode.Named, "apply_patch"), request.ToolChoice);
        Assert.Equal(("low", "auto"), (request.Reasoning!.Effort, request.Reasoning.Summary));
    }

    [Fact]
    public void Translate_GodexReasoningEnvelope_RestoresThinkingAndSignature()
    {
        string envelope = ResponsesReasoningEnvelope.Encode(new ReasoningPart { Text = "deep thought", Signature = "sig==" })!;
        Assert.StartsWith(ResponsesReasoningEnvelope.Prefix, envelope, StringComparison.Ordinal);

        ChatRequest request = Translate($$"""{"input":[{"type":"reasoning","id":"rs_x","summary":[{"type":"summary_text","text":"edited by client"}],"encrypted_content":"{{envelope}}"}]}""");

        ReasoningPart reasoning = Assert.IsType<ReasoningPart>(Assert.Single(request.Messages).Parts[0]);
        Assert.Equal(("deep thought", "sig==", null), (reasoning.Text, reasoning.Signature, reasoning.EncryptedContent));
    }

    [Fact]
    public void Translate_JsonSchemaText_BecomesResponseFormat()
    {
        ChatRequest request = Translate("""{"input":"x","text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}}}""");

        Assert.Equal(("json_schema", "out", true), (request.ResponseFormat!.Type, request.ResponseFormat.Name, request.ResponseFormat.Strict));
    }

    [Fact]
    public void ToChatRequest_OrphanedOutput_IsDroppedWithWarning()
    {
        var warnings = new List<string>();
        ChatRequest request = Translate("""{"input":[{"role":"user","content":"x"},{"type":"function_call_output","call_id":"nope","output":"y"}]}""", warnings);

        Assert.Single(request.Messages);
        Assert.Contains("nope", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void ToChatRequest_OutputBeforeItsCall_MovesTheCallFirst()
    {
        var warnings = new List<string>();
        ChatRequest request = Translate("""{"input":[{"type":"function_call_output","call_id":"c","output":"y"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]}""", warnings);

        Assert.IsType<ToolCallPart>(request.Messages[0].Parts[0]);
        Assert.IsType<ToolResultPart>(request.Messages[1].Parts[0]);
        Assert.Single(warnings);
    }

    [Fact]
    public void ResolveReferences_KnownAndUnknownIds()
    {
        ResponsesRequest request = Parse("""{"input":[{"type":"item_reference","id":"msg_1"},{"type":"item_reference","id":"gone"}]}""");
        using JsonDocument history = JsonDocument.Parse("""[{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"earlier"}]}]""");
        var warnings = new List<string>();

        List<JsonElement> resolved = ResponsesRequestReader.ResolveReferences(request.Input, [.. history.RootElement.EnumerateArray()], warnings);

        Assert.Equal("msg_1", Assert.Single(resolved).GetProperty("id").GetString());
        Assert.Single(warnings);
    }

    [Theory]
    [InlineData("""[]""", "")]
    [InlineData("""{"input":42}""", "input")]
    [InlineData("""{"input":[{"type":"bogus"}]}""", "input[0].type")]
    [InlineData("""{"input":[{"foo":1}]}""", "input[0].type")]
    [InlineData("""{"input":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"},{"type":"function_call","name":"f"}]}""", "input[3].call_id")]
    [InlineData("""{"input":[{"type":"function_call","call_id":"c"}]}""", "input[0].name")]
    [InlineData("""{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":5}]}""", "input[0].arguments")]
    [InlineData("""{"input":[{"type":"function_call_output","output":"x"}]}""", "input[0].call_id")]
    [InlineData("""{"input":[{"type":"function_call_output","call_id":"c"}]}""", "input[0].output")]
    [InlineData("""{"input":[{"type":"function_call_output","call_id":"c","output":7}]}""", "input[0].output")]
    [InlineData("""{"input":[{"type":"custom_tool_call","name":"p","input":"x"}]}""", "input[0].call_id")]
    [InlineData("""{"input":[{"type":"message","role":"robot","content":"x"}]}""", "input[0].role")]
    [InlineData("""{"input":[{"type":"message","role":"user"}]}""", "input[0].content")]
    [InlineData("""{"input":[{"type":"message","role":"user","content":[{"type":"input_audio"}]}]}""", "input[0].content[0].type")]
    [InlineData("""{"input":[{"type":"message","role":"user","content":[{"type":"input_image"}]}]}""", "input[0].content[0].image_url")]
    [InlineData("""{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":3}]}]}""", "input[0].content[0].text")]
    [InlineData("""{"input":[{"type":"reasoning","summary":"x"}]}""", "input[0].summary")]
    [InlineData("""{"input":[{"type":"item_reference"}]}""", "input[0].id")]
    [InlineData("""{"input":"x","tools":{}}""", "tools")]
    [InlineData("""{"input":"x","tools":[{"type":"function"}]}""", "tools[0].name")]
    [InlineData("""{"input":"x","tools":[{"type":"function","name":"f","parameters":"x"}]}""", "tools[0].parameters")]
    [InlineData("""{"input":"x","tool_choice":"sometimes"}""", "tool_choice")]
    [InlineData("""{"input":"x","tool_choice":{"type":"function"}}""", "tool_choice.name")]
    [InlineData("""{"input":"x","stream":"yes"}""", "stream")]
    [InlineData("""{"input":"x","store":1}""", "store")]
    [InlineData("""{"input":"x","max_output_tokens":0}""", "max_output_tokens")]
    [InlineData("""{"input":"x","temperature":"hot"}""", "temperature")]
    [InlineData("""{"input":"x","metadata":[]}""", "metadata")]
    [InlineData("""{"input":"x","include":[1]}""", "include[0]")]
    [InlineData("""{"input":"x","reasoning":"high"}""", "reasoning")]
    [InlineData("""{"input":"x","text":{"format":{"type":"yaml"}}}""", "text.format.type")]
    [InlineData("""{"input":"x","text":{"format":{"type":"json_schema","name":"n"}}}""", "text.format.schema")]
    [InlineData("""{"input":"x","previous_response_id":5}""", "previous_response_id")]
    public void TryParseRequest_BadInput_Returns400NamingTheField(string json, string param)
    {
        bool ok = ResponsesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), DefaultModel, out _, out BackendError? error);

        Assert.False(ok);
        Assert.Equal(400, error!.Status);
        Assert.Equal(param.Length == 0 ? null : param, error.Param);
        if (param.Length > 0)
        {
            Assert.StartsWith(param, error.Message, StringComparison.Ordinal);
        }
    }
}
