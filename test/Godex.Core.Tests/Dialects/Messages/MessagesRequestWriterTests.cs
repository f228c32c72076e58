using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;

namespace Godex.Core.Tests.Dialects.Messages;

public sealed class MessagesRequestWriterTests
{
    private static readonly MessagesWriterOptions s_options = new(1000, new AnthropicBackendOptions().OAuthSystemPrefix);

    [Fact]
    public void Translate_OAuthWithSystemMessages_PrefixesIdentityBlockAndKeepsOrder()
    {
        var request = new ChatRequest
        {
            Model = "claude-sonnet-4-5",
            Messages =
            [
                new ChatMessage(ChatRole.System, "Be brief."),
                new ChatMessage(ChatRole.User, "Hi"),
                new ChatMessage(ChatRole.Developer, "Answer in French."),
                new ChatMessage(ChatRole.User, "Hello again"),
            ],
            User = "user-7",
        };

        AssertJson(
            """
            {"model":"claude-sonnet-4-5","max_tokens":1000,
             "system":[{"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude."},
                       {"type":"text","text":"Be brief."},{"type":"text","text":"Answer in French."}],
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":"Hello again"}]}],
             "metadata":{"user_id":"user-7"},"stream":false}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: true));
    }

    [Fact]
    public void Translate_ApiKey_NoIdentityBlockAndNoSystemWhenNone()
    {
        var request = new ChatRequest
        {
            Model = "claude-haiku-4-5",
            Messages = [new ChatMessage(ChatRole.User, "Hi"), new ChatMessage(ChatRole.User, "")],
            MaxOutputTokens = 50,
            Temperature = 0.2,
            TopP = 0.9,
            TopK = 5,
            StopSequences = ["END"],
        };

        AssertJson(
            """
            {"model":"claude-haiku-4-5","max_tokens":50,
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],
             "temperature":0.2,"top_k":5,"top_p":0.9,"stop_sequences":["END"],"stream":false}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: false));
    }

    [Fact]
    public void Translate_Images_DataUrlDecodedAndHttpUrlKept()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User,
                [
                    new TextPart("What is this?"),
                    new ImagePart { Url = "data:image/png;base64,iVBORw0KGgo=" },
                    new ImagePart { Url = "https://example.com/cat.jpg" },
                    new FilePart { FileName = "a.pdf", Data = "data:application/pdf;base64,JVBERi0=" },
                ]),
            ],
        };

        AssertJson(
            """
            {"model":"m","max_tokens":1000,"messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="},"title":"a.pdf"}]}],
             "stream":false}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: false));
    }

    [Fact]
    public void Translate_ToolRoundTrip_ThinkingSignatureVerbatimAndToolResultsMerged()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, "Weather in Paris and Rome?"),
                new ChatMessage(ChatRole.Assistant,
                [
                    new ReasoningPart { Text = "Two calls.\n", Signature = "c2ln+/==" },
                    new ReasoningPart { EncryptedContent = "gAAAA-openai-only" },
                    new ReasoningPart { RedactedData = "EmwKAhgB" },
                    new TextPart("Checking."),
                    new ToolCallPart("toolu_1", "get_weather", """{"city": "Paris"}"""),
                ]),
                new ChatMessage(ChatRole.Assistant, [new ToolCallPart("toolu_2", "get_weather", "{\"city\":")]),
                new ChatMessage(ChatRole.Tool, [new ToolResultPart("toolu_1") { Content = [new TextPart("18C")] }]),
                new ChatMessage(ChatRole.Tool, [new ToolResultPart("toolu_2") { Content = [new TextPart("city missing")], IsError = true }]),
                new ChatMessage(ChatRole.User, "Thanks"),
            ],
        };

        AssertJson(
            """
            {"model":"m","max_tokens":1000,"messages":[
              {"role":"user","content":[{"type":"text","text":"Weather in Paris and Rome?"}]},
              {"role":"assistant","content":[
                {"type":"thinking","thinking":"Two calls.\n","signature":"c2ln+/=="},
                {"type":"redacted_thinking","data":"EmwKAhgB"},
                {"type":"text","text":"Checking."},
                {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
                {"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},
                {"type":"tool_result","tool_use_id":"toolu_2","content":"city missing","is_error":true},
                {"type":"text","text":"Thanks"}]}],
             "stream":false}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: false));
    }

    [Fact]
    public void Translate_ToolResultWithImage_WritesContentBlocks()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.Tool,
                [
                    new ToolResultPart("toolu_9") { Content = [new TextPart("screenshot:"), new ImagePart { Data = "AAAA", MediaType = "image/jpeg" }] },
                ]),
            ],
        };

        AssertJson(
            """
            {"model":"m","max_tokens":1000,"messages":[{"role":"user","content":[
              {"type":"tool_result","tool_use_id":"toolu_9","content":[
                {"type":"text","text":"screenshot:"},
                {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAAA"}}]}]}],
             "stream":false}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: false));
    }

    [Theory]
    [InlineData(ToolChoiceMode.Auto, null, null, """{"type":"auto"}""")]
    [InlineData(ToolChoiceMode.Required, null, null, """{"type":"any"}""")]
    [InlineData(ToolChoiceMode.None, null, false, """{"type":"none"}""")]
    [InlineData(ToolChoiceMode.Named, "get_weather", false, """{"type":"tool","name":"get_weather","disable_parallel_tool_use":true}""")]
    public void Translate_ToolChoice_MapsEveryMode(ToolChoiceMode mode, string? name, bool? parallel, string expected)
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.User, "x")],
            Tools = [new ChatTool("get_weather") { Parameters = Json("""{"type":"object","properties":{"city":{"type":"string"}}}""") }],
            ToolChoice = new ToolChoice(mode, name),
            ParallelToolCalls = parallel,
        };

        using var document = JsonDocument.Parse(MessagesRequestWriter.Translate(request, s_options, oauth: false));
        Assert.Equal(expected, document.RootElement.GetProperty("tool_choice").GetRawText());
    }

    [Fact]
    public void Translate_CustomToolAndHostedWebSearch_DeclaresStringInputSchema()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, "patch it"),
                new ChatMessage(ChatRole.Assistant, [new ToolCallPart("call_1", "apply_patch", "*** Begin Patch") { Kind = ToolCallKind.Custom }]),
            ],
            Tools =
            [
                new ChatTool("apply_patch") { Description = "Apply a patch", Kind = ToolCallKind.Custom },
                new ChatTool("noop"),
            ],
            HostedTools = [new HostedTool("web_search")],
            ParallelToolCalls = false,
        };

        AssertJson(
            """
            {"model":"m","max_tokens":1000,"messages":[
              {"role":"user","content":[{"type":"text","text":"patch it"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"apply_patch","input":{"input":"*** Begin Patch"}}]}],
             "tools":[
              {"name":"apply_patch","description":"Apply a patch","input_schema":{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}},
              {"name":"noop","input_schema":{"type":"object","properties":{}}},
              {"type":"web_search_20250305","name":"web_search"}],
             "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
             "stream":false}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: false));
    }

    [Fact]
    public void Translate_ReasoningEffort_EnablesThinkingDropsTemperatureAndRaisesMaxTokens()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.User, "think")],
            Reasoning = new ReasoningOptions { Effort = "medium" },
            MaxOutputTokens = 2000,
            Temperature = 0.5,
        };

        AssertJson(
            """
            {"model":"m","max_tokens":6096,"messages":[{"role":"user","content":[{"type":"text","text":"think"}]}],
             "thinking":{"type":"enabled","budget_tokens":4096},"stream":true}
            """,
            MessagesRequestWriter.Translate(request, s_options, oauth: false));
    }

    [Theory]
    [InlineData("none", null)]
    [InlineData("minimal", null)]
    [InlineData("low", 1024)]
    [InlineData("high", 16384)]
    public void Translate_Effort_MapsToBudget(string effort, int? budget)
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.User, "x")],
            Reasoning = new ReasoningOptions { Effort = effort },
            MaxOutputTokens = 64000,
        };

        using var document = JsonDocument.Parse(MessagesRequestWriter.Translate(request, s_options, oauth: false));
        bool hasThinking = document.RootElement.TryGetProperty("thinking", out JsonElement thinking);
        Assert.Equal(budget is not null, hasThinking);
        if (budget is not null)
        {
            Assert.Equal(budget, thinking.GetProperty("budget_tokens").GetInt32());
        }
    }

    [Fact]
    public void Translate_ExplicitBudget_WinsOverEffort()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.User, "x")],
            Reasoning = new ReasoningOptions { Effort = "high", BudgetTokens = 2048 },
        };

        using var document = JsonDocument.Parse(MessagesRequestWriter.Translate(request, s_options, oauth: false));
        Assert.Equal(2048, document.RootElement.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.Equal(3048, document.RootElement.GetProperty("max_tokens").GetInt32());
    }

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Theory]
    [InlineData(false, null, null, null, false)] // the default max_tokens (1000 here)
    [InlineData(false, 8192, null, null, false)]
    [InlineData(false, 8193, null, null, true)] // may run long: a stream keeps the connection alive
    [InlineData(true, 50, null, null, true)] // the client streams
    [InlineData(false, 50, "high", null, true)] // thinking adds its budget to max_tokens
    [InlineData(false, 50, null, 2048, true)]
    [InlineData(false, 50, "none", null, false)]
    public void StreamsUpstream_OnlyShortAnswersWithoutThinkingComeWhole(bool clientStreams, int? maxTokens, string? effort, int? budget, bool streams)
    {
        var request = new ChatRequest
        {
            Model = "claude-sonnet-4-5",
            Messages = [new ChatMessage(ChatRole.User, "Hi")],
            Stream = clientStreams,
            MaxOutputTokens = maxTokens,
            Reasoning = effort is null && budget is null ? null : new ReasoningOptions { Effort = effort, BudgetTokens = budget },
        };

        Assert.Equal(streams, MessagesRequestWriter.StreamsUpstream(request, s_options));
        using JsonDocument body = JsonDocument.Parse(MessagesRequestWriter.Translate(request, s_options, oauth: false));
        Assert.Equal(streams, body.RootElement.GetProperty("stream").GetBoolean());
    }

    private static void AssertJson(string expected, byte[] actual) =>
        Assert.Equal(Compact(expected), Encoding.UTF8.GetString(actual));

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
}
