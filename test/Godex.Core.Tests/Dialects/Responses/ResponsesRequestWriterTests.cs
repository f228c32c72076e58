using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Tests.Dialects.Responses;

public sealed class ResponsesRequestWriterTests
{
    private static string Translate(ChatRequest request) =>
        Encoding.UTF8.GetString(ResponsesRequestWriter.Translate(request, "DEFAULT"));

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Translate_ToolLoopWithImage_WritesExactBody()
    {
        var request = new ChatRequest
        {
            Model = "gpt-5.2-codex",
            Messages =
            [
                new ChatMessage(ChatRole.System, "Be brief."),
                new ChatMessage(ChatRole.Developer, "Use tools."),
                new ChatMessage(ChatRole.User, [new TextPart("Weather here?"), new ImagePart { Data = "AAAA", MediaType = "image/png" }]),
                new ChatMessage(ChatRole.Assistant, [new TextPart("Checking."), new ToolCallPart("call_1", "get_weather", "{\"city\":\"Paris\"}")]),
                new ChatMessage(ChatRole.Tool, [new ToolResultPart("call_1") { Content = [new TextPart("sunny")] }]),
                new ChatMessage(ChatRole.System, "Answer in French."),
            ],
            Tools = [new ChatTool("get_weather") { Description = "Weather", Parameters = Json("""{"type":"object","properties":{"city":{"type":"string"}}}""") }],
            ToolChoice = ToolChoice.Auto,
            ParallelToolCalls = false,
            PromptCacheKey = "sess-1",
            MaxOutputTokens = 100,
            Temperature = 0.2,
            TopP = 0.9,
            StopSequences = ["END"],
            User = "u1",
        };

        string expected = """
            {"model":"gpt-5.2-codex","instructions":"Be brief.\n\nUse tools.","input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather here?"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
            {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
            {"type":"function_call_output","call_id":"call_1","output":"sunny"},
            {"type":"message","role":"developer","content":[{"type":"input_text","text":"Answer in French."}]}],
            "tools":[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],
            "tool_choice":"auto","parallel_tool_calls":false,"store":false,"stream":true,"include":["reasoning.encrypted_content"],"prompt_cache_key":"sess-1"}
            """.ReplaceLineEndings("");
        Assert.Equal(expected, Translate(request));
    }

    [Fact]
    public void Translate_NoInstructions_UsesDefault()
    {
        var request = new ChatRequest { Model = "m", Messages = [new ChatMessage(ChatRole.User, "hi")] };

        Assert.Equal(
            """{"model":"m","instructions":"DEFAULT","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],"store":false,"stream":true,"include":["reasoning.encrypted_content"]}""",
            Translate(request));
    }

    [Fact]
    public void Translate_CustomToolRoundTrip_UsesCustomItems()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, "patch it"),
                new ChatMessage(ChatRole.Assistant, [new ToolCallPart("call_p", "apply_patch", "*** Begin Patch") { Kind = ToolCallKind.Custom }]),
                new ChatMessage(ChatRole.Tool, [new ToolResultPart("call_p") { Kind = ToolCallKind.Custom, Content = [new TextPart("done")] }]),
            ],
            Tools = [new ChatTool("apply_patch") { Kind = ToolCallKind.Custom, Description = "Edit", Format = Json("""{"type":"grammar","syntax":"lark","definition":"start: x"}""") }],
            ToolChoice = new ToolChoice(ToolChoiceMode.Named, "apply_patch"),
        };

        string json = Translate(request);

        Assert.Contains("""{"type":"custom_tool_call","call_id":"call_p","name":"apply_patch","input":"*** Begin Patch"}""", json, StringComparison.Ordinal);
        Assert.Contains("""{"type":"custom_tool_call_output","call_id":"call_p","output":"done"}""", json, StringComparison.Ordinal);
        Assert.Contains("""{"type":"custom","name":"apply_patch","description":"Edit","format":{"type":"grammar","syntax":"lark","definition":"start: x"}}""", json, StringComparison.Ordinal);
        Assert.Contains("""
            "tool_choice":{"type":"custom","name":"apply_patch"}
            """.Trim(), json, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_Reasoning_KeepsEncryptedContentAndDropsSignatures()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, "q"),
                new ChatMessage(ChatRole.Assistant,
                [
                    new ReasoningPart { Text = "**Thinking**", EncryptedContent = "ENC", ItemId = "rs_1" },
                    new ReasoningPart { Text = "claude thought", Signature = "SIG" },
                    new TextPart("a"),
                ]),
            ],
            Reasoning = new ReasoningOptions { Effort = "high" },
        };

        string json = Translate(request);

        Assert.Contains("""{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"**Thinking**"}],"encrypted_content":"ENC"}""", json, StringComparison.Ordinal);
        Assert.DoesNotContain("SIG", json, StringComparison.Ordinal);
        Assert.DoesNotContain("claude thought", json, StringComparison.Ordinal);
        Assert.Contains("""
            "reasoning":{"effort":"high","summary":"auto"}
            """.Trim(), json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ToolChoiceMode.Auto, null, "\"tool_choice\":\"auto\"")]
    [InlineData(ToolChoiceMode.None, null, "\"tool_choice\":\"none\"")]
    [InlineData(ToolChoiceMode.Required, null, "\"tool_choice\":\"required\"")]
    [InlineData(ToolChoiceMode.Named, "f", "\"tool_choice\":{\"type\":\"function\",\"name\":\"f\"}")]
    public void Translate_ToolChoice_WritesEachForm(ToolChoiceMode mode, string? name, string expected)
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.User, "q")],
            Tools = [new ChatTool("f") { Strict = true }],
            ToolChoice = new ToolChoice(mode, name),
        };

        string json = Translate(request);

        Assert.Contains(expected, json, StringComparison.Ordinal);
        Assert.Contains("""{"type":"function","name":"f","parameters":{"type":"object","properties":{}},"strict":true}""", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_UnsupportedFields_AreNeverSent()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.User, "q")],
            MaxOutputTokens = 10,
            Temperature = 1,
            TopP = 1,
            TopK = 3,
            StopSequences = ["x"],
            User = "u",
        };

        using JsonDocument document = JsonDocument.Parse(ResponsesRequestWriter.Translate(request, "D"));
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();

        Assert.Equal(["model", "instructions", "input", "store", "stream", "include"], names);
    }

    [Fact]
    public void Translate_ToolResultWithImage_WritesOutputList()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, [new ToolResultPart("c1") { Content = [new TextPart("see"), new ImagePart { Url = "https://x/y.png" }] }]),
            ],
            ResponseFormat = new ResponseFormat("json_schema") { Name = "out", Schema = Json("""{"type":"object"}"""), Strict = true },
            HostedTools = [new HostedTool("web_search")],
        };

        string json = Translate(request);

        Assert.Contains("""{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"see"},{"type":"input_image","image_url":"https://x/y.png"}]}""", json, StringComparison.Ordinal);
        Assert.Contains("""
            "tools":[{"type":"web_search"}]
            """.Trim(), json, StringComparison.Ordinal);
        Assert.EndsWith("""
            "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}}}
            """.Trim(), json, StringComparison.Ordinal);
    }
}
