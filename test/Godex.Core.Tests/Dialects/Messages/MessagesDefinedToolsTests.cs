using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Tests.Dialects.Messages;

/// <summary>Anthropic-defined tools (Claude Code's and the SDKs' versioned tools) on the way to the Codex backend.</summary>
public sealed class MessagesDefinedToolsTests
{
    private static ChatRequest Parse(string tools)
    {
        string json = """{"model":"gpt-5.2-codex","max_tokens":100,"messages":[{"role":"user","content":"go"}],"tools":""" + tools + "}";
        Assert.True(MessagesRequestReader.TryParseRequest(Encoding.UTF8.GetBytes(json), "gpt-5.2-codex", out ChatRequest? request, out BackendError? error), error?.Message);
        return request;
    }

    private static JsonElement CodexTools(ChatRequest request)
    {
        using JsonDocument body = JsonDocument.Parse(ResponsesRequestWriter.Translate(request, "D"));
        return body.RootElement.GetProperty("tools").Clone();
    }

    [Fact]
    public void Bash_BecomesAFunctionToolWithTheDocumentedInput()
    {
        JsonElement tools = CodexTools(Parse("""[{"type":"bash_20250124","name":"bash"}]"""));

        JsonElement bash = Assert.Single(tools.EnumerateArray());
        Assert.Equal("function", bash.GetProperty("type").GetString());
        Assert.Equal("bash", bash.GetProperty("name").GetString());
        JsonElement properties = bash.GetProperty("parameters").GetProperty("properties");
        Assert.Equal("string", properties.GetProperty("command").GetProperty("type").GetString());
        Assert.Equal("boolean", properties.GetProperty("restart").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("text_editor_20250124", "str_replace_editor", true)]
    [InlineData("text_editor_20250429", "str_replace_based_edit_tool", false)]
    [InlineData("text_editor_20250728", "str_replace_based_edit_tool", false)]
    public void TextEditor_KeepsTheClientsNameAndItsVersionsCommands(string type, string name, bool undo)
    {
        JsonElement tools = CodexTools(Parse($$"""[{"type":"{{type}}","name":"{{name}}","max_characters":10000}]"""));

        JsonElement editor = Assert.Single(tools.EnumerateArray());
        Assert.Equal(name, editor.GetProperty("name").GetString());
        JsonElement parameters = editor.GetProperty("parameters");
        string[] commands = parameters.GetProperty("properties").GetProperty("command").GetProperty("enum").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(undo, commands.Contains("undo_edit"));
        Assert.Contains("str_replace", commands);
        Assert.Equal(["command", "path"], parameters.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).ToArray());
        foreach (string field in new[] { "path", "file_text", "old_str", "new_str", "insert_line", "view_range" })
        {
            Assert.True(parameters.GetProperty("properties").TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public void WebSearch_BecomesTheHostedSearch_NextToFunctions()
    {
        ChatRequest request = Parse("""[{"type":"web_search_20250305","name":"web_search","max_uses":3},{"name":"lookup","input_schema":{"type":"object"}}]""");

        Assert.Equal(["lookup", "web_search"], CodexTools(request).EnumerateArray().Select(t => t.GetProperty("type").GetString() == "web_search" ? "web_search" : t.GetProperty("name").GetString()!).ToArray());
        Assert.Empty(request.ProviderOnlyTools);
    }

    [Theory]
    [InlineData("computer_20250124")]
    [InlineData("code_execution_20250825")]
    [InlineData("web_fetch_20250910")]
    [InlineData("memory_20250818")]
    public void AnthropicOnlyTools_AreRecordedNotDropped(string type)
    {
        ChatRequest request = Parse($$"""[{"type":"{{type}}","name":"x"},{"type":"bash_20250124","name":"bash"}]""");

        Assert.Equal([type], request.ProviderOnlyTools);
        Assert.Equal("bash", Assert.Single(request.Tools).Name);
    }
}
