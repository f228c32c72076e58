using System.Net;
using System.Text.Json;
using Godex.TestUtilities;

namespace Godex.Simulator.Tests;

public sealed class OpenAIChatSimulatorEndpointTests
{
    private const string Path = "/openai/v1/chat/completions";

    private static List<string> ChoiceFields(SseFrame frame) =>
        frame.Json.GetProperty("choices").GetArrayLength() == 0 ? [] : [.. SseFrame.FieldNames(frame.Json.GetProperty("choices")[0]).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task StreamWithToolCall_MatchesRecordedChunkShape()
    {
        List<SseFrame> recorded = SseFrame.Parse(Fixtures.Text("openai-python-chat-recorded/gpt-4o-single-tool-call.sse"));
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        const string Body = """
            {"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
             "messages":[{"role":"user","content":"What's the weather in Paris?"}],
             "tools":[{"type":"function","function":{"name":"GetWeatherArgs","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}
            """;

        using HttpResponseMessage response = await client.PostAsync(Path, Body);
        (string text, _) = await SimulatorTestClient.ReadAllAsync(response);
        List<SseFrame> frames = SseFrame.Parse(text);

        Assert.Equal("[DONE]", frames[^1].Data);
        Assert.Equal("[DONE]", recorded[^1].Data);
        SseFrame usage = frames[^2];
        Assert.Equal(0, usage.Json.GetProperty("choices").GetArrayLength());
        Assert.Superset(SseFrame.FieldNames(recorded[^2].Json.GetProperty("usage")), SseFrame.FieldNames(usage.Json.GetProperty("usage")));
        Assert.Equal("tool_calls", frames[^3].Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Superset(SseFrame.FieldNames(recorded[0].Json), SseFrame.FieldNames(frames[0].Json));
        Assert.Equal(ChoiceFields(recorded[0]), ChoiceFields(frames[0]));
        Assert.Equal(
            [.. SseFrame.FieldNames(recorded[0].Json.GetProperty("choices")[0].GetProperty("delta")).Order(StringComparer.Ordinal)],
            SseFrame.FieldNames(frames[0].Json.GetProperty("choices")[0].GetProperty("delta")).Order(StringComparer.Ordinal));
        string arguments = string.Concat(frames.Skip(1).SkipLast(3).Select(f => f.Json.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()));
        Assert.Equal("""{"city":"Paris"}""", arguments);
    }

    [Fact]
    public async Task NonStream_ReturnsChatCompletion()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");

        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("chat.completion", json.RootElement.GetProperty("object").GetString());
        JsonElement choice = json.RootElement.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("Hello from the godex simulator (model gpt-4o). You said: hi", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task MissingBearer_Returns401OpenAIError()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync(Path, """{"model":"gpt-4o","messages":[]}""", bearer: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("invalid_api_key", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
