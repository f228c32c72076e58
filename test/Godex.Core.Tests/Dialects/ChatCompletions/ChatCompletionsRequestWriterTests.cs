using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;

namespace Godex.Core.Tests.Dialects.ChatCompletions;

/// <summary>Canonical request → the Chat Completions body an OpenAI-compatible upstream gets.</summary>
public sealed class ChatCompletionsRequestWriterTests
{
    [Fact]
    public void ToolTurn_InstructionsAsSystem_CallsOnTheAssistant_ResultsAsToolMessages_StreamWithUsage()
    {
        using JsonDocument schema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""");
        var request = new ChatRequest
        {
            Model = "llama3.2",
            Messages =
            [
                new ChatMessage(ChatRole.Developer, "Be brief."),
                new ChatMessage(ChatRole.User, "Weather in Paris?"),
                new ChatMessage(ChatRole.Assistant, [new ReasoningPart { Text = "hidden" }, new ToolCallPart("call_1", "get_weather", "{\"city\":\"Paris\"}")]),
                new ChatMessage(ChatRole.User, [new ToolResultPart("call_1") { Content = [new TextPart("sunny")] }, new TextPart("And tomorrow?")]),
            ],
            Tools = [new ChatTool("get_weather") { Description = "Weather", Parameters = schema.RootElement.Clone() }],
            ToolChoice = ToolChoice.Auto,
            MaxOutputTokens = 32000,
        };

        string body = Encoding.UTF8.GetString(ChatCompletionsRequestWriter.Translate(request));

        Assert.Equal(
            """{"model":"llama3.2","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"user","content":"And tomorrow?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"auto","max_tokens":32000,"stream":true,"stream_options":{"include_usage":true}}""",
            body);
    }

    [Fact]
    public void CustomTool_IsAFunctionOfOneInputString_AndItsCallsCarryTheInputThatWay()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, "patch it"),
                new ChatMessage(ChatRole.Assistant, [new ToolCallPart("call_p", "apply_patch", "*** Begin Patch") { Kind = ToolCallKind.Custom }]),
                new ChatMessage(ChatRole.Tool, [new ToolResultPart("call_p") { Content = [new TextPart("Done")], Kind = ToolCallKind.Custom }]),
            ],
            Tools = [new ChatTool("apply_patch") { Kind = ToolCallKind.Custom, Description = "Patch files" }],
        };

        using JsonDocument body = JsonDocument.Parse(ChatCompletionsRequestWriter.Translate(request));
        JsonElement function = body.RootElement.GetProperty("tools")[0].GetProperty("function");
        Assert.Equal("string", function.GetProperty("parameters").GetProperty("properties").GetProperty("input").GetProperty("type").GetString());
        string arguments = body.RootElement.GetProperty("messages")[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()!;
        Assert.Equal("""{"input":"*** Begin Patch"}""", arguments);
        Assert.Equal(["apply_patch"], ChatCompletionsRequestWriter.CustomToolNames(request));
    }
}
