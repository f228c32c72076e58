using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;

namespace Godex.Core.Tests.Dialects.ChatCompletions;

public sealed class ChatCompletionsRequestReaderTests
{
    private const string DefaultModel = "gpt-5.2-codex";

    private static ChatCompletionsRequest Parse(string json)
    {
        bool ok = ChatCompletionsRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), DefaultModel, out ChatCompletionsRequest? request, out BackendError? error);
        Assert.True(ok, error?.Message);
        return request!;
    }

    private static BackendError Reject(string json)
    {
        bool ok = ChatCompletionsRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), DefaultModel, out _, out BackendError? error);
        Assert.False(ok);
        Assert.Equal(400, error!.Status);
        Assert.Equal("invalid_request_error", error.Type);
        return error;
    }

    [Fact]
    public void TryParseRequest_MinimalText_UsesGivenModelAndDefaults()
    {
        ChatCompletionsRequest parsed = Parse("""{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}]}""");

        ChatRequest request = parsed.Request;
        Assert.Equal("gpt-5.5", request.Model);
        ChatMessage message = Assert.Single(request.Messages);
        Assert.Equal(ChatRole.User, message.Role);
        Assert.Equal("hi", Assert.IsType<TextPart>(Assert.Single(message.Parts)).Text);
        Assert.False(request.Stream);
        Assert.False(parsed.IncludeUsage);
        Assert.Empty(request.Tools);
        Assert.Null(request.ToolChoice);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":null,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"","messages":[{"role":"user","content":"hi"}]}""")]
    public void TryParseRequest_NoModel_UsesDefault(string json)
    {
        Assert.Equal(DefaultModel, Parse(json).Request.Model);
    }

    [Fact]
    public void TryParseRequest_AllMessageShapes_MapToCanonicalParts()
    {
        const string json = """
        {"model":"m","messages":[
          {"role":"system","content":"sys"},
          {"role":"developer","content":[{"type":"text","text":"dev"}]},
          {"role":"user","name":"ann","content":[
             {"type":"text","text":"look"},
             {"type":"image_url","image_url":{"url":"https://x/y.png","detail":"high"}},
             {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,QUJD"}},
             {"type":"file","file":{"file_id":"file-1"}}]},
          {"role":"assistant","content":"calling","tool_calls":[
             {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
             {"id":"call_2","type":"function","function":{"name":"now","arguments":""}}]},
          {"role":"tool","tool_call_id":"call_1","content":"sunny"},
          {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"12:00"}]},
          {"role":"assistant","content":null,"refusal":"no"}
        ]}
        """;

        ChatRequest request = Parse(json).Request;

        Assert.Equal(7, request.Messages.Count);
        Assert.Equal(ChatRole.System, request.Messages[0].Role);
        Assert.Equal(ChatRole.Developer, request.Messages[1].Role);
        Assert.Equal("sys\n\ndev", request.Instructions);

        ChatMessage user = request.Messages[2];
        Assert.Equal("ann", user.Name);
        Assert.Equal("look", Assert.IsType<TextPart>(user.Parts[0]).Text);
        ImagePart image = Assert.IsType<ImagePart>(user.Parts[1]);
        Assert.Equal("https://x/y.png", image.Url);
        Assert.Equal("high", image.Detail);
        FilePart file = Assert.IsType<FilePart>(user.Parts[2]);
        Assert.Equal("a.pdf", file.FileName);
        Assert.Equal("application/pdf", file.MediaType);
        Assert.Equal("QUJD", file.Data);
        Assert.Equal("file-1", Assert.IsType<FilePart>(user.Parts[3]).FileId);

        ChatMessage assistant = request.Messages[3];
        Assert.Equal(ChatRole.Assistant, assistant.Role);
        Assert.Equal("calling", Assert.IsType<TextPart>(assistant.Parts[0]).Text);
        ToolCallPart call = Assert.IsType<ToolCallPart>(assistant.Parts[1]);
        Assert.Equal(("call_1", "get_weather", """{"city":"Paris"}"""), (call.CallId, call.Name, call.Arguments));
        Assert.Equal("call_2", Assert.IsType<ToolCallPart>(assistant.Parts[2]).CallId);

        ToolResultPart result = Assert.IsType<ToolResultPart>(Assert.Single(request.Messages[4].Parts));
        Assert.Equal(ChatRole.Tool, request.Messages[4].Role);
        Assert.Equal(("call_1", "sunny"), (result.CallId, result.Text));
        Assert.Equal("12:00", Assert.IsType<ToolResultPart>(Assert.Single(request.Messages[5].Parts)).Text);

        Assert.Equal("no", Assert.IsType<RefusalPart>(Assert.Single(request.Messages[6].Parts)).Refusal);
    }

    [Fact]
    public void TryParseRequest_LegacyFunctionRoleAndCall_PairByName()
    {
        ChatRequest request = Parse("""
            {"messages":[{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},
                         {"role":"function","name":"f","content":"ok"}],
             "functions":[{"name":"f","parameters":{"type":"object"}}],"function_call":{"name":"f"}}
            """).Request;

        Assert.Equal("f", Assert.IsType<ToolCallPart>(Assert.Single(request.Messages[0].Parts)).CallId);
        Assert.Equal("f", Assert.IsType<ToolResultPart>(Assert.Single(request.Messages[1].Parts)).CallId);
        Assert.Equal("f", Assert.Single(request.Tools).Name);
        Assert.Equal(new ToolChoice(ToolChoiceMode.Named, "f"), request.ToolChoice);
    }

    [Fact]
    public void TryParseRequest_ToolsNestedFlatAndHosted_AllKept()
    {
        ChatRequest request = Parse("""
            {"messages":[{"role":"user","content":"x"}],
             "tools":[
               {"type":"function","function":{"name":"a","description":"A","parameters":{"type":"object","properties":{}},"strict":true}},
               {"type":"function","name":"b","parameters":{"type":"object"}},
               {"type":"custom","custom":{"name":"c","description":"raw"}},
               {"type":"web_search"}],
             "tool_choice":{"type":"function","function":{"name":"a"}},
             "parallel_tool_calls":false}
            """).Request;

        Assert.Equal(["a", "b", "c"], request.Tools.Select(t => t.Name));
        ChatTool a = request.Tools[0];
        Assert.Equal("A", a.Description);
        Assert.True(a.Strict);
        Assert.Equal("object", a.Parameters!.Value.GetProperty("type").GetString());
        Assert.Equal(ToolCallKind.Custom, request.Tools[2].Kind);
        Assert.Equal("web_search", Assert.Single(request.HostedTools).Type);
        Assert.Equal(new ToolChoice(ToolChoiceMode.Named, "a"), request.ToolChoice);
        Assert.False(request.ParallelToolCalls);
    }

    [Theory]
    [InlineData("\"auto\"", ToolChoiceMode.Auto)]
    [InlineData("\"none\"", ToolChoiceMode.None)]
    [InlineData("\"required\"", ToolChoiceMode.Required)]
    public void TryParseRequest_ToolChoiceString_MapsMode(string value, ToolChoiceMode mode)
    {
        ChatRequest request = Parse($$"""{"messages":[{"role":"user","content":"x"}],"tool_choice":{{value}}}""").Request;

        Assert.Equal(mode, request.ToolChoice!.Mode);
    }

    [Fact]
    public void TryParseRequest_GenerationOptions_AllMapped()
    {
        ChatCompletionsRequest parsed = Parse("""
            {"messages":[{"role":"user","content":"x"}],"max_tokens":50,"max_completion_tokens":100,
             "temperature":0.2,"top_p":0.9,"stop":["a","b"],"stream":true,"stream_options":{"include_usage":true},
             "reasoning_effort":"low","user":"u1","prompt_cache_key":"k","seed":7,"logprobs":false,"n":1,
             "response_format":{"type":"json_schema","json_schema":{"name":"s","strict":true,"schema":{"type":"object"}}}}
            """);

        ChatRequest request = parsed.Request;
        Assert.Equal(100, request.MaxOutputTokens);
        Assert.Equal(0.2, request.Temperature);
        Assert.Equal(0.9, request.TopP);
        Assert.Equal(["a", "b"], request.StopSequences);
        Assert.True(request.Stream);
        Assert.True(parsed.IncludeUsage);
        Assert.Equal("low", request.Reasoning!.Effort);
        Assert.Equal("u1", request.User);
        Assert.Equal("k", request.PromptCacheKey);
        Assert.Equal("json_schema", request.ResponseFormat!.Type);
        Assert.Equal("s", request.ResponseFormat.Name);
        Assert.True(request.ResponseFormat.Strict);
        Assert.Equal("object", request.ResponseFormat.Schema!.Value.GetProperty("type").GetString());
    }

    [Fact]
    public void TryParseRequest_StopString_SingleSequence()
    {
        Assert.Equal(["END"], Parse("""{"messages":[{"role":"user","content":"x"}],"stop":"END","max_tokens":5}""").Request.StopSequences);
    }

    [Fact]
    public void TryParseRequest_RepeatedMember_LastOneWins()
    {
        ChatRequest request = Parse("""
            {"model":"a","messages":[{"role":"user","content":"x","content":"y"}],"model":"b","max_tokens":5,"max_tokens":7}
            """).Request;

        Assert.Equal("b", request.Model);
        Assert.Equal(7, request.MaxOutputTokens);
        Assert.Equal("y", Assert.IsType<TextPart>(Assert.Single(Assert.Single(request.Messages).Parts)).Text);
    }

    [Theory]
    [InlineData("{\"messages\":", "", "invalid JSON: ")]
    [InlineData("[1,2]", null, "the request body must be a JSON object")]
    [InlineData("""{"model":"m"}""", "messages", "messages: required")]
    [InlineData("""{"messages":[]}""", "messages", "messages: must contain at least one message")]
    [InlineData("""{"messages":"hi"}""", "messages", "messages: expected an array of messages")]
    [InlineData("""{"model":5,"messages":[{"role":"user","content":"x"}]}""", "model", "model: expected a string")]
    [InlineData("""{"messages":[{"role":"user","content":"x"},{"role":"user"},{"role":"user","content":5}]}""", "messages[1].content", "messages[1].content: required")]
    [InlineData("""{"messages":[{"role":"user","content":"x"},{"role":"user","content":"y"},{"role":"user","content":5}]}""", "messages[2].content", "messages[2].content: expected a string or an array of content parts")]
    [InlineData("""{"messages":[{"content":"x"}]}""", "messages[0].role", "messages[0].role: required")]
    [InlineData("""{"messages":[5]}""", "messages[0]", "messages[0]: expected a message object")]
    [InlineData("""{"messages":[{"role":"user","content":"x"},{"role":7,"content":"x"}]}""", "messages[1].role", "messages[1].role: expected a string")]
    [InlineData("""{"messages":[{"role":"user","name":1,"content":"x"}]}""", "messages[0].name", "messages[0].name: expected a string")]
    [InlineData("""{"messages":[{"role":"function","content":"x"}]}""", "messages[0].name", "messages[0].name: required for role 'function'")]
    [InlineData("""{"messages":[{"role":"system","content":null}]}""", "messages[0].content", "messages[0].content: required for role 'system'")]
    [InlineData("""{"messages":[{"role":"robot","content":"x"}]}""", "messages[0].role", "messages[0].role: unsupported role 'robot'")]
    [InlineData("""{"messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id", "messages[0].tool_call_id: required")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"","format":"wav"}}]}]}""", "messages[0].content[0].type", "messages[0].content[0]: input_audio content is not supported")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"video"}]}]}""", "messages[0].content[0].type", "unsupported content part type 'video'")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text","text":3}]}]}""", "messages[0].content[0].text", "messages[0].content[0].text: expected a string")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f"}}]}]}""", "messages[0].tool_calls[0].id", "messages[0].tool_calls[0].id: required")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":5}}]}]}""", "messages[0].tool_calls[0].function.arguments", "expected a string")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"computer_use"}]}""", "tools[0].type", "tools[0].type: unsupported tool type 'computer_use'")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"description":"d"}}]}""", "tools[0].function.name", "tools[0].function.name: required")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"tools":{"type":"function"}}""", "tools", "tools: expected an array")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"}""", "tool_choice", "tool_choice: unsupported value 'sometimes'")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"n":2}""", "n", "n > 1 is not supported")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"max_tokens":"10"}""", "max_tokens", "max_tokens: expected an integer")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"max_tokens":0}""", "max_tokens", "must be at least 1")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}""", "temperature", "temperature: expected a number")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"stream":"yes"}""", "stream", "stream: expected a boolean")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}}""", "stream_options.include_usage", "expected a boolean")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"stop":[1]}""", "stop[0]", "stop[0]: expected a string")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}""", "response_format.type", "unsupported value 'yaml'")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}""", "response_format.json_schema", "required")]
    public void TryParseRequest_BadInput_Returns400NamingTheField(string json, string? param, string messagePart)
    {
        BackendError error = Reject(json);

        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        if (param is not null)
        {
            Assert.Equal(param.Length == 0 ? null : param, error.Param);
        }
    }
}
