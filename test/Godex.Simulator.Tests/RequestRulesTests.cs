using System.Net;
using System.Text.Json;

namespace Godex.Simulator.Tests;

/// <summary>
/// The real APIs' rules the simulator enforces, each with the real error body (status, type, message) recorded from
/// the real APIs (AnthropicRequestRules and CodexRequestRules quote the recordings).
/// </summary>
public sealed class RequestRulesTests
{
    private const string Messages = "/v1/messages";
    private const string Codex = "/backend-api/codex/responses";

    private const string ToolUseTurn = """
        {"role":"user","content":"weather?"},
        {"role":"assistant","content":[{"type":"text","text":"I'll call it."},{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"city":"Paris"}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A","content":"sunny"}]}
        """;

    public static TheoryData<string, string> AnthropicViolations => new()
    {
        {
            """{"model":"m","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":512},"messages":[{"role":"user","content":"hi"}]}""",
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        },
        {
            """{"model":"m","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"}]}""",
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
        },
        {
            """{"model":"m","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"hi"}]}""",
            "Thinking may not be enabled when tool_choice forces tool use."
        },
        {
            // The bug of issue 16: a tool loop continued with thinking on, but without the turn's thinking block.
            $$"""{"model":"m","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{{ToolUseTurn}}]}""",
            "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
        },
        {
            """{"model":"m","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"t","signature":"sig"},{"type":"text","text":"b"}]},{"role":"user","content":"again"}]}""",
            "messages.1.content.0: If an assistant message contains any thinking blocks, the first block must be thinking or redacted_thinking. Found text."
        },
        {
            """{"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"sig"}]},{"role":"user","content":"again"}]}""",
            "messages.1: The final block in an assistant message cannot be `thinking`."
        },
        {
            """{"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"sig"},{"type":"text","text":"pre"}]}]}""",
            "messages.1.content.0: When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request."
        },
        {
            """{"model":"m","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01X","content":"x"}]}]}""",
            "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01X. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        },
        {
            """{"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01B","name":"f","input":{}}]},{"role":"user","content":"no result"}]}""",
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01B. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
        },
        {
            """{"model":"m","max_tokens":1024,"tools":[{"name":"mcp__plugin_everything-claude-code_github__create_pull_request_review","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}""",
            "tools.0.custom.name: String should have at most 64 characters"
        },
        {
            """{"model":"m","max_tokens":1024,"output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}}}}},"messages":[{"role":"user","content":"hi"}]}""",
            "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
        },
        {
            """{"model":"m","max_tokens":1024,"output_format":{"type":"json_schema","schema":{"type":"object","additionalProperties":false,"properties":{"a":{"type":"object","additionalProperties":true}}}},"messages":[{"role":"user","content":"hi"}]}""",
            "output_format.schema: For 'object' type, 'additionalProperties: true' is not supported. Please set 'additionalProperties' to false"
        },
    };

    public static TheoryData<string, string, string?, string?> CodexViolations => new()
    {
        { """{"model":"m","stream":true,"store":false,"instructions":"i","input":[],"temperature":0.2}""", "Unsupported parameter: temperature", null, null },
        { """{"model":"m","stream":true,"store":false,"instructions":"i","input":[],"metadata":{"a":"b"}}""", "Unsupported parameter: metadata", null, null },
        {
            """{"model":"m","stream":true,"store":false,"instructions":"i","input":[],"tools":[{"type":"function","name":"mcp__plugin_everything-claude-code_github__create_pull_request_review","parameters":{"type":"object"}}]}""",
            "Invalid 'tools[0].name': string too long. Expected a string with maximum length 64, but got a string with length 69 instead.",
            "tools[0].name",
            "string_above_max_length"
        },
        {
            """{"model":"m","stream":true,"store":false,"instructions":"i","input":[],"text":{"format":{"type":"json_schema","name":"answer","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}}}""",
            "Invalid schema for response_format 'answer': In context=(), 'additionalProperties' is required to be supplied and to be false.",
            "text.format.schema",
            "invalid_json_schema"
        },
        {
            """{"model":"m","stream":true,"store":false,"instructions":"i","input":[],"text":{"format":{"type":"json_schema","name":"answer","strict":true,"schema":{"type":"object","additionalProperties":false,"properties":{"list":{"type":"array","items":{"type":"object","additionalProperties":false,"properties":{"x":{"type":"string"},"y":{"type":"string"}},"required":["x"]}}},"required":["list"]}}}}""",
            "Invalid schema for response_format 'answer': In context=('properties', 'list', 'items'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'y'.",
            "text.format.schema",
            "invalid_json_schema"
        },
        {
            """{"model":"m","stream":true,"store":false,"instructions":"i","input":[],"tools":[{"type":"function","name":"f","strict":true,"parameters":{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}}}]}""",
            "Invalid schema for function 'f': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'a'.",
            "tools[0].parameters",
            "invalid_function_parameters"
        },
        {
            """{"model":"m","stream":true,"store":false,"instructions":"i","input":[{"type":"function_call_output","call_id":"call_1","output":"x"}]}""",
            "No tool call found for function call output with call_id call_1.",
            "input",
            null
        },
    };

    [Theory]
    [MemberData(nameof(AnthropicViolations))]
    public async Task Anthropic_BrokenRule_400WithTheRealErrorBody(string body, string message)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Messages, body, bearer: null, apiKey: "sk-ant-test");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(message, error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.StartsWith("req_", error.RootElement.GetProperty("request_id").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"}]}""", "interleaved-thinking-2025-05-14")]
    [InlineData("""{"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"},{"role":"assistant","content":"d"},{"role":"user","content":"e"}]}""", null)]
    [InlineData($$"""{"model":"m","max_tokens":1024,"messages":[{{ToolUseTurn}}]}""", null)]
    public async Task Anthropic_WhatTheRealApiAccepts_200(string body, string? beta)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        client.Http.DefaultRequestHeaders.Add("anthropic-beta", beta ?? "none");

        using HttpResponseMessage response = await client.PostAsync(Messages, body, bearer: null, apiKey: "sk-ant-test");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [MemberData(nameof(CodexViolations))]
    public async Task Codex_BrokenRule_400WithTheBackendsBody(string body, string message, string? param, string? code)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Codex, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        if (param is null && code is null && message.StartsWith("Unsupported", StringComparison.Ordinal))
        {
            Assert.Equal(message, error.RootElement.GetProperty("detail").GetString());
            return;
        }

        JsonElement inner = error.RootElement.GetProperty("error");
        Assert.Equal(message, inner.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", inner.GetProperty("type").GetString());
        Assert.Equal(param, inner.GetProperty("param").GetString());
        Assert.Equal(code, inner.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Codex_StructuredOutput_AnswersJsonThatFollowsTheSchema()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        const string body = """
            {"model":"gpt-5.2-codex","stream":true,"store":false,"instructions":"i","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Paris weather"}]}],
             "text":{"format":{"type":"json_schema","name":"w","strict":true,"schema":{"type":"object","additionalProperties":false,"properties":{"city":{"type":"string"},"degrees":{"type":"integer"}},"required":["city","degrees"]}}}}
            """;

        using HttpResponseMessage response = await client.PostAsync(Codex, body);
        (string text, _) = await SimulatorTestClient.ReadAllAsync(response);

        string done = Godex.TestUtilities.SseFrame.Parse(text).Single(f => f.Event == "response.output_text.done").Json.GetProperty("text").GetString()!;
        using JsonDocument answer = JsonDocument.Parse(done);
        Assert.Equal("Paris", answer.RootElement.GetProperty("city").GetString());
        Assert.Equal(1, answer.RootElement.GetProperty("degrees").GetInt32());
    }
}
