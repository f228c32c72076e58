using System.Net;
using System.Text.Json;
using Godex.TestUtilities;

namespace Godex.Simulator.Tests;

public sealed class CodexSimulatorEndpointTests
{
    private const string Path = "/backend-api/codex/responses";

    private const string WeatherTool = """
        {"type":"function","name":"get_weather","description":"Retrieves current weather for the given location.","strict":true,
         "parameters":{"type":"object","properties":{"location":{"type":"string"},"units":{"type":"string","enum":["celsius","fahrenheit"]}},
         "required":["location","units"],"additionalProperties":false}}
        """;

    private static string Body(string prompt, string tools = "[]", string extra = "") => $$"""
        {"model":"gpt-5-codex","instructions":"You are Codex.","stream":true,"store":false,{{extra}}
         "input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"rules"}]},
                  {"type":"message","role":"user","content":[{"type":"input_text","text":{{JsonSerializer.Serialize(prompt)}}}]}],
         "tools":{{tools}},"tool_choice":"auto","parallel_tool_calls":true}
        """;

    private static async Task<List<SseFrame>> StreamAsync(SimulatorTestClient client, string body)
    {
        using HttpResponseMessage response = await client.PostAsync(Path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        (string text, bool cut) = await SimulatorTestClient.ReadAllAsync(response);
        Assert.False(cut);
        return SseFrame.Parse(text);
    }

    // Runs of the same delta event collapse to one, so streams of different lengths compare by shape.
    private static List<string> Shape(IEnumerable<string> types) =>
        types.Where((type, i) => !type.EndsWith(".delta", StringComparison.Ordinal) || i == 0 || types.ElementAt(i - 1) != type).ToList();

    [Fact]
    public async Task FunctionCall_EventsMatchRecordedO3StreamAndSpec()
    {
        List<SseFrame> fixture = SseFrame.Parse(Fixtures.Text("openai-responses-real/o3-function-call.stream.sse"));
        using JsonDocument spec = JsonDocument.Parse(Fixtures.Text("openai-openapi/responses-stream-events.json"));
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("What's the weather in Paris?", "[" + WeatherTool + "]"));

        // The fixture's reasoning item (output_index 0, no summary) was not requested here.
        List<SseFrame> expected = [.. fixture.Where(f => !f.Data.Contains("\"type\":\"reasoning\",\"summary\":[]}}", StringComparison.Ordinal))];
        Assert.Equal(Shape(expected.Select(f => f.Event!)), Shape(frames.Select(f => f.Event!)));
        for (int i = 0; i < frames.Count; i++)
        {
            JsonElement json = frames[i].Json;
            Assert.Equal(frames[i].Event, json.GetProperty("type").GetString());
            Assert.Equal(i, json.GetProperty("sequence_number").GetInt32());
            foreach (JsonElement required in spec.RootElement.GetProperty(frames[i].Event!).GetProperty("required").EnumerateArray())
            {
                Assert.True(json.TryGetProperty(required.GetString()!, out _), $"{frames[i].Event} lacks required {required}");
            }

            JsonElement recorded = expected.First(f => f.Event == frames[i].Event).Json;
            Assert.Superset(SseFrame.FieldNames(recorded), SseFrame.FieldNames(json));
            foreach (string nested in new[] { "item", "response" })
            {
                if (recorded.TryGetProperty(nested, out JsonElement recordedNested))
                {
                    Assert.Superset(SseFrame.FieldNames(recordedNested), SseFrame.FieldNames(json.GetProperty(nested)));
                }
            }
        }

        JsonElement done = frames.Single(f => f.Event == "response.function_call_arguments.done").Json;
        using JsonDocument arguments = JsonDocument.Parse(done.GetProperty("arguments").GetString()!);
        Assert.Equal("Paris", arguments.RootElement.GetProperty("location").GetString());
        Assert.Equal("celsius", arguments.RootElement.GetProperty("units").GetString());
        string deltas = string.Concat(frames.Where(f => f.Event == "response.function_call_arguments.delta").Select(f => f.Json.GetProperty("delta").GetString()));
        Assert.Equal(done.GetProperty("arguments").GetString(), deltas);

        JsonElement completed = frames[^1].Json.GetProperty("response");
        JsonElement item = completed.GetProperty("output")[0];
        Assert.StartsWith("fc_", item.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("call_", item.GetProperty("call_id").GetString(), StringComparison.Ordinal);
        Assert.Equal("completed", item.GetProperty("status").GetString());
        JsonElement usage = completed.GetProperty("usage");
        Assert.Superset(SseFrame.FieldNames(expected[^1].Json.GetProperty("response").GetProperty("usage")), SseFrame.FieldNames(usage));
        Assert.Equal(
            usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("output_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Reasoning_WithEncryptedInclude_StreamsSummaryThenMessage()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("hello there", extra: "\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},\"include\":[\"reasoning.encrypted_content\"],"));

        Assert.Equal(
            [
                "response.created", "response.in_progress",
                "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed",
            ],
            Shape(frames.Select(f => f.Event!)));
        JsonElement reasoning = frames.First(f => f.Event == "response.output_item.done").Json.GetProperty("item");
        Assert.Equal("reasoning", reasoning.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(reasoning.GetProperty("encrypted_content").GetString()));
        Assert.StartsWith("rs_", reasoning.GetProperty("id").GetString(), StringComparison.Ordinal);

        string text = string.Concat(frames.Where(f => f.Event == "response.output_text.delta").Select(f => f.Json.GetProperty("delta").GetString()));
        Assert.Equal("Hello from the godex simulator (model gpt-5-codex). You said: hello there", text);
        Assert.Equal(text, frames.Single(f => f.Event == "response.output_text.done").Json.GetProperty("text").GetString());
        JsonElement usage = frames[^1].Json.GetProperty("response").GetProperty("usage");
        Assert.True(usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32() > 0);
        Assert.Equal(2, frames[^1].Json.GetProperty("response").GetProperty("output").GetArrayLength());
    }

    [Fact]
    public async Task CustomTool_ApplyPatch_StreamsCustomToolCall()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("use apply_patch to add a file", """[{"type":"custom","name":"apply_patch","format":{"type":"grammar"}}]"""));

        JsonElement added = frames.First(f => f.Event == "response.output_item.added").Json.GetProperty("item");
        Assert.Equal("custom_tool_call", added.GetProperty("type").GetString());
        Assert.StartsWith("ctc_", added.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Contains(frames, f => f.Event == "response.custom_tool_call_input.delta");
        string input = frames.Single(f => f.Event == "response.custom_tool_call_input.done").Json.GetProperty("input").GetString()!;
        Assert.StartsWith("*** Begin Patch\n*** Add File: hello.txt\n", input, StringComparison.Ordinal);
        Assert.Equal(input, frames[^1].Json.GetProperty("response").GetProperty("output")[0].GetProperty("input").GetString());
    }

    [Fact]
    public async Task ToolOutput_LastInput_AnswersWithResult()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        const string RequestJson = """
            {"model":"gpt-5","instructions":"x","stream":true,"store":false,"input":[
              {"type":"message","role":"user","content":[{"type":"input_text","text":"run it"}]},
              {"type":"function_call","name":"exec_command","arguments":"{}","call_id":"call_1"},
              {"type":"function_call_output","call_id":"call_1","output":"hello-from-tool"}],
             "tools":[{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{}}}]}
            """;

        List<SseFrame> frames = await StreamAsync(client, RequestJson);

        Assert.Equal("Tool exec_command returned: hello-from-tool", frames.Single(f => f.Event == "response.output_text.done").Json.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("""{"model":"m","stream":true,"store":false,"input":[]}""", "Instructions are required")]
    [InlineData("""{"model":"m","instructions":"x","stream":false,"store":false,"input":[]}""", "Stream must be set to true")]
    [InlineData("""{"model":"m","instructions":"x","stream":true,"store":true,"input":[]}""", "Store must be set to false")]
    [InlineData("""{"model":"m","instructions":"x","stream":true,"store":false,"input":"hi"}""", "Input must be a list")]
    [InlineData("""{"model":"m","instructions":"x","stream":true,"store":false,"input":[],"temperature":0.2}""", "Unsupported parameter: temperature")]
    [InlineData("""{"model":"m","instructions":"x","stream":true,"store":false,"input":[],"max_output_tokens":5}""", "Unsupported parameter: max_output_tokens")]
    public async Task InvalidBody_Returns400WithDetail(string body, string detail)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(detail, json.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task MissingBearer_Returns401()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("hi"), bearer: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(1, client.State.CallCount(Path));
    }

    [Fact]
    public async Task RateLimitDirective_Returns429WithUsageLimitBodyAndRetryAfter()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("hi [sim:429]"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement error = json.RootElement.GetProperty("error");
        Assert.Equal("usage_limit_reached", error.GetProperty("type").GetString());
        Assert.Equal(1, error.GetProperty("resets_in_seconds").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task CutDirective_StreamEndsWithoutCompleted()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, Body("tell me a long story please [sim:cut]"));
        (string text, bool cut) = await SimulatorTestClient.ReadAllAsync(response);

        Assert.True(cut);
        Assert.Contains("response.output_text.delta", text, StringComparison.Ordinal);
        Assert.DoesNotContain("response.completed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[sim:cut]", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailOnceDirective_FirstCallFailsThenSucceeds()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        string body = Body("retry me [sim:fail-once=429]");

        using HttpResponseMessage first = await client.PostAsync(Path, body);
        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);

        List<SseFrame> frames = await StreamAsync(client, body);
        Assert.Equal("response.completed", frames[^1].Event);
        Assert.Equal(2, client.State.CallCount(Path));
    }

    [Fact]
    public async Task LengthDirective_EndsWithIncompleteMaxOutputTokens()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("a b c d e f g h [sim:length]"));

        Assert.Equal("response.incomplete", frames[^1].Event);
        JsonElement response = frames[^1].Json.GetProperty("response");
        Assert.Equal("incomplete", response.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", response.GetProperty("incomplete_details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task RefusalDirective_StreamsRefusalPart()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await StreamAsync(client, Body("something bad [sim:refusal]"));

        Assert.Contains(frames, f => f.Event == "response.refusal.delta");
        JsonElement part = frames[^1].Json.GetProperty("response").GetProperty("output")[0].GetProperty("content")[0];
        Assert.Equal("refusal", part.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(part.GetProperty("refusal").GetString()));
    }

    [Fact]
    public async Task DefaultFaultOption_AppliesWithoutDirective()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync(new SimulatorOptions { DefaultFault = "[sim:500]" });

        using HttpResponseMessage response = await client.PostAsync(Path, Body("plain"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("server_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }
}
