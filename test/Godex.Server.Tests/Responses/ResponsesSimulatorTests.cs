using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Responses;

/// <summary>
/// <c>/v1/responses</c> on a real godex whose providers talk HTTP to the built-in simulator, on a Codex model and on a
/// Claude model: the official event order, tool turns, reasoning round trips, stored chains and errors.
/// </summary>
public sealed class ResponsesSimulatorTests
{
    private const string WeatherTool = """
        {"type":"function","name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":false}
        """;

    private const string ApplyPatchTool = """
        {"type":"custom","name":"apply_patch","description":"Apply a patch","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task Stream_Text_EmitsOfficialEventOrder(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        List<SseFrame> frames = await StreamAsync(godex, $$"""{"model":"{{model}}","input":"Say hello","stream":true}""");

        string[] expected =
        [
            "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        ];
        Assert.Equal(expected, frames.Take(4).Select(f => f.Event));
        Assert.Equal(
            ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            frames.TakeLast(4).Select(f => f.Event));
        Assert.All(frames[4..^4], f => Assert.Equal("response.output_text.delta", f.Event));
        AssertSequenceNumbers(frames);
        JsonElement completed = frames[^1].Json.GetProperty("response");
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        string text = completed.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString()!;
        Assert.Contains("Say hello", text, StringComparison.Ordinal);
        Assert.Equal(text, string.Concat(frames.Where(f => f.Event == "response.output_text.delta").Select(f => f.Json.GetProperty("delta").GetString())));
        JsonElement usage = completed.GetProperty("usage");
        Assert.True(usage.GetProperty("output_tokens").GetInt32() > 0);
        Assert.Equal(usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("output_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task NonStream_Text_ReturnsResponseObject(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using JsonDocument body = await PostJsonAsync(godex, $$"""{"model":"{{model}}","input":[{"role":"user","content":"Say hello"}],"instructions":"Be brief."}""");

        JsonElement root = body.RootElement;
        Assert.StartsWith("resp_", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("response", root.GetProperty("object").GetString());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal("Be brief.", root.GetProperty("instructions").GetString());
        JsonElement message = Assert.Single(root.GetProperty("output").EnumerateArray());
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Contains("Say hello", message.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt-5.2-codex", true)]
    [InlineData("gpt-5.2-codex", false)]
    [InlineData("sonnet", true)]
    [InlineData("sonnet", false)]
    public async Task ToolCall_ThenFunctionCallOutput_Completes(string model, bool stream)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string first = $$"""{"model":"{{model}}","input":"What is the weather in Paris? Use the get_weather tool.","tools":[{{WeatherTool}}],"stream":{{(stream ? "true" : "false")}},"store":false}""";

        JsonElement response = stream ? (await StreamAsync(godex, first))[^1].Json.GetProperty("response") : (await PostJsonAsync(godex, first)).RootElement;

        JsonElement call = response.GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "function_call");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("completed", call.GetProperty("status").GetString());
        using (JsonDocument arguments = JsonDocument.Parse(call.GetProperty("arguments").GetString()!))
        {
            Assert.True(arguments.RootElement.TryGetProperty("city", out _));
        }

        string callId = call.GetProperty("call_id").GetString()!;
        var input = new StringBuilder("[{\"role\":\"user\",\"content\":\"What is the weather in Paris? Use the get_weather tool.\"}");
        foreach (JsonElement item in response.GetProperty("output").EnumerateArray())
        {
            input.Append(',').Append(item.GetRawText());
        }

        input.Append($$""",{"type":"function_call_output","call_id":"{{callId}}","output":"18C and sunny"}]""");
        using JsonDocument second = await PostJsonAsync(godex, $$"""{"model":"{{model}}","input":{{input}},"tools":[{{WeatherTool}}],"store":false}""");

        JsonElement answer = second.RootElement.GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "message");
        Assert.Contains("18C and sunny", answer.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task CustomTool_StreamsCustomToolCallInput(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        List<SseFrame> frames = await StreamAsync(godex, $$"""{"model":"{{model}}","input":"Use apply_patch to create hello.txt","tools":[{{ApplyPatchTool}}],"stream":true}""");

        Assert.Contains(frames, f => f.Event == "response.custom_tool_call_input.delta");
        SseFrame done = Assert.Single(frames, f => f.Event == "response.custom_tool_call_input.done");
        // Codex gets a real freeform tool; Anthropic a function taking {"input": string}, unwrapped on the way back.
        string input = done.Json.GetProperty("input").GetString()!;
        Assert.False(input.StartsWith('{'), input);
        if (model.StartsWith("gpt", StringComparison.Ordinal))
        {
            Assert.Contains("*** Begin Patch", input, StringComparison.Ordinal);
        }

        JsonElement item = frames[^1].Json.GetProperty("response").GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "custom_tool_call");
        Assert.Equal("apply_patch", item.GetProperty("name").GetString());
        Assert.Equal(done.Json.GetProperty("input").GetString(), item.GetProperty("input").GetString());
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task Reasoning_StreamsSummaryAndRoundTripsEncryptedContent(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string request = $$"""{"model":"{{model}}","input":"Think, then say hi","reasoning":{"effort":"high","summary":"auto"},"include":["reasoning.encrypted_content"],"stream":true,"store":false}""";

        List<SseFrame> frames = await StreamAsync(godex, request);

        string[] reasoningEvents = [.. frames.Select(f => f.Event!).Where(e => e.Contains("reasoning", StringComparison.Ordinal))];
        Assert.Equal("response.reasoning_summary_part.added", reasoningEvents[0]);
        Assert.Equal(["response.reasoning_summary_text.done", "response.reasoning_summary_part.done"], reasoningEvents[^2..]);
        JsonElement output = frames[^1].Json.GetProperty("response").GetProperty("output");
        JsonElement reasoning = output[0];
        Assert.Equal("reasoning", reasoning.GetProperty("type").GetString());
        Assert.NotEmpty(reasoning.GetProperty("summary")[0].GetProperty("text").GetString()!);
        Assert.NotEmpty(reasoning.GetProperty("encrypted_content").GetString()!);

        // Turn 2 echoes the reasoning item verbatim: accepted on both backends.
        string second = $$"""{"model":"{{model}}","input":[{"role":"user","content":"Think, then say hi"},{{reasoning.GetRawText()}},{{output[1].GetRawText()}},{"role":"user","content":"again"}],"reasoning":{"effort":"high"},"store":false}""";
        using JsonDocument answer = await PostJsonAsync(godex, second);
        Assert.Equal("completed", answer.RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task PreviousResponseId_ThreeTurnChain_CarriesConversation(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using JsonDocument first = await PostJsonAsync(godex, $$"""{"model":"{{model}}","input":"What is the weather in Paris? Use the get_weather tool.","tools":[{{WeatherTool}}]}""");
        string firstId = first.RootElement.GetProperty("id").GetString()!;
        string callId = first.RootElement.GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "function_call").GetProperty("call_id").GetString()!;

        // Turn 2: only the tool output; the call comes from the stored chain.
        using JsonDocument second = await PostJsonAsync(godex, $$"""{"model":"{{model}}","previous_response_id":"{{firstId}}","input":[{"type":"function_call_output","call_id":"{{callId}}","output":"18C and sunny"}],"tools":[{{WeatherTool}}]}""");
        Assert.Equal(firstId, second.RootElement.GetProperty("previous_response_id").GetString());
        Assert.Contains("18C and sunny", second.RootElement.GetProperty("output").EnumerateArray().Last().GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        string secondId = second.RootElement.GetProperty("id").GetString()!;

        // Turn 3, streamed.
        List<SseFrame> third = await StreamAsync(godex, $$"""{"model":"{{model}}","previous_response_id":"{{secondId}}","input":"thanks, bye","stream":true}""");
        Assert.Equal("response.completed", third[^1].Event);
        Assert.Contains("thanks, bye", third[^1].Json.GetProperty("response").GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);

        // Stored responses can be read back and deleted.
        using HttpResponseMessage get = await godex.Http.GetAsync($"/v1/responses/{secondId}", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using HttpResponseMessage delete = await godex.Http.DeleteAsync($"/v1/responses/{secondId}", Ct);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        using HttpResponseMessage gone = await godex.Http.GetAsync($"/v1/responses/{secondId}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task StoreFalse_KeepsNothing()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using JsonDocument first = await PostJsonAsync(godex, """{"model":"gpt-5.2-codex","input":"hello","store":false}""");
        string id = first.RootElement.GetProperty("id").GetString()!;

        using HttpResponseMessage get = await godex.Http.GetAsync($"/v1/responses/{id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        (HttpStatusCode status, JsonElement error) = await PostErrorAsync(godex, $$"""{"model":"gpt-5.2-codex","input":"again","previous_response_id":"{{id}}"}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("previous_response_not_found", error.GetProperty("code").GetString());
        Assert.Equal("previous_response_id", error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("""{"model":"gpt-5.2-codex","input":[{"type":"bogus"}]}""", "input[0].type")]
    [InlineData("""{"model":"gpt-5.2-codex","input":[{"role":"user","content":"x"},{"type":"function_call","name":"f","arguments":"{}"}]}""", "input[1].call_id")]
    [InlineData("""{"model":"gpt-5.2-codex","input":42}""", "input")]
    [InlineData("""{"model":"gpt-5.2-codex","input":"x","stream":"yes"}""", "stream")]
    [InlineData("""{"model":"gpt-5.2-codex","input":"x","tools":[{"type":"function"}]}""", "tools[0].name")]
    public async Task BadInput_Returns400NamingTheField(string body, string param)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        (HttpStatusCode status, JsonElement error) = await PostErrorAsync(godex, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.StartsWith(param, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task UpstreamCut_EndsWithResponseFailed(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        List<SseFrame> frames = await StreamAsync(godex, $$"""{"model":"{{model}}","input":"tell me a long story [sim:cut]","stream":true}""");

        Assert.Equal("response.failed", frames[^1].Event);
        JsonElement response = frames[^1].Json.GetProperty("response");
        Assert.Equal("failed", response.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(response.GetProperty("error").GetProperty("message").GetString()));
        AssertSequenceNumbers(frames);
    }

    [Fact]
    public async Task Length_EndsWithResponseIncomplete()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        List<SseFrame> frames = await StreamAsync(godex, """{"model":"sonnet","input":"tell me a story [sim:length]","stream":true}""");

        Assert.Equal("response.incomplete", frames[^1].Event);
        Assert.Equal("max_output_tokens", frames[^1].Json.GetProperty("response").GetProperty("incomplete_details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task GetWebSocketUpgrade_Returns426AtOnce()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/responses");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
    }

    internal static void AssertSequenceNumbers(List<SseFrame> frames)
    {
        for (int i = 0; i < frames.Count; i++)
        {
            JsonElement json = frames[i].Json;
            Assert.Equal(frames[i].Event, json.GetProperty("type").GetString());
            Assert.Equal(i, json.GetProperty("sequence_number").GetInt32());
        }
    }

    internal static async Task<List<SseFrame>> StreamAsync(GodexAppHarness godex, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/responses", content, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        return SseFrame.Parse(text);
    }

    internal static async Task<JsonDocument> PostJsonAsync(GodexAppHarness godex, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/responses", content, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Error)> PostErrorAsync(GodexAppHarness godex, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/responses", content, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").Clone());
    }
}
